"""The server printing a ticket itself: the one-box layout, where the kiosk's printer has a
URL the server can reach (``devices.url``, e.g. ``escpos+tcp://192.168.1.50:9100?paper=58``;
profile, paper and Chinese mode ride in the URL's query, see drivers/escpos/README.md). A
window's printer prints the visitor's papers (受理回执 …) the same way: a job whose
``document`` is set carries a ``DocumentContent``, already worded, instead of a ticket.

The blueprint registers this module as ``app.extensions["hall.printer"]``: the printer port
(``hall.services.devices.printing.Printer``) that the JSON API (hall/api/printing.py) hands
to the print service ``print_ticket``, so the core never imports a driver. A print never
blocks the server: over TCP the printer's I/O is a green socket under gevent/eventlet;
serial, USB, file and CUPS printers, and drawing raster tickets, run in gevent's thread
pool (under eventlet they stay green: see ``_thread_pool``). Labels are translated up
front into a table, because the pool's threads have no request context for Flask-Babel.
"""
from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from drivers.escpos import status as escpos_status
from drivers.escpos.document import DocumentContent
from drivers.escpos.printer import (
    MSG_FONT_MISSING,
    MSG_UNCONFIRMED,
    PrintResult,
    print_document,
    printer_status,
    profile_for,
)
from drivers.escpos.printer import print_ticket as driver_print
from drivers.escpos.status import PrinterStatus
from drivers.escpos.ticket import LABELS, TicketContent
from drivers.urls import DeviceURLError, parse
from hall.domain.i18n import N_
from hall.services.devices import health as devices
from hall.services.devices import printing

log = logging.getLogger(__name__)

MSG_BAD_URL = N_("The printer's address is set up wrongly; ask staff to check it")
MSG_INTERNAL = N_("The ticket could not be printed because of an internal error")
# every msgid this module or the driver may hand back: translated in one go per request
MSGIDS = (*LABELS, MSG_FONT_MISSING, MSG_UNCONFIRMED, MSG_BAD_URL, MSG_INTERNAL,
          escpos_status.MSG_SILENT, escpos_status.MSG_UNREACHABLE, escpos_status.MSG_OFFLINE,
          escpos_status.MSG_COVER, escpos_status.MSG_PAPER_END, escpos_status.MSG_NEAR_END,
          escpos_status.MSG_ERROR)
BLOCKING = ("serial", "usb", "file", "cups")  # transports whose I/O is not a green socket
DEFAULT_TIMEOUT = 2.0  # per status reply; a silent printer costs the visitor this once


def run_io(fn: Callable[..., Any], url: str, *args: Any, heavy: bool = False,
           **kwargs: Any) -> Any:
    """Call ``fn`` here, or in the async library's thread pool for a blocking transport or
    ``heavy`` CPU work (drawing raster lines and image QR codes takes 10-80 ms, which would
    otherwise hold every other green thread for that long)."""
    try:
        transport = parse(url).transport
    except DeviceURLError:
        transport = "tcp"  # fn reports the bad URL itself
    if heavy or transport in BLOCKING:
        pool = _thread_pool()
        if pool is not None:
            return pool(fn, *args, **kwargs)
    return fn(*args, **kwargs)


def _heavy(url: str) -> bool:
    """Does this printer's profile make the server draw (raster Chinese, image QR)?"""
    try:
        profile = profile_for(parse(url))
    except DeviceURLError:
        return False
    return profile.chinese == "raster" or not profile.native_qr


def _thread_pool() -> Callable[..., Any] | None:
    """gevent's thread pool when this process runs patched by gevent (each pool thread has
    its own hub, so patched sockets and select work there). eventlet's tpool threads must
    not touch green sockets or green select, which the printer code would, so under
    eventlet the print stays in its green thread: pyserial waits in (green) select, and only
    USB and heavy raster drawing hold the hub for their few milliseconds."""
    monkey = sys.modules.get("gevent.monkey")  # imported only if something patched with it
    if monkey is not None and monkey.is_module_patched("socket"):
        import gevent

        return lambda fn, *a, **kw: gevent.get_hub().threadpool.apply(fn, a, kw)
    return None  # eventlet (see above), or plain threads: a blocked thread blocks only itself


def print_job(ctx, job: dict[str, Any], *, labels: dict[str, str],
              timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """Print a started job (hall.services.devices.printing.start_job) on ``job["url"]`` and record
    the outcome. Returns the finished job plus ``printed``, ``reasons`` (msgids) and the
    printer ``status``; never raises for printer trouble."""
    try:
        content = (DocumentContent.from_json(job["content"]) if job.get("document")
                   else TicketContent.from_json(job["content"]))
        result = run_io(_print, job["url"], job["url"], content, labels, timeout,
                        heavy=_heavy(job["url"]))
    except Exception:  # a bug here must not leave the visitor without an answer
        log.exception("printing job %s failed", job.get("id"))
        result = PrintResult(False, PrinterStatus.unknown(), error=MSG_INTERNAL)
    health = health_of(result)
    finished = printing.finish_job(ctx, job_id=job["id"], printed=result.printed,
                                   error=(result.reasons or (None,))[0], health=health,
                                   unconfirmed=result.unconfirmed).value
    if result.unconfirmed:
        log.warning("ticket %s sent whole to %s, but the printer did not answer after it: "
                    "printed, status unknown %s", job.get("number"), job["url"], result.detail)
    elif not result.printed:
        log.warning("ticket %s not printed on %s: %s %s", job.get("number"), job["url"],
                    "; ".join(result.reasons), result.detail)
    return {**finished, "printed": result.printed, "reasons": list(result.reasons),
            "status": health}


def print_slip(url: str, content: dict[str, Any], *, timeout: float = DEFAULT_TIMEOUT
               ) -> dict[str, Any]:
    """Print a slip that is no ticket's (the test slip of /admin/devices) on ``url``, through
    the same driver path as a ticket's paper (status, print, status); never raises for
    printer trouble. Returns ``printed``, ``reasons`` (msgids) and the printer's ``status``
    as a health report."""
    try:
        result = run_io(_print, url, url, DocumentContent.from_json(content), {}, timeout,
                        heavy=_heavy(url))
    except Exception:  # a bug here must not leave the admin without an answer
        log.exception("printing a test slip on %s failed", url)
        result = PrintResult(False, PrinterStatus.unknown(), error=MSG_INTERNAL)
    if not result.printed:
        log.warning("test slip not printed on %s: %s %s", url, "; ".join(result.reasons),
                    result.detail)
    return {"printed": result.printed, "reasons": list(result.reasons),
            "status": health_of(result)}


def _print(url: str, content: TicketContent | DocumentContent, labels: dict[str, str],
           timeout: float) -> PrintResult:
    try:
        if isinstance(content, DocumentContent):  # worded by the server: nothing to translate
            return print_document(url, content, timeout=timeout)
        return driver_print(url, content, translate=lambda m: labels.get(m, m),
                            timeout=timeout)
    except DeviceURLError as exc:
        return PrintResult(False, PrinterStatus.unknown(), error=MSG_BAD_URL, detail=str(exc))


def health_of(result: PrintResult) -> dict[str, Any]:
    """The printer's status after a print, as a device health report."""
    health = result.status.health()
    if not result.printed:
        health["error"] = (result.reasons or (MSG_INTERNAL,))[0]
    return health


def query_status(url: str, timeout: float = DEFAULT_TIMEOUT) -> PrinterStatus:
    """Ask the printer at ``url`` how it is (DLE EOT), without printing."""

    def ask() -> PrinterStatus:
        try:
            return printer_status(url, timeout)
        except DeviceURLError:
            return PrinterStatus.unknown()

    return run_io(ask, url)


def check_printer(ctx, device_id: int, url: str | None,
                  timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """A kiosk's heartbeat: stamp it seen and, when the server drives its printer, ask the
    printer's status so paper put back in clears the alert without a print."""
    if not url:
        return devices.report_health(ctx, device_id=device_id, health={}).value
    health = query_status(url, timeout).health()
    health.pop("reasons", None)
    return devices.report_health(ctx, device_id=device_id, health=health).value
