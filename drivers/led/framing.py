"""Onbon (仰邦) BX-5K/6K framing: the PHY1 packet, escaping, CRC-16/ARC, a streaming parser and
the controller's generic replies. Commands' own bytes live beside it (dynamic.py: A3 06).

Source: 上海仰邦 "BX-5K/6K 通讯协议用户版本" v1.4 (2021-02-28), doc.onbonbx.com/zh/k/potocol
(its Markdown is onbonlab/onbonlab.github.io docs/zh/k/potocol.md). "§" below cites it; the
byte-by-byte layout and what is verified or assumed are in README.md beside this file.

    frame = A5×8 | escape( header(14) | data(N) | CRC-16/ARC(2, LE) ) | 5A          (§3)
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

PREAMBLE = b"\xa5" * 8
END = 0x5A
HOST = 0x8000  # §4: PC software uses source addresses 0x8000-0xDFFF
BROADCAST = 0xFFFE  # §4 广播地址2: every controller acts and replies (from 0xFFFE)
BROADCAST_SILENT = 0xFFFF  # §4 广播地址1: every controller acts, none replies
ANY_DEVICE = 0xFE  # §4 DeviceType wildcard
VERSION = 0x02  # §4 ProtocolVersion
MUST_REPLY, NO_REPLY = 0x01, 0x02  # §5.1.1 Response
MAX_DATA = 1024  # §5.1.3: the controller buffers 1024 bytes; A3 06 cannot be split
# dst src reserved(3) barcode-option check-mode display-mode device-type version data-length
HEADER = struct.Struct("<HH3sBBBBBH")
ACK, NACK = (0xA0, 0x00), (0xA0, 0x01)  # §7
STATUS, PING = (0xA1, 0x02), (0xA2, 0x00)  # §8.4, §8.7
DYNAMIC_AREA, CLEAR = (0xA3, 0x06), (0xA3, 0x10)  # §8.2.1, §8.16


# §6 错误状态, sent in a reply's third data byte
CmdError = IntEnum("CmdError", "NO OUT_OF_GROUP NO_CMD BUSY MEMORY_VOLUME CHECKSUM FILE_NOT_EXIST "
                   "FLASH FILE_DOWNLOAD FILE_NAME FILE_TYPE FILE_CRC16 FONT_NOT_EXIST "
                   "FIRMWARE_TYPE DATE_TIME_FORMAT FILE_EXIST FILE_BLOCK_NUM", start=0)


class ProtocolError(ValueError):
    pass


class ChecksumError(ProtocolError):
    """A frame whose CRC is wrong; the (untrusted) header addresses are kept for a NACK."""

    def __init__(self, message: str, dst: int, src: int) -> None:
        super().__init__(message)
        self.dst, self.src = dst, src


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc16(data: bytes) -> int:
    """CRC-16/ARC (x^16+x^15+x^2+1 reflected = 0xA001, init 0), the appendix's table."""
    crc = 0
    for byte in data:
        crc = (crc >> 8) ^ _CRC_TABLE[(crc ^ byte) & 0xFF]
    return crc


def escape(data: bytes) -> bytes:
    """§3.3. A6 and 5B go first so the A6/5B that the other two rules insert stay single."""
    return (data.replace(b"\xa6", b"\xa6\x01").replace(b"\xa5", b"\xa6\x02")
            .replace(b"\x5b", b"\x5b\x01").replace(b"\x5a", b"\x5b\x02"))


def unescape(data: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(data):
        byte = data[i]
        if byte in (0xA6, 0x5B):
            nxt = data[i + 1] if i + 1 < len(data) else None
            if nxt not in (0x01, 0x02):
                raise ProtocolError(f"bad escape {byte:02X} {nxt if nxt is None else f'{nxt:02X}'}"
                                    f" at offset {i}")
            out.append(byte - 1 if nxt == 0x02 else byte)  # A6 02→A5, 5B 02→5A
            i += 2
        elif byte in (0xA5, 0x5A):
            raise ProtocolError(f"unescaped {byte:02X} inside a frame at offset {i}")
        else:
            out.append(byte)
            i += 1
    return bytes(out)


@dataclass(frozen=True)
class Packet:
    """The PHY1 layer (§3.1, §4, §5.1): addresses, header options and the data field."""

    dst: int
    src: int
    data: bytes  # CmdGroup, Cmd, Response|CmdError, Reserved(2), then the command's own bytes
    device_type: int = ANY_DEVICE
    version: int = VERSION
    display_mode: int = 0  # §4: 0 = dynamic areas and programs side by side

    def __post_init__(self) -> None:
        if not (0 <= self.dst <= 0xFFFF and 0 <= self.src <= 0xFFFF):
            raise ProtocolError(f"addresses are 16-bit: dst={self.dst} src={self.src}")
        if not 5 <= len(self.data) <= 0xFFFF:
            raise ProtocolError(f"a data field has 5..65535 bytes, not {len(self.data)}")

    @property
    def command(self) -> tuple[int, int]:
        return self.data[0], self.data[1]

    @property
    def flag(self) -> int:
        """Response (0x01 must reply, 0x02 need not) in a request; CmdError in a reply."""
        return self.data[2]

    @property
    def body(self) -> bytes:
        return self.data[5:]

    def phy1(self) -> bytes:
        head = HEADER.pack(self.dst, self.src, bytes(3), 0, 0, self.display_mode,
                           self.device_type, self.version, len(self.data))
        return head + self.data + struct.pack("<H", crc16(head + self.data))

    def encode(self) -> bytes:
        return PREAMBLE + escape(self.phy1()) + bytes((END,))


def decode(body: bytes) -> Packet:
    """A frame's escaped bytes between the last A5 of the preamble and the closing 5A."""
    raw = unescape(body)
    if len(raw) < HEADER.size + 5 + 2:
        raise ProtocolError(f"frame too short ({len(raw)} bytes unescaped)")
    dst, src, _, barcode, check, display, device, version, length = HEADER.unpack_from(raw)
    crc = struct.unpack_from("<H", raw, len(raw) - 2)[0]
    if crc != crc16(raw[:-2]):
        raise ChecksumError(f"CRC {crc:04X} != computed {crc16(raw[:-2]):04X}", dst, src)
    if length != len(raw) - HEADER.size - 2:
        raise ProtocolError(f"DataLen {length} but {len(raw) - HEADER.size - 2} data bytes")
    if check or barcode & 1:
        raise ProtocolError("only CheckMode 0 (CRC16) without BarCode is spoken here")
    return Packet(dst, src, raw[HEADER.size:-2], device, version, display)


@dataclass(frozen=True)
class BadFrame:
    """A frame the parser rejected; dst/src are set when only the CRC failed (for a NACK)."""

    reason: str
    raw: bytes
    dst: int | None = None
    src: int | None = None


class FrameParser:
    """Finds frames in a byte stream. §3: any run of A5 opens a frame, 5A closes it; escaping
    keeps both out of frame bodies, so a lost or corrupted byte costs only its own frame."""

    def __init__(self, max_body: int = 4 * (MAX_DATA + HEADER.size + 2)) -> None:
        self._body = bytearray()
        self._state = "idle"  # idle (skipping noise) | preamble | body
        self._max = max_body
        self.skipped = 0  # noise bytes seen outside any frame

    def feed(self, data: bytes) -> list[Packet | BadFrame]:
        found: list[Packet | BadFrame] = []
        for byte in data:
            if self._state == "body":
                if byte == END:
                    found.append(self._finish())
                elif byte == 0xA5:  # a new preamble before this frame's 5A: it was cut short
                    found.append(BadFrame("truncated: no 5A before the next A5", bytes(self._body)))
                    self._state = "preamble"
                elif len(self._body) >= self._max:
                    found.append(BadFrame(f"longer than {self._max} bytes", bytes(self._body)))
                    self._state = "idle"
                else:
                    self._body.append(byte)
            elif byte == 0xA5:
                self._state = "preamble"
            elif self._state == "preamble":
                if byte == END:
                    found.append(BadFrame("empty frame", b""))
                    self._state = "idle"
                else:
                    self._body = bytearray((byte,))
                    self._state = "body"
            else:
                self.skipped += 1
        return found

    def _finish(self) -> Packet | BadFrame:
        body, self._state = bytes(self._body), "idle"
        try:
            return decode(body)
        except ChecksumError as exc:
            return BadFrame(str(exc), body, exc.dst, exc.src)
        except ProtocolError as exc:
            return BadFrame(str(exc), body)


def request(dst: int, command: tuple[int, int], body: bytes = b"", *, reply: bool = True,
            src: int = HOST, arg: int = 0) -> Packet:
    """§5.1.1. `arg` is the first Reserved byte, which A3 06 uses as ProcessMode."""
    head = bytes((*command, MUST_REPLY if reply else NO_REPLY, arg, 0))
    return Packet(dst, src, head + body)


def answer(to: Packet, command: tuple[int, int] = ACK, error: int = CmdError.NO,
           body: bytes = b"") -> Packet:
    """§5.1.2: a controller's reply, addressed back (§7 example: 0xFFFE answers from 0xFFFE)."""
    return Packet(to.src, to.dst, bytes((*command, error, 0, 0)) + body, to.device_type,
                  to.version)

