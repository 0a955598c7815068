"""The demo hall's ticket printer (``make run``): the ESC/POS emulator from drivers/escpos,
started inside the server process, writing a PNG preview (and a JSON record) of every
ticket under ``instance/tickets/``.

``hall demo`` calls :func:`start_demo_printer` before serving and sets the demo kiosk's
printer URL (``devices.url``) to the URL it returns, so tapping "take a number" on the demo
kiosk goes through the real print path: status queries, GB18030 text, QR, cut.

Under gevent (``hall demo`` patches before importing anything) the emulator's threads are
green threads and its sockets are green sockets, so it shares the server's loop politely.
"""
from __future__ import annotations

import logging
from pathlib import Path

from drivers.escpos.emulator import PrinterEmulator, Recorded

log = logging.getLogger(__name__)
_running: list[PrinterEmulator] = []  # kept alive for the life of the process


def start_demo_printer(instance_dir: str | Path, *, port: int = 0, paper: str = "80",
                       profile: str = "generic") -> tuple[str, list[str]]:
    """Start the emulator on a TCP port of 127.0.0.1 (any free one by default).

    Returns the printer URL for the demo kiosk and the lines ``hall demo`` prints for
    people (where the previews go)."""
    out = Path(instance_dir) / "tickets"
    out.mkdir(parents=True, exist_ok=True)
    emulator = PrinterEmulator(out, paper=paper, on_ticket=_announce)
    bound = emulator.listen_tcp(port)
    emulator.start()
    _running.append(emulator)
    url = f"escpos+tcp://127.0.0.1:{bound}?profile={profile}&paper={paper}"
    return url, [f"Printer      {url} (emulated; previews in {out.resolve()})"]


def stop_demo_printers() -> None:
    while _running:
        _running.pop().stop()


def _announce(rec: Recorded) -> None:
    lines = [line for line in rec.ticket.lines if line.strip("- ")]
    log.info("demo printer: ticket %d %s %s", rec.number, " / ".join(lines[:4]), rec.preview)
