"""What a hall shows on Onbon signs: the call at a window (窗口屏) and a strip of the latest
calls and notices (通屏). Each sign builds A3 06 frames through protocol.py for its own address
and geometry and sends them through a LedTransport, which several signs on one RS-485 bus share.

    sign = WindowSign(transport, address=5, width=128, height=16)
    sign.show_call("A012", 5)                  # shows "A012 请到5号窗口"
    open_sign("led+serial:///dev/ttyUSB1?address=05&width=64&height=16&kind=window")
    open_sign("led+tcp://10.0.0.60:5005?address=100&kind=strip&model=bx-6k")

``model`` (bx-5k, the default, or bx-6k) is the controller's: it bounds the text of one
dynamic area (§8.2.1), and longer text goes out as pages.
"""
from __future__ import annotations

from collections.abc import Sequence

from drivers.led import protocol as bx
from drivers.led.transport import LedTransport, open_transport
from drivers.urls import DeviceURL, DeviceURLError, parse

FONT_PX = 16  # the controllers' default fonts (§11.1 O000/E000): 16×16 Chinese, 8×16 ASCII
GAP = "\u3000\u3000"  # two ideographic spaces (GB2312 A1 A1) between items on the strip


def text_width(text: str, font_px: int = FONT_PX) -> int:
    """Pixels `text` needs in a dot-matrix font: Chinese is square, ASCII half width."""
    return sum(font_px // 2 if ord(ch) < 0x80 else font_px for ch in text)


class SignError(RuntimeError):
    def __init__(self, address: int, error: int) -> None:
        try:
            name = bx.CmdError(error).name
        except ValueError:
            name = f"error {error:#04x}"
        super().__init__(f"sign {address} refused the frame: {name}")
        self.address, self.error = address, error


def parse_address(value: str | int) -> int:
    """URL `address=05` is decimal (as LedshowK numbers screens); `0x..` is hex."""
    try:
        address = value if isinstance(value, int) else int(value, 16 if value.lower()
                                                            .startswith("0x") else 10)
    except ValueError:
        raise DeviceURLError(f"sign address {value!r}: expected a number such as 05 or 0x05"
                             ) from None
    if not 0 <= address <= 0xFFFF:
        raise DeviceURLError(f"sign address {value!r} is not 16-bit")
    return address


def parse_model(value: str | None) -> str:
    """URL ``model=bx-5k`` (default) or ``model=bx-6k``: the controller's dynamic-area limit."""
    model = (value or bx.DEFAULT_MODEL).lower().replace("_", "-")
    if model not in bx.MODELS:
        raise DeviceURLError(f"controller model {value!r}: expected model=bx-5k or "
                             f"model=bx-6k")
    return model


def split_text(text: str, limit: int) -> list[str]:
    """``text`` cut at characters into pieces of at most ``limit`` bytes as the sign gets
    them (GB2312, a newline as its two-byte escape)."""
    pieces, piece, size = [], [], 0
    for ch in text:
        cost = len(bx.encode_text(ch))
        if piece and size + cost > limit:
            pieces.append("".join(piece))
            piece, size = [], 0
        piece.append(ch)
        size += cost
    return pieces + (["".join(piece)] if piece else [])


class Sign:
    """A whole-sign dynamic area (area 0) at one bus address.

    Text longer than the controller model's area limit (§8.2.1: 512 bytes on BX-5K, 1024
    on BX-6K) is cut into pages (``pages``/``packets``), each one frame; the worker shows
    them in turn."""

    default_width, default_height = 128, 16

    def __init__(self, transport: LedTransport | None, address: int = 1,
                 width: int | None = None, height: int | None = None, *, reply: bool = True,
                 owns_transport: bool = False, model: str = bx.DEFAULT_MODEL) -> None:
        self.transport = transport
        self.address = address
        self.width = width or self.default_width
        self.height = height or self.default_height
        self.reply = reply
        self.model = parse_model(model)
        self.text_limit = bx.area_text_limit(self.model)
        self._owns = owns_transport

    @classmethod
    def from_url(cls, url: str | DeviceURL) -> Sign:
        device = parse(url) if isinstance(url, str) else url
        options = device.options
        try:
            width, height = (int(options[k]) if k in options else None
                             for k in ("width", "height"))
        except ValueError:
            raise DeviceURLError(f"{device.raw}: expected width=PIXELS&height=PIXELS") from None
        return cls(open_transport(device), parse_address(options.get("address", "1")), width,
                   height, owns_transport=True, model=parse_model(options.get("model")))

    def pages(self, text: str) -> list[str]:
        """``text`` in pages that each fit one dynamic area of this controller."""
        return split_text(text, self.text_limit) or [""]

    def packets(self, text: str) -> list[bx.Packet]:
        return [self.packet(page) for page in self.pages(text)]

    def area(self, text: str) -> bx.Area:
        """Centred and still when the text fits, scrolling left when it does not."""
        fits = text_width(text) <= self.width
        return bx.Area(0, 0, self.width, self.height,
                       mode=bx.DisplayMode.STATIC if fits else bx.DisplayMode.SCROLL_LEFT,
                       align=bx.CENTER | bx.MIDDLE, speed=0 if fits else 4,
                       stay=5.0 if fits else 0.0)

    def packet(self, text: str) -> bx.Packet:
        return bx.show(self.address, [(self.area(text), text)], reply=self.reply)

    def send(self, packet: bx.Packet) -> bx.Packet | None:
        if self.transport is None:
            raise RuntimeError("this sign has no transport; use packet() to build frames only")
        reply = self.transport.exchange(packet)
        if reply is not None and reply.command == bx.NACK:
            raise SignError(self.address, reply.flag)
        return reply

    def show_text(self, text: str) -> bx.Packet | None:
        return self.send(self.packet(text))

    def close(self) -> None:
        if self._owns and self.transport is not None:
            self.transport.close()


class WindowSign(Sign):
    """The small sign above one window: the ticket called there, or why it is closed."""

    @staticmethod
    def call_text(number: str, counter_number: int | str) -> str:
        return f"{number} 请到{counter_number}号窗口"

    def call_packet(self, number: str, counter_number: int | str) -> bx.Packet:
        return self.packet(self.call_text(number, counter_number))

    def show_call(self, number: str, counter_number: int | str) -> bx.Packet | None:
        return self.send(self.call_packet(number, counter_number))

    def show_paused(self, text: str = "暂停服务") -> bx.Packet | None:
        return self.show_text(text)


class HallStrip(Sign):
    """The long strip over the hall: the latest calls and notices, scrolling left."""

    default_width, default_height = 256, 16

    def lines_packet(self, lines: Sequence[str]) -> bx.Packet:
        """One frame of ``lines`` (they must fit the area: see ``lines_packets``)."""
        text = GAP.join(line.strip() for line in lines if line.strip())
        area = bx.Area(0, 0, self.width, self.height, mode=bx.DisplayMode.SCROLL_LEFT,
                       align=bx.LEFT | bx.MIDDLE, speed=4, stay=0.0)
        return bx.show(self.address, [(area, text)], reply=self.reply)

    def line_pages(self, lines: Sequence[str]) -> list[str]:
        """The strip's text in pages within the controller's area limit, cut between lines
        (a line longer than a page is cut at characters)."""
        limit, gap = self.text_limit, len(bx.encode_text(GAP))
        pages: list[str] = []
        page: list[str] = []
        size = 0
        for line in (line.strip() for line in lines):
            if not line:
                continue
            cost = len(bx.encode_text(line))
            if page and size + gap + cost > limit:
                pages.append(GAP.join(page))
                page, size = [], 0
            if cost > limit:
                *whole, line = split_text(line, limit)
                pages += whole
                cost = len(bx.encode_text(line))
            size += (gap if page else 0) + cost
            page.append(line)
        return pages + ([GAP.join(page)] if page else []) or [""]

    def lines_packets(self, lines: Sequence[str]) -> list[bx.Packet]:
        return [self.lines_packet((page,)) for page in self.line_pages(lines)]

    def show_lines(self, lines: Sequence[str]) -> bx.Packet | None:
        return self.send(self.lines_packet(lines))


def open_sign(url: str | DeviceURL) -> Sign:
    """`kind=window` (default) or `kind=strip` picks the class."""
    device = parse(url) if isinstance(url, str) else url
    kinds: dict[str, type[Sign]] = {"window": WindowSign, "strip": HallStrip}
    kind = device.options.get("kind", "window")
    if kind not in kinds:
        raise DeviceURLError(f"{device.raw}: kind={kind!r}; expected kind=window or kind=strip")
    return kinds[kind].from_url(device)
