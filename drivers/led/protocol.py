"""Onbon (仰邦) BX-5K/6K controller protocol, in one namespace for callers and tests.

    framing.py   frames, escaping, CRC-16/ARC, the streaming parser, requests and replies (§3-§7)
    dynamic.py   the real-time dynamic-area command A3 06 with GB2312 text (§8.2.1, §9.1)
    here         the status reply of A1 02 (§8.4)

Source: 上海仰邦 "BX-5K/6K 通讯协议用户版本" v1.4 (2021-02-28), doc.onbonbx.com/zh/k/potocol.
``from drivers.led import protocol as bx`` gives every name of the three.
"""
from __future__ import annotations

from dataclasses import dataclass

from drivers.led.dynamic import (  # noqa: F401 - re-exported
    BOTTOM,
    CENTER,
    DEFAULT_MODEL,
    LEFT,
    MIDDLE,
    MODELS,
    RIGHT,
    TOP,
    Area,
    AreaUpdate,
    DisplayMode,
    RunMode,
    TextEncodingError,
    area_text_limit,
    decode_area,
    decode_text,
    encode_area,
    encode_text,
    parse_show,
    show,
)
from drivers.led.framing import (  # noqa: F401 - re-exported
    ACK,
    ANY_DEVICE,
    BROADCAST,
    BROADCAST_SILENT,
    CLEAR,
    DYNAMIC_AREA,
    END,
    HEADER,
    HOST,
    MAX_DATA,
    MUST_REPLY,
    NACK,
    NO_REPLY,
    PING,
    PREAMBLE,
    STATUS,
    VERSION,
    BadFrame,
    ChecksumError,
    CmdError,
    FrameParser,
    Packet,
    ProtocolError,
    answer,
    crc16,
    decode,
    escape,
    request,
    unescape,
)


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
