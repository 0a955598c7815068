"""Print a ticket layout on an ESC/POS printer through python-escpos, Chinese done right.

python-escpos 3.1 cannot encode Chinese on its own (see README.md), so a line with non-ASCII
text goes out in one of two ways, chosen by the printer's profile:

- ``chinese=native``: ``FS &`` + the text in the printer's code page (``charset``: GBK by
  default, GB2312 for older Sprt boards, GB18030 for printers whose font has all of it) +
  ``FS .`` through the raw write, for the Chinese-made printers with a built-in Chinese font.
  A line with a character the code page lacks (生僻字 such as 䶮 U+4DAE: GB18030 ``FE 9F``,
  not GBK) is rastered instead, never sent as a code the printer has no glyph for;
- ``chinese=raster``: the line drawn with a CJK font into a 1-bit strip as wide as the paper
  and sent with ``image()`` (GS v 0), for printers without one.

ASCII lines (the big number, times) always use the printer's own font via ``text()``.
A whole ticket is rendered into a Dummy first and sent in one write, so a font or layout
problem never leaves half a ticket in the printer.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Literal

from escpos.capabilities import get_profile_class
from escpos.constants import QR_ECLEVEL_M
from escpos.escpos import Escpos
from escpos.exceptions import Error as EscposError
from escpos.printer import Dummy

from drivers.escpos import fonts, status
from drivers.escpos.connectors import ConnectorUnusable, connect, escpos_options
from drivers.escpos.document import DocumentContent
from drivers.escpos.document import layout as document_layout
from drivers.escpos.status import PrinterStatus
from drivers.escpos.ticket import PAPERS, Cut, Feed, Op, Paper, Qr, Text, TicketContent, layout
from drivers.i18n import N_
from drivers.urls import DeviceURL, DeviceURLError, parse

FS_CHINESE_ON = b"\x1c&"  # FS &: select Chinese (double-byte) character mode
FS_CHINESE_OFF = b"\x1c."  # FS .: cancel it
MSG_FONT_MISSING = N_("Raster printing needs a Chinese font on this computer")
MSG_UNCONFIRMED = N_("Printed, but the printer did not answer afterwards: check that the "
                     "ticket came out")


@dataclass(frozen=True)
class PrinterProfile:
    name: str
    chinese: Literal["native", "raster"] = "native"
    native_qr: bool = True  # GS ( k; otherwise the QR code is drawn and sent as an image
    paper: str = "80"
    charset: str = "gbk"  # the built-in font's code page, inside FS & (CHARSETS)


CHARSETS = ("gbk", "gb2312", "gb18030")
PROFILES: dict[str, PrinterProfile] = {p.name: p for p in (
    # Chinese-made kiosk/receipt printers (Xprinter, Gainscha, Rongta, Sprt): GBK font, GS ( k
    PrinterProfile("generic"),
    PrinterProfile("generic-58", paper="58"),
    # 58 mm boards whose firmware lacks GS ( k (many older "ZJ-5890"-type units)
    PrinterProfile("zj-58", native_qr=False, paper="58"),
    # Epson TM-T88 and other international models: QR yes, Chinese font no
    PrinterProfile("epson", chinese="raster"),
    # anything that prints GS v 0 raster images
    PrinterProfile("raster", chinese="raster", native_qr=False),
    PrinterProfile("raster-58", chinese="raster", native_qr=False, paper="58"),
)}


def profile_for(url: DeviceURL) -> PrinterProfile:
    """The URL's ``profile`` (default generic), with ``paper`` and ``chinese`` overriding it."""
    opts = escpos_options(url)
    name = opts.get("profile", "generic")
    if name not in PROFILES:
        raise DeviceURLError(f"{url.raw}: unknown printer profile {name!r} "
                             f"(known: {', '.join(sorted(PROFILES))})")
    profile = PROFILES[name]
    if opts.get("paper", profile.paper) not in PAPERS:
        raise DeviceURLError(f"{url.raw}: paper is 58 or 80 (mm)")
    if opts.get("chinese", profile.chinese) not in ("native", "raster"):
        raise DeviceURLError(f"{url.raw}: chinese is native or raster")
    if opts.get("charset", profile.charset) not in CHARSETS:
        raise DeviceURLError(f"{url.raw}: charset is {', '.join(CHARSETS)}")
    return replace(profile, paper=opts.get("paper", profile.paper),
                   chinese=opts.get("chinese", profile.chinese),  # type: ignore[arg-type]
                   charset=opts.get("charset", profile.charset))


def open_printer(url: str | DeviceURL, timeout: float = 5.0) -> Escpos:
    """An opened python-escpos printer for an ``escpos+…`` URL, with the paper width set."""
    device = parse(url) if isinstance(url, str) else url
    if device.protocol != "escpos":
        raise DeviceURLError(f"{device.raw}: not a printer URL (escpos+…)")
    profile = profile_for(device)
    printer = connect(device, timeout)
    printer.profile = paper_profile(PAPERS[profile.paper])
    return printer


@cache
def paper_profile(paper: Paper) -> object:
    """python-escpos's default profile with the media width known, so ``image()`` can check
    and centre (its own default says "Unknown" and prints a warning to stdout)."""
    base = get_profile_class("default")
    data = {**base.profile_data, "media": {"dpi": 203, "width": {
        "mm": int(paper.name), "pixels": paper.dots}}}
    return type(f"Paper{paper.name}Profile", (base,), {"profile_data": data})()


def render(printer: Escpos, ops: Sequence[Op], profile: PrinterProfile) -> None:
    """Send ``ops`` to ``printer`` as ESC/POS commands (see README.md for the bytes)."""
    paper = PAPERS[profile.paper]
    style = _Style(printer)
    printer.hw("INIT")  # ESC @: a known state whatever the last job left behind
    for op in ops:
        if isinstance(op, Text):
            _text(printer, style, op, profile, paper)
        elif isinstance(op, Qr):
            style.apply("center", False, 1)
            if profile.native_qr:
                printer.qr(op.data, ec=QR_ECLEVEL_M, size=op.module, native=True)
            else:
                printer.qr(op.data, ec=QR_ECLEVEL_M, size=op.module, native=False, center=True)
        elif isinstance(op, Feed):
            style.apply(style.align, style.bold, 1)  # a blank line at 4× height wastes paper
            printer.ln(op.lines)
        elif isinstance(op, Cut):
            printer.cut()


def ticket_bytes(ops: Sequence[Op], profile: PrinterProfile) -> bytes:
    dummy = Dummy()
    dummy.profile = paper_profile(PAPERS[profile.paper])
    render(dummy, ops, profile)
    return dummy.output


def native_chinese(text: str, charset: str = "gbk") -> bool:
    """Printable in FS & mode: every character ASCII or in the printer's code page. GBK is
    checked with the ``gbk`` codec itself: GB18030 encodes more in two bytes (䶮 as FE 9F)
    that a GBK font has no glyph for."""
    sizes = (2, 4) if charset == "gb18030" else (2,)  # GBK's one-byte € is no FS & code
    try:
        return all(ch.isascii() or len(ch.encode(charset)) in sizes for ch in text)
    except UnicodeEncodeError:
        return False


def _text(printer: Escpos, style: _Style, op: Text, profile: PrinterProfile,
          paper: Paper) -> None:
    if op.text.isascii():
        style.apply(op.align, op.bold, op.scale)
        printer.text(op.text + "\n")
    elif profile.chinese == "native" and native_chinese(op.text, profile.charset):
        style.apply(op.align, op.bold, op.scale)
        # printer._raw is python-escpos's raw write; text() would mangle Chinese (README)
        printer._raw(FS_CHINESE_ON + op.text.encode(profile.charset) + FS_CHINESE_OFF + b"\n")
    else:  # raster mode, or a rare character the printer's code page lacks
        printer.image(fonts.render_line(op.text, paper.dots, align=op.align, bold=op.bold,
                                        scale=op.scale), impl="bitImageRaster")


class _Style:
    """Send ESC a / ESC E / GS ! only when they change, so the bytes stay short and legible."""

    def __init__(self, printer: Escpos) -> None:
        self.printer = printer
        self.align, self.bold, self.scale = "left", False, 1

    def apply(self, align: str, bold: bool, scale: int) -> None:
        if align != self.align:
            self.printer.set(align=align)
        if bold != self.bold:
            self.printer.set(bold=bold)
        if scale != self.scale:
            # custom_size sends GS ! n, which enlarges Chinese too (ESC ! would not)
            self.printer.set(custom_size=True, width=scale, height=scale)
        self.align, self.bold, self.scale = align, bold, scale


@dataclass(frozen=True)
class PrintResult:
    printed: bool
    before: PrinterStatus
    after: PrinterStatus | None = None
    error: str | None = None  # a msgid when the print failed for a reason other than status
    detail: str = ""  # technical detail for logs and staff, never shown to visitors
    # The whole job reached the printer but the status query after it got no answer:
    # "printed, status unknown". Counted as printed (printing it again could give the
    # visitor two tickets); staff are told to check.
    unconfirmed: bool = False

    @property
    def status(self) -> PrinterStatus:
        return self.after or self.before

    @property
    def reasons(self) -> tuple[str, ...]:
        if self.unconfirmed:
            return (MSG_UNCONFIRMED,)
        return ((self.error,) if self.error else ()) + self.status.reasons


class PrintFailed(RuntimeError):
    def __init__(self, result: PrintResult) -> None:
        super().__init__("; ".join(result.reasons) or "print failed")
        self.result = result


# What a missing, switched-off or unplugged printer raises; anything else is a bug.
PRINTER_ERRORS = (OSError, EscposError, ConnectorUnusable)


def print_ticket(url: str | DeviceURL, content: TicketContent, *,
                 translate: Callable[[str], str] = lambda s: s,
                 timeout: float = 2.0, raise_on_failure: bool = False) -> PrintResult:
    """Check status, print, check again. Device trouble is returned, not raised (unless asked),
    so the kiosk can still show the number and QR code on screen."""
    return _print(url, lambda paper: layout(content, paper, translate), timeout,
                  raise_on_failure)


def print_document(url: str | DeviceURL, content: DocumentContent, *, timeout: float = 2.0,
                   raise_on_failure: bool = False) -> PrintResult:
    """A visitor's paper from a window (document.py), the same way as a ticket: status,
    print, status; trouble returned as a result, so the window can print the page instead."""
    return _print(url, lambda paper: document_layout(content, paper), timeout,
                  raise_on_failure)


def _print(url: str | DeviceURL, ops_for: Callable[[str], Sequence[Op]], timeout: float,
           raise_on_failure: bool) -> PrintResult:
    device = parse(url) if isinstance(url, str) else url
    profile = profile_for(device)
    try:
        data = ticket_bytes(ops_for(profile.paper), profile)
    except fonts.FontMissing as exc:
        result = PrintResult(False, PrinterStatus.unknown(), error=MSG_FONT_MISSING,
                             detail=str(exc))
    else:
        result = _send(device, data, timeout)
    if raise_on_failure and not result.printed:
        raise PrintFailed(result)
    return result


def _send(device: DeviceURL, data: bytes, timeout: float) -> PrintResult:
    try:
        printer = open_printer(device, timeout)
    except PRINTER_ERRORS as exc:
        return PrintResult(False, PrinterStatus.unreachable(), detail=str(exc))
    try:
        return _status_print_status(printer, data, timeout)
    finally:
        printer.close()


def _status_print_status(printer: Escpos, data: bytes, timeout: float) -> PrintResult:
    try:
        before = status.query(printer, timeout)
        if not before.ok:
            return PrintResult(False, before)
        printer._raw(data)  # one write: the whole ticket, cut included
    except PRINTER_ERRORS as exc:
        return PrintResult(False, PrinterStatus.unreachable(), detail=str(exc))
    # The ticket is out of our hands now: whatever follows, it was sent whole. A printer
    # that then stays silent (or drops the line) leaves it "printed, status unknown".
    try:
        after = status.query(printer, timeout)
    except PRINTER_ERRORS as exc:
        return PrintResult(True, before, PrinterStatus.unreachable(), unconfirmed=True,
                           detail=str(exc))
    if not after.answering:
        return PrintResult(True, before, after, unconfirmed=True)
    return PrintResult(after.ok, before, after)


def printer_status(url: str | DeviceURL, timeout: float = 2.0) -> PrinterStatus:
    """Ask the printer at ``url`` how it is (DLE EOT n=1, 2, 4) without printing: for a
    heartbeat, so paper put back in is noticed before the next visitor's ticket. A bad URL
    raises DeviceURLError; a printer that is not there is a status, not an exception."""
    try:
        printer = open_printer(url, timeout)
    except PRINTER_ERRORS:
        return PrinterStatus.unreachable()
    try:
        return status.query(printer, timeout)
    except PRINTER_ERRORS:
        return PrinterStatus.unreachable()
    finally:
        printer.close()
