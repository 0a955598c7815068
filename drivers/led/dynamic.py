"""Onbon BX-5K/6K real-time dynamic area (§8.2.1 A3 06, §9.1 area data) with GB2312 text.

Built on framing.py (packets, addresses); the field tables and their source are in README.md.
"""
from __future__ import annotations

import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from drivers.led.framing import DYNAMIC_AREA, HOST, MAX_DATA, Packet, ProtocolError, request

# §9.1 DisplayMode and RunMode (EXPIRE: deleted when not refreshed within Timeout)
DisplayMode = IntEnum("DisplayMode", "STATIC QUICK SCROLL_LEFT SCROLL_RIGHT SCROLL_UP SCROLL_DOWN")
RunMode = IntEnum("RunMode", "CYCLE HOLD_LAST EXPIRE", start=0)
# §9.1 TextAlignment: bits 1-0 horizontal, bits 3-2 vertical
LEFT, RIGHT, CENTER, TOP, BOTTOM, MIDDLE = 0, 1, 2, 0, 4, 8


class TextEncodingError(ProtocolError):
    pass


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

# §8.2.1: the text of one dynamic area holds at most 512 bytes on a BX-5K controller and
# 1024 on a BX-6K; a frame of one area has room for less than 1024 (its headers), so that
# is a 6K's real bound. A sign whose text is longer is paged (drivers/led/sign.py).
MODELS = {"bx-5k": 512, "bx-6k": 1024}
DEFAULT_MODEL = "bx-5k"  # the smaller limit: a hall that does not say is never refused
ONE_AREA_ROOM = MAX_DATA - 5 - 1 - 1 - 2 - _AREA_HEAD.size - 1 - _AREA_TAIL.size


def area_text_limit(model: str) -> int:
    """Bytes of GB2312 text one dynamic area of this controller model takes."""
    try:
        return min(MODELS[model], ONE_AREA_ROOM)
    except KeyError:
        raise ProtocolError(f"controller model {model!r}: expected "
                            f"{' or '.join(MODELS)}") from None


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

