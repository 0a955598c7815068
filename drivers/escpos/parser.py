"""An incremental ESC/POS parser: bytes in, tickets (text lines, QR codes, images) out.

It understands what Hall and python-escpos send (README.md lists the bytes) and skips other
commands by their documented length, so one unknown command does not derail the rest.
Commands may arrive split over several reads: an incomplete one waits for more bytes.
"""
from __future__ import annotations

from collections.abc import Callable

from PIL import Image

from drivers.escpos.records import ImageBlock, Line, ParsedTicket, QrBlock, Run

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
# ESC t n → Python codec, for the code pages python-escpos selects most often
CODE_PAGES = {0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 16: "cp1252",
              17: "cp866", 18: "cp852", 19: "cp858"}
# Fixed argument counts of commands that only need skipping (or are handled below)
ESC_ARGS = {"@": 0, "a": 1, "E": 1, "!": 1, "t": 1, "d": 1, "J": 1, "2": 0, "3": 1, "-": 1,
            "M": 1, "G": 1, "{": 1, "V": 1, "=": 1, "p": 3, "R": 1, "c": 2, "e": 1, "U": 1,
            " ": 1, "$": 2, "\\": 2, "r": 1, "i": 0, "m": 0}
GS_ARGS = {"!": 1, "B": 1, "L": 2, "W": 2, "H": 1, "f": 1, "h": 1, "w": 1, "a": 1, "r": 1,
           "I": 1, "P": 2, "$": 2, "\\": 2, "b": 1, "E": 1}
FS_ARGS = {"&": 0, ".": 0, "!": 1, "C": 1, "-": 1, "S": 2, "W": 1}


class Parser:
    """Feed bytes; ``on_ticket`` gets each ticket at its cut, ``on_status`` each DLE EOT n."""

    def __init__(self, on_ticket: Callable[[ParsedTicket], None],
                 on_status: Callable[[int], None] = lambda n: None) -> None:
        self.on_ticket, self.on_status = on_ticket, on_status
        self.buf = b""
        self.ticket = ParsedTicket()
        self.runs: list[Run] = []
        self.qr_data, self.qr_module = b"", 3
        self.reset()

    def reset(self) -> None:
        """ESC @. Chinese mode starts off, so a test proves that FS & was really sent."""
        self.align, self.bold, self.width, self.height = "left", False, 1, 1
        self.chinese, self.codec = False, "cp437"
        self.runs = []

    def feed(self, data: bytes) -> None:
        buf, pos = self.buf + data, 0
        while pos < len(buf):
            used = self._step(buf, pos)
            if not used:
                break  # incomplete command: wait for more bytes
            pos += used
        self.buf = buf[pos:]

    def close(self) -> ParsedTicket | None:
        """End of stream: an uncut ticket with content is still a ticket."""
        self._newline(keep_empty=False)
        ticket, self.ticket = self.ticket, ParsedTicket()
        return ticket if ticket.blocks else None

    def _step(self, buf: bytes, pos: int) -> int:
        b = buf[pos]
        if b == 0x0A:
            self._newline()
            return 1
        if b in (ESC, GS, FS, DLE):
            if pos + 1 >= len(buf):
                return 0
            return self._command(b, buf, pos)
        if b < 0x20:
            return 1  # CR, HT and other controls: nothing to record
        if self.chinese and b >= 0x80:
            return self._double_byte(buf, pos)
        self._put(bytes((b,)).decode(self.codec, errors="replace"))
        return 1

    def _double_byte(self, buf: bytes, pos: int) -> int:
        if pos + 1 >= len(buf):
            return 0
        size = 4 if 0x30 <= buf[pos + 1] <= 0x39 else 2  # GB18030 four-byte form
        if pos + size > len(buf):
            return 0
        self._put(buf[pos:pos + size].decode("gb18030", errors="replace"))
        return size

    def _put(self, text: str) -> None:
        last = self.runs[-1] if self.runs else None
        if last and (last.bold, last.width, last.height) == (self.bold, self.width, self.height):
            last.text += text
        else:
            self.runs.append(Run(text, self.bold, self.width, self.height))

    def _newline(self, keep_empty: bool = True) -> None:
        if self.runs or keep_empty:
            self.ticket.blocks.append(Line(self.runs, self.align))
        self.runs = []

    def _command(self, lead: int, buf: bytes, pos: int) -> int:
        cmd = chr(buf[pos + 1])
        if lead == DLE:
            return self._dle(buf, pos)
        if lead == ESC and cmd == "*":
            return self._skip_column_image(buf, pos)
        if lead == GS and cmd in "(vVk":
            return self._gs_variable(cmd, buf, pos)
        table = {ESC: ESC_ARGS, GS: GS_ARGS, FS: FS_ARGS}[lead]
        if cmd not in table:
            self.ticket.unknown.append(f"{_NAMES[lead]} {cmd!r}")
            return 2
        end = pos + 2 + table[cmd]
        if end > len(buf):
            return 0
        self._apply(lead, cmd, buf[pos + 2:end])
        return end - pos

    def _apply(self, lead: int, cmd: str, args: bytes) -> None:
        n = args[0] if args else 0
        if lead == ESC:
            if cmd == "@":
                self.reset()
            elif cmd == "a":
                self.align = ("left", "center", "right")[n % 48 % 3]
            elif cmd == "E":
                self.bold = bool(n & 1)
            elif cmd == "!":  # ESC ! replaces the size GS ! set (the last received wins)
                self.bold, self.width, self.height = bool(n & 8), 1 + (n >> 5 & 1), 1 + (n >> 4 & 1)
            elif cmd == "t":
                self.codec = CODE_PAGES.get(n, "cp437")
            elif cmd == "d":
                for _ in range(max(n, 1)):
                    self._newline()
        elif lead == GS and cmd == "!":
            self.width, self.height = (n >> 4) + 1, (n & 15) + 1
        elif lead == FS and cmd in "&.":
            self.chinese = cmd == "&"

    def _dle(self, buf: bytes, pos: int) -> int:
        if buf[pos + 1] == 0x04:  # DLE EOT n: real-time status
            if pos + 2 >= len(buf):
                return 0
            self.on_status(buf[pos + 2])
            return 3
        if buf[pos + 1] == 0x14:  # DLE DC4 fn m t: real-time request (pulse, clear)
            return 5 if pos + 5 <= len(buf) else 0
        return 2

    def _skip_column_image(self, buf: bytes, pos: int) -> int:
        if pos + 5 > len(buf):
            return 0
        m, count = buf[pos + 2], buf[pos + 3] + 256 * buf[pos + 4]
        size = 5 + count * (3 if m in (32, 33) else 1)
        self.ticket.unknown.append("ESC *")
        return size if pos + size <= len(buf) else 0

    def _gs_variable(self, cmd: str, buf: bytes, pos: int) -> int:
        if cmd == "V":  # GS V m [n]: cut; m 65/66 (feed and cut) carry one more byte
            if pos + 2 >= len(buf):
                return 0
            size = 4 if buf[pos + 2] in (65, 66, 97, 98, 103, 104) else 3
            if pos + size > len(buf):
                return 0
            self._cut()
            return size
        if cmd == "(":  # GS ( x pL pH payload
            if pos + 5 > len(buf):
                return 0
            size = 5 + buf[pos + 3] + 256 * buf[pos + 4]
            if pos + size > len(buf):
                return 0
            self._gs_paren(chr(buf[pos + 2]), buf[pos + 5:pos + size])
            return size
        if cmd == "v":
            return self._raster(buf, pos)
        return self._skip_barcode(buf, pos)

    def _gs_paren(self, kind: str, payload: bytes) -> None:
        if kind != "k" or len(payload) < 2 or payload[0] != 49:  # cn 49 = QR Code
            self.ticket.unknown.append(f"GS ( {kind}")
            return
        fn, rest = payload[1], payload[2:]
        if fn == 67 and rest:
            self.qr_module = rest[0]
        elif fn == 80:  # store: m (48) then the data
            self.qr_data = rest[1:]
        elif fn == 81:  # print what was stored
            self._newline(keep_empty=False)
            data = self.qr_data.decode("utf-8", errors="replace")
            self.ticket.blocks.append(QrBlock(data, self.qr_module, self.align))

    def _raster(self, buf: bytes, pos: int) -> int:
        """GS v 0 m xL xH yL yH d…: x bytes per row, y rows, a set bit is a black dot."""
        if pos + 8 > len(buf):
            return 0
        wb, h = buf[pos + 4] + 256 * buf[pos + 5], buf[pos + 6] + 256 * buf[pos + 7]
        size = 8 + wb * h
        if pos + size > len(buf):
            return 0
        self._newline(keep_empty=False)
        image = Image.frombytes("1", (wb * 8, h), buf[pos + 8:pos + size], "raw", "1;I")
        self.ticket.blocks.append(ImageBlock(image, self.align))
        return size

    def _skip_barcode(self, buf: bytes, pos: int) -> int:
        if pos + 3 > len(buf):
            return 0
        m = buf[pos + 2]
        if m <= 6:  # GS k m d… NUL
            end = buf.find(b"\0", pos + 3)
            return end + 1 - pos if end >= 0 else 0
        if pos + 4 > len(buf):
            return 0
        size = 4 + buf[pos + 3]
        self.ticket.unknown.append("GS k")
        return size if pos + size <= len(buf) else 0

    def _cut(self) -> None:
        self._newline(keep_empty=False)
        blocks = self.ticket.blocks
        while blocks and isinstance(blocks[-1], Line) and not blocks[-1].text:
            blocks.pop()  # the feed before the cutter is paper, not content
        self.ticket.cut = True
        ticket, self.ticket = self.ticket, ParsedTicket()
        self.on_ticket(ticket)


_NAMES = {ESC: "ESC", GS: "GS", FS: "FS"}
