"""Real-time printer status (DLE EOT n), decoded into what a kiosk can say to a person.

Bytes (Epson TM-T88III / TM-L60II technical references; Chinese clones answer the same)::

    query  10 04 n          reply: one byte, bits 1 and 4 set, bits 0 and 7 clear (0x12 mask 0x93)
    n=1 printer   0x08 offline
    n=2 offline   0x04 cover open, 0x08 paper fed by button, 0x20 stopped at paper end,
                  0x40 error
    n=4 paper     0x0C near end (bits 2+3), 0x60 paper end (bits 5+6)

A transport that cannot read (file, CUPS, Dummy) gives an *unknown* status, which does not
stop a print: the hall would rather try than refuse. A printer that can answer but stays
silent is treated as offline (switched off, unplugged, or hung).
"""
from __future__ import annotations

import socket
from dataclasses import dataclass

from escpos.escpos import Escpos

from drivers.i18n import N_

DLE_EOT = b"\x10\x04"
QUERIES = (1, 2, 4)

OFFLINE = 0x08
COVER_OPEN, PAPER_END_STOP, ERROR = 0x04, 0x20, 0x40
NEAR_END, PAPER_END = 0x0C, 0x60

MSG_SILENT = N_("The printer does not answer: check that it is switched on and connected")
MSG_UNREACHABLE = N_("Cannot reach the printer")
MSG_OFFLINE = N_("The printer is offline")
MSG_COVER = N_("The printer cover is open")
MSG_PAPER_END = N_("The printer is out of paper")
MSG_NEAR_END = N_("The printer paper is running low")
MSG_ERROR = N_("The printer reports an error (paper jam or cutter)")


@dataclass(frozen=True)
class PrinterStatus:
    online: bool = True
    cover_open: bool = False
    paper_end: bool = False
    paper_near_end: bool = False
    error: bool = False
    known: bool = True  # False: the transport cannot read replies, so nothing was asked
    answering: bool = True  # False: asked, but no valid reply (or no connection at all)
    reachable: bool = True

    @classmethod
    def unknown(cls) -> PrinterStatus:
        return cls(known=False)

    @classmethod
    def unreachable(cls) -> PrinterStatus:
        return cls(online=False, answering=False, reachable=False)

    @property
    def ok(self) -> bool:
        """Can a ticket be printed now? (Paper near end still prints.)"""
        return self.online and not (self.cover_open or self.paper_end or self.error)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Plain-language msgids, worst first; translate with the hall's gettext."""
        if not self.reachable:
            return (MSG_UNREACHABLE,)
        if not self.answering:
            return (MSG_SILENT,)
        out = [msg for flag, msg in ((self.paper_end, MSG_PAPER_END),
                                     (self.cover_open, MSG_COVER), (self.error, MSG_ERROR))
               if flag]
        if not self.online and not out:
            out.append(MSG_OFFLINE)
        if self.paper_near_end and not self.paper_end:
            out.append(MSG_NEAR_END)
        return tuple(out)

    def health(self) -> dict[str, object]:
        """The fields a ``device.health`` report carries, in hall.services.devices.health' words:
        ``paper`` ok | near_end | out | unknown, ``error`` the worst reason (a msgid) while
        the printer cannot print, else None (which clears the last one)."""
        paper = ("unknown" if not (self.known and self.answering) else
                 "out" if self.paper_end else "near_end" if self.paper_near_end else "ok")
        reasons = self.reasons
        # Printers set the offline bit at paper end and with the cover open; they still
        # answer, and the hall should hear "paper out", not "offline".
        online = self.reachable and self.answering and (
            self.online or self.paper_end or self.cover_open)
        return {"online": online, "paper": paper, "cover_open": self.cover_open,
                "printer_error": self.error, "known": self.known, "ok": self.ok,
                "error": None if self.ok else (reasons[0] if reasons else MSG_OFFLINE),
                "reasons": list(reasons)}


def valid(byte: int | None) -> bool:
    return byte is not None and byte & 0x93 == 0x12


def decode(printer: int | None, offline: int | None, paper: int | None) -> PrinterStatus:
    """Status from the replies to n=1, 2, 4 (None where nothing came back)."""
    if not valid(printer):
        return PrinterStatus(online=False, answering=False)
    off = offline if valid(offline) else 0x12
    pap = paper if valid(paper) else 0x12
    assert printer is not None and off is not None and pap is not None
    return PrinterStatus(
        online=not printer & OFFLINE,
        cover_open=bool(off & COVER_OPEN),
        paper_end=bool(pap & PAPER_END) or bool(off & PAPER_END_STOP),
        paper_near_end=bool(pap & NEAR_END),
        error=bool(off & ERROR),
    )


def can_read(printer: Escpos) -> bool:
    """Only connectors that override ``_read`` hear replies (Network, Serial, Usb).
    CupsPrinter's ``_read`` reports the queue's state, not the printer's: not a reply."""
    reader = type(printer)._read
    return reader is not Escpos._read and type(printer).__name__ != "CupsPrinter"


def query(printer: Escpos, timeout: float = 1.0) -> PrinterStatus:
    """Ask n=1, 2, 4 in turn; stop at the first silence (a silent printer stays silent)."""
    if not can_read(printer):
        return PrinterStatus.unknown()
    _drain(printer)
    replies: list[int | None] = []
    for n in QUERIES:
        printer._raw(DLE_EOT + bytes((n,)))  # python-escpos's only raw write
        replies.append(_read_byte(printer, timeout))
        if replies[-1] is None:
            break
    replies += [None] * (len(QUERIES) - len(replies))
    return decode(*replies)


def _read_byte(printer: Escpos, timeout: float) -> int | None:
    dev = printer.device
    if isinstance(dev, socket.socket):
        previous = dev.gettimeout()
        dev.settimeout(timeout)
        try:
            data = dev.recv(1)
        except TimeoutError:
            data = b""
        finally:
            dev.settimeout(previous)
    elif hasattr(dev, "in_waiting"):  # pyserial: read(16) would wait out the whole timeout
        previous = dev.timeout
        dev.timeout = timeout
        try:
            data = dev.read(1)
        finally:
            dev.timeout = previous
    else:  # USB: one bulk read returns whatever the printer sent; a timeout is an OSError
        try:
            data = bytes(printer._read())
        except OSError:
            data = b""
    return data[-1] if data else None


def _drain(printer: Escpos) -> None:
    """Drop stale bytes (a late reply, automatic status back) so replies pair with queries."""
    dev = printer.device
    if isinstance(dev, socket.socket):
        previous = dev.gettimeout()
        dev.settimeout(0)
        try:
            while dev.recv(64):
                pass
        except (BlockingIOError, TimeoutError):
            pass
        finally:
            dev.settimeout(previous)
    elif hasattr(dev, "reset_input_buffer"):
        dev.reset_input_buffer()
