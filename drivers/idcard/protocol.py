"""The SAM module's frames (the security module inside every resident ID card reader), after
the public protocol description of the 居民身份证阅读器 (the frame layout in GA 450 and the
readers' published serial protocol); the golden frames in tests/integration/test_idcard.py
come from that description.

Host → SAM::

    AA AA AA 96 69 | LEN (2, big-endian: CMD..CHK) | CMD | PARA | DATA… | CHK

SAM → host::

    AA AA AA 96 69 | LEN (2, big-endian: SW1..CHK) | SW1 SW2 SW3 | DATA… | CHK

CHK is the XOR of every byte from LEN to the last DATA byte. Commands used here: reset
(10 FF), status (11 FF), find card (20 01), select card (20 02), read the basic information
(30 01). SW3 90 is success, 9F a card found; 80 no card, 81 select failed, 10 the SAM got a
bad checksum, 41 reading failed …

The basic information answer carries a text block and a photo: text length (2, BE), photo
length (2, BE), then 256 bytes of UCS-2 (little-endian) text in fixed fields — name 30,
sex 2, nation 4, birth date 16, address 70, ID number 36, issuing authority 30, valid from
16, valid to 16, reserved 36 — then the photo (1024 bytes, vendor-compressed: not decoded).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

PREAMBLE = bytes.fromhex("AAAAAA9669")
RESET, STATUS = (0x10, 0xFF), (0x11, 0xFF)
FIND, SELECT, READ_BASIC = (0x20, 0x01), (0x20, 0x02), (0x30, 0x01)
OK, FOUND = 0x90, 0x9F
SW_TEXT = {0x90: "ok", 0x9F: "card found", 0x10: "checksum error (at the SAM)",
           0x11: "length error", 0x21: "unknown command", 0x31: "card authentication failed",
           0x41: "reading the card failed", 0x80: "no card", 0x81: "selecting the card failed",
           0x60: "SAM self-test failed", 0x66: "SAM not authorised"}
FIELDS = (("name", 30), ("sex", 2), ("nation", 4), ("birth", 16), ("address", 70),
          ("id_number", 36), ("authority", 30), ("valid_from", 16), ("valid_to", 16),
          ("reserved", 36))
TEXT_LEN, PHOTO_LEN = 256, 1024
SEX = {"1": "男", "2": "女", "0": "未知", "9": "未说明"}


class FrameError(ValueError):
    """A frame that is not one: bad preamble, length or checksum, or cut short. ``kind``
    names which (``checksum``, ``truncated``, ``malformed``), for counting; the message
    says more, never anything of a card."""

    def __init__(self, message: str, kind: str = "malformed"):
        super().__init__(message)
        self.kind = kind


def xor(data: bytes) -> int:
    return reduce(lambda a, b: a ^ b, data, 0)


def command(cmd: tuple[int, int], data: bytes = b"") -> bytes:
    """A host → SAM frame: ``command(FIND)`` → AA AA AA 96 69 00 03 20 01 22."""
    body = bytes(cmd) + data
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes([xor(length + body)])


def answer(sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    """A SAM → host frame (the emulator's)."""
    body = bytes([sw1, sw2, sw3]) + data
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes([xor(length + body)])


@dataclass(frozen=True)
class Answer:
    sw: tuple[int, int, int]
    data: bytes

    @property
    def status(self) -> int:
        return self.sw[2]

    @property
    def text(self) -> str:
        return SW_TEXT.get(self.status, f"SW3 {self.status:02X}")


def needed(buffer: bytes) -> int | None:
    """Bytes of the whole frame at the start of ``buffer``, once its length is known."""
    if len(buffer) < 7:
        return None
    return 7 + int.from_bytes(buffer[5:7], "big")


def parse_answer(frame: bytes) -> Answer:
    if frame[:5] != PREAMBLE:
        raise FrameError("no AA AA AA 96 69 preamble")
    size = needed(frame)
    if size is None or len(frame) < size:
        raise FrameError(f"truncated frame: {len(frame)} of {size or '?'} bytes",
                         "truncated")
    length = frame[5:7]
    body, chk = frame[7:size - 1], frame[size - 1]
    if len(body) < 3:
        raise FrameError("frame too short for SW1 SW2 SW3")
    if xor(length + body) != chk:
        raise FrameError(f"bad checksum {chk:02X} (expected {xor(length + body):02X})",
                         "checksum")
    return Answer((body[0], body[1], body[2]), bytes(body[3:]))


@dataclass(frozen=True)
class CardText:
    """The card's text fields, as read (never stored: the caller keeps what it needs)."""

    name: str
    sex: str
    nation: str
    birth: str  # YYYYMMDD
    address: str
    id_number: str
    authority: str
    valid_from: str
    valid_to: str  # YYYYMMDD or 长期

    def __repr__(self) -> str:  # a log line or a traceback never shows a card
        return "CardText(…)"


def parse_basic(data: bytes) -> CardText:
    """The basic information block (the data of a 30 01 answer)."""
    if len(data) < 4:
        raise FrameError("truncated basic information: no lengths", "truncated")
    text_len, photo_len = int.from_bytes(data[0:2], "big"), int.from_bytes(data[2:4], "big")
    if text_len != TEXT_LEN or len(data) < 4 + text_len + photo_len:
        raise FrameError(f"truncated basic information: text {text_len}, photo {photo_len}, "
                         f"{len(data) - 4} bytes", "truncated")
    text, at, values = data[4:4 + text_len], 0, {}
    for name, size in FIELDS:
        values[name] = text[at:at + size].decode("utf-16-le", "replace").strip(" \x00")
        at += size
    values.pop("reserved")
    values["sex"] = SEX.get(values["sex"], values["sex"])
    return CardText(**values)


def basic_block(card: CardText, photo: bytes = b"") -> bytes:
    """The data of a 30 01 answer for ``card`` (the emulator's; fields space-padded)."""
    raw = {**card.__dict__, "sex": {v: k for k, v in SEX.items()}.get(card.sex, card.sex),
           "reserved": ""}
    text = b"".join(raw[name].ljust(size // 2).encode("utf-16-le")[:size]
                    for name, size in FIELDS)
    photo = photo.ljust(PHOTO_LEN, b"\x00")[:PHOTO_LEN]
    return TEXT_LEN.to_bytes(2, "big") + PHOTO_LEN.to_bytes(2, "big") + text + photo
