"""Onbon (仰邦) BX-5K/6K controller protocol: framing, the real-time dynamic area, replies.

Source: 上海仰邦 "BX-5K/6K 通讯协议用户版本" v1.4 (2021-02-28), doc.onbonbx.com/zh/k/potocol
(its Markdown is onbonlab/onbonlab.github.io docs/zh/k/potocol.md). "§" below cites it; the
byte-by-byte layout and what is verified or assumed are in README.md beside this file.

    frame = A5×8 | escape( header(14) | data(N) | CRC-16/ARC(2, LE) ) | 5A          (§3)
"""
from __future__ import annotations

import re
import struct
from collections.abc import Iterable
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
# §9.1 DisplayMode and RunMode (EXPIRE: deleted when not refreshed within Timeout)
DisplayMode = IntEnum("DisplayMode", "STATIC QUICK SCROLL_LEFT SCROLL_RIGHT SCROLL_UP SCROLL_DOWN")
RunMode = IntEnum("RunMode", "CYCLE HOLD_LAST EXPIRE", start=0)
# §9.1 TextAlignment: bits 1-0 horizontal, bits 3-2 vertical
LEFT, RIGHT, CENTER, TOP, BOTTOM, MIDDLE = 0, 1, 2, 0, 4, 8


class ProtocolError(ValueError):
    pass


class TextEncodingError(ProtocolError):
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


@dataclass(frozen=True)
class Area:
    """One dynamic area (§9.1 区域数据格式); pixels, origin top left."""

    x: int = 0
    y: int = 0
    width: int = 64
    height: int = 16
    area_id: int = 0  # DynamicAreaLoc: 0.. (6K: 5 areas, 5K: 8)
    mode: DisplayMode = DisplayMode.STATIC
    speed: int = 0  # 0 fastest .. 0x18 slowest
    stay: float = 5.0  # seconds, sent in 0.5 s steps
    align: int = LEFT | TOP
    single_line: bool = True
    auto_wrap: bool = False
    run_mode: RunMode = RunMode.CYCLE
    timeout: int = 10  # seconds, for RunMode.EXPIRE
    line_space: int = 0
    exit_mode: int = 0
    pixel_units: bool | None = None  # None: 8-px units when x and width allow, else pixels

    def __post_init__(self) -> None:
        if not (0 <= self.x < 0x8000 and 0 < self.width < 0x8000 and 0 <= self.y <= 0xFFFF
                and 0 < self.height <= 0xFFFF):
            raise ProtocolError(f"area out of range: {self}")
        if not (0 <= self.speed <= 0x18 and 0 <= self.area_id <= 0xFE and self.stay * 2 in
                range(256) and 0 <= self.timeout <= 0xFFFF):
            raise ProtocolError(f"area parameter out of range: {self}")

    def units(self) -> tuple[int, int]:
        """AreaX, AreaWidth: bit 15 set means pixels, clear means bytes of 8 pixels."""
        pixels = self.pixel_units
        if pixels is None:
            pixels = bool(self.x % 8 or self.width % 8)
        if pixels:
            return 0x8000 | self.x, 0x8000 | self.width
        if self.x % 8 or self.width % 8:
            raise ProtocolError(f"x={self.x}, width={self.width} are not multiples of 8 px")
        return self.x // 8, self.width // 8


_AREA_HEAD = struct.Struct("<BHHHHBBBHB")  # type x y w h id line-space run-mode timeout sound
_AREA_TAIL = struct.Struct("<BBBBBBBI")  # align single new-line mode exit speed stay length


def encode_text(text: str) -> bytes:
    """GB2312 for the controller's fonts; a newline becomes its "\\n" escape (§11.1)."""
    for i, ch in enumerate(text):
        if ch == "\\" or (ch < " " and ch != "\n"):
            raise TextEncodingError(f"{ch!r} at position {i} of {text!r}: backslash and control "
                                    f"characters start controller escapes (§11.1)")
    try:
        return text.replace("\n", "\\n").encode("gb2312")
    except UnicodeEncodeError as exc:
        bad = text[exc.start]
        raise TextEncodingError(f"{bad!r} (U+{ord(bad):04X}) at position {exc.start} of {text!r} "
                                f"is not in GB2312, so the sign's font cannot show it") from None


def decode_text(data: bytes) -> str:
    """What a sign shows: font (\\FXXXX) and colour (\\CX) escapes dropped, \\n as newline."""
    text = data.decode("gb2312", errors="replace")
    return re.sub(r"\\F.{4}|\\C.", "", text).replace("\\n", "\n")


def encode_area(area: Area, data: bytes) -> bytes:
    x, width = area.units()
    head = _AREA_HEAD.pack(0, x, area.y, width, area.height, area.area_id, area.line_space,
                           area.run_mode, area.timeout, 0)  # AreaType 0; SoundMode 0: no voice
    tail = _AREA_TAIL.pack(area.align, 1 if area.single_line else 2, 2 if area.auto_wrap else 1,
                           area.mode, area.exit_mode, area.speed, int(area.stay * 2), len(data))
    return head + b"\x00" + tail + data  # ExtendParaLen 0: no extension bytes


def decode_area(raw: bytes) -> tuple[Area, bytes]:
    try:
        _, x, y, w, h, aid, space, run, timeout, sound = _AREA_HEAD.unpack_from(raw)
        i = _AREA_HEAD.size
        if sound:  # voice person/repeat, volume, speed; SoundMode 2 adds its own text
            i += 3
            if sound == 2:
                i += 4 + struct.unpack_from("<I", raw, i)[0]
        i += 1 + raw[i]  # ExtendParaLen and (assumed) that many extension bytes
        align, single, wrap, mode, exit_mode, speed, stay, n = _AREA_TAIL.unpack_from(raw, i)
        i += _AREA_TAIL.size
        area = Area(x & 0x7FFF if x & 0x8000 else x * 8, y, w & 0x7FFF if w & 0x8000 else w * 8,
                    h, aid, DisplayMode(mode), speed, stay / 2, align, single == 1, wrap == 2,
                    RunMode(run), timeout, space, exit_mode, bool((x | w) & 0x8000))
    except (struct.error, IndexError, ValueError) as exc:
        raise ProtocolError(f"malformed area data: {exc}") from None
    if len(raw) != i + n:
        raise ProtocolError(f"area text length {n} but {len(raw) - i} bytes follow")
    return area, raw[i:]


def show(dst: int, areas: Iterable[tuple[Area, str]], *, delete: Iterable[int] | None = (),
         reply: bool = True, process_mode: int = 0, src: int = HOST) -> Packet:
    """§8.2.1 A3 06: replace the text of dynamic areas; delete others (None: all, 0xFF)."""
    gone = bytes(delete) if delete is not None else b""
    body = bytearray(b"\xff" if delete is None else bytes((len(gone),)) + gone)
    items = [(area, encode_text(text)) for area, text in areas]
    body.append(len(items))
    for area, data in items:
        raw = encode_area(area, data)
        body += struct.pack("<H", len(raw)) + raw
    if len(body) + 5 > MAX_DATA:
        raise ProtocolError(f"{len(body) + 5} data bytes; a controller takes {MAX_DATA} at once")
    return request(dst, DYNAMIC_AREA, bytes(body), reply=reply, src=src, arg=process_mode)


@dataclass(frozen=True)
class AreaUpdate:
    process_mode: int
    delete: tuple[int, ...] | None  # None: delete every dynamic area (DeleteAreaNum 0xFF)
    areas: tuple[tuple[Area, str], ...]


def parse_show(packet: Packet) -> AreaUpdate:
    body, data = packet.body, packet.data
    try:
        ndel = body[0]
        delete = None if ndel == 0xFF else tuple(body[1:1 + ndel])
        i = 1 if ndel == 0xFF else 1 + ndel
        count, i, areas = body[i], i + 1, []
        for _ in range(count):
            size = struct.unpack_from("<H", body, i)[0]
            if i + 2 + size > len(body):
                raise ProtocolError(f"area of {size} bytes overruns the frame")
            area, text = decode_area(body[i + 2:i + 2 + size])
            areas.append((area, decode_text(text)))
            i += 2 + size
    except (IndexError, struct.error):
        raise ProtocolError("dynamic-area data cut short") from None
    if i != len(body):
        raise ProtocolError(f"{len(body) - i} stray bytes after the areas")
    return AreaUpdate(data[3], delete, tuple(areas))


@dataclass(frozen=True)
class Status:
    """§8.4: the reply to A1 02 (the clock is kept as the controller's 8 BCD bytes)."""

    on: bool = True
    brightness: int = 15
    clock: bytes = bytes(8)
    programs: int = 0
    program: bytes = bytes(4)
    special_area: bool = False
    pages: int = 0
    areas: tuple[int, ...] = ()
    barcode: bytes = bytes(16)
    custom_id: bytes = bytes(12)

    def encode(self) -> bytes:
        return (bytes((1 if self.on else 2, self.brightness)) + self.clock
                + bytes((self.programs,)) + self.program
                + bytes((self.special_area, self.pages, len(self.areas), *self.areas))
                + self.barcode + self.custom_id)

    @classmethod
    def parse(cls, body: bytes) -> Status:
        n = body[17] if len(body) > 17 else 0
        if len(body) != 18 + n + 28:
            raise ProtocolError(f"status reply of {len(body)} bytes, expected {18 + n + 28}")
        return cls(body[0] == 1, body[1], body[2:10], body[10], body[11:15], bool(body[15]),
                   body[16], tuple(body[18:18 + n]), body[18 + n:34 + n], body[34 + n:])
