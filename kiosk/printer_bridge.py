"""Agent-side printer bridge: a kiosk's ticket printer that hangs off a PC the server cannot
reach (a USB printer in the kiosk's own PC, a serial one on a cabinet PC), or a window's
printer (a ``printer`` device bound to its counter: ``hall device add --kind printer
--counter 5``, or ``hall pair --kind printer``) that prints the visitor's papers.

It follows hall.agent.bridge: the agent runtime builds it from its table in devices.toml
and hosts it; it acts with the kiosk's device token. The flow, for a kiosk whose device
has no printer URL on the server::

    server  print.requested {device_id, job_id, lang}  → room device:<kiosk id>
    bridge  GET  /api/v1/print-jobs/<id>?lang=…         → content + label texts
            prints it (drivers.escpos: status, ticket, status)
            POST /api/v1/print-jobs/<id>/result          {state, error, status}

On start, and after a resync that was too far behind (snapshot), it asks for the kiosk's
pending jobs, so a job announced while the agent was away is still printed; a job already
answered is skipped. Printing and status queries happen in ``poll`` (the bridge's own green
thread), never in the event callback. Every few seconds ``poll`` also asks the printer's
status (DLE EOT), which ``health`` reports.

devices.toml::

    [[bridges]]
    bridge = "kiosk.printer_bridge:PrinterBridge"   # however the runtime names the class
    token = "<kiosk (or window printer) device token>"
    url = "escpos+usb://0416:5011"                  # or escpos+serial:///dev/ttyUSB0 …
    profile = "generic-58"                          # optional: profile, paper, chinese
"""
from __future__ import annotations

import logging
import time
from collections import OrderedDict, deque
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from drivers.escpos.document import DocumentContent
from drivers.escpos.printer import print_document, print_ticket, printer_status, profile_for
from drivers.escpos.status import PrinterStatus
from drivers.escpos.ticket import TicketContent
from drivers.urls import DeviceURLError, parse
from hall.agent.bridge import Link, LinkError

log = logging.getLogger(__name__)
REMEMBER = 500  # job ids answered lately, so a replayed announcement is not printed twice


class PrinterBridge:
    def __init__(self, token: str, url: str, *, name: str = "", profile: str | None = None,
                 paper: str | int | None = None, chinese: str | None = None,
                 status_every: float = 5.0, timeout: float = 2.0) -> None:
        self.token = token
        self.url = with_options(url, profile=profile, paper=paper, chinese=chinese)
        profile_for(parse(self.url))  # a bad URL or profile fails here, at start-up
        self.name = name or f"printer {self.url}"
        self.status_every, self.timeout = float(status_every), float(timeout)
        self.link: Link | None = None
        self.device_id: int | None = None
        self.queue: deque[tuple[int, str | None]] = deque()
        self.answered: OrderedDict[int, str] = OrderedDict()
        self.status: PrinterStatus | None = None
        self.errors = 0
        self.last_error: str | None = None
        self._next_status = 0.0
        self._want_pending = False
        self.test_slip: dict[str, Any] | None = None  # asked for by /admin/devices
        self.test: dict[str, Any] | None = None  # its outcome, in the health reports

    # ---- the Bridge protocol ---------------------------------------------------------
    def start(self, link: Link, me: dict[str, Any]) -> None:
        self.link, self.device_id = link, int(me["id"])
        self._want_pending = True

    def rooms(self) -> list[str]:
        return [f"device:{self.device_id}"]

    def on_event(self, event: dict[str, Any]) -> None:
        if event.get("type") == "device.test" and event.get("device_id") == self.device_id \
                and isinstance(event.get("slip"), dict):
            self.test_slip = event["slip"]  # /admin/devices' test button: poll prints it
            return
        if event.get("type") != "print.requested" or event.get("device_id") != self.device_id:
            return
        job_id = event.get("job_id")
        if isinstance(job_id, int):
            self._enqueue(job_id, event.get("lang"))

    def on_snapshot(self, room: str, snapshot: dict[str, Any]) -> None:
        self._want_pending = True  # events were lost: ask what is still waiting

    def poll(self) -> None:
        if self.test_slip is not None:
            self._print_test()
        if self._want_pending:
            self._fetch_pending()
        while self.queue:
            job_id, lang = self.queue.popleft()
            self._print(job_id, lang)
        if time.monotonic() >= self._next_status:
            self._next_status = time.monotonic() + self.status_every
            self.status = printer_status(self.url, self.timeout)
            if not self.status.ok:
                self.last_error = self.status.health()["error"]

    def _print_test(self) -> None:
        """The test slip, the way a job's paper prints; the outcome (``test``: ok, or the
        printer's reason) goes out with the next health report."""
        slip, self.test_slip = self.test_slip, None
        try:
            result = print_document(self.url, DocumentContent.from_json(slip),
                                    timeout=self.timeout)
            error = None if result.printed else "; ".join(result.reasons) or "not printed"
            self.status = result.status
        except (KeyError, TypeError, ValueError) as exc:
            error = f"unreadable test slip: {exc}"
        self.test = {"ok": error is None, "error": error,
                     "at": datetime.now(UTC).isoformat()}

    def health(self) -> dict[str, Any]:
        if self.status is None:
            return {"paper": "unknown", "errors": self.errors, "test": self.test}
        health = self.status.health()
        health.pop("reasons", None)
        health["errors"] = self.errors
        if not self.status.ok:
            health["error"] = health.get("error") or self.last_error
        health["test"] = self.test
        return health

    def close(self) -> None:
        """Nothing stays open between prints: each job and status query opens the port."""

    # ---- jobs ------------------------------------------------------------------------
    def _enqueue(self, job_id: int, lang: str | None) -> None:
        if job_id in self.answered or any(j == job_id for j, _ in self.queue):
            return
        self.queue.append((job_id, lang if lang in ("zh_CN", "en") else None))

    def _fetch_pending(self) -> None:
        assert self.link is not None
        try:
            answer = self.link.call("GET", "/print-jobs?state=pending") or {}
        except (LinkError, OSError) as exc:
            log.warning("%s: cannot list pending jobs yet: %s", self.name, exc)
            return
        self._want_pending = False
        for job in answer.get("jobs", []):
            self._enqueue(int(job["id"]), None)

    def _print(self, job_id: int, lang: str | None) -> None:
        assert self.link is not None
        query = f"?lang={lang}" if lang else ""
        try:
            job = self.link.call("GET", f"/print-jobs/{job_id}{query}") or {}
        except LinkError as exc:
            if exc.status in (403, 404):
                log.warning("%s: job %s is not ours or gone: %s", self.name, job_id, exc)
                self._remember(job_id, "gone")
            else:  # the server is busy or down: try again on the next poll
                self.queue.appendleft((job_id, lang))
            return
        except OSError:
            self.queue.appendleft((job_id, lang))
            return
        if job.get("state") != "pending":
            self._remember(job_id, str(job.get("state")))
            return
        labels = job.get("labels") or {}
        try:
            content = (DocumentContent.from_json(job["content"]) if job.get("document")
                       else TicketContent.from_json(job["content"]))
        except (KeyError, TypeError, ValueError) as exc:
            log.error("%s: job %s has unreadable content: %s", self.name, job_id, exc)
            self._answer(job_id, False, "The ticket's content could not be read", None)
            return
        if isinstance(content, DocumentContent):  # worded by the server already
            result = print_document(self.url, content, timeout=self.timeout)
        else:
            result = print_ticket(self.url, content, translate=lambda m: labels.get(m, m),
                                  timeout=self.timeout)
        self.status = result.status
        self._next_status = time.monotonic() + self.status_every
        error = None if result.printed else (result.reasons or ("not printed",))[0]
        if not result.printed:
            self.errors += 1
            self.last_error = error
            log.warning("%s: job %s not printed: %s %s", self.name, job_id, error,
                        result.detail)
        if result.unconfirmed:
            log.warning("%s: job %s sent whole, but the printer did not answer after it: "
                        "printed, status unknown", self.name, job_id)
        self._answer(job_id, result.printed, error, result.status, result.unconfirmed)

    def _answer(self, job_id: int, printed: bool, error: str | None,
                status: PrinterStatus | None, unconfirmed: bool = False) -> None:
        assert self.link is not None
        health: dict[str, Any] = {} if status is None else status.health()
        health.pop("reasons", None)
        health["errors"] = self.errors
        if error:
            health["error"] = error
        body = {"state": "printed" if printed else "failed",
                "error": error[:200] if error else None,
                "status": {k: v for k, v in health.items() if v is not None}}
        if unconfirmed:
            body["unconfirmed"] = True
        self._remember(job_id, body["state"])
        try:  # buffered: a result must reach the server even across a reconnect
            self.link.call("POST", f"/print-jobs/{job_id}/result", body, buffer=True)
        except LinkError as exc:
            log.warning("%s: the server refused the result of job %s: %s", self.name, job_id,
                        exc)

    def _remember(self, job_id: int, outcome: str) -> None:
        self.answered[job_id] = outcome
        while len(self.answered) > REMEMBER:
            self.answered.popitem(last=False)


def with_options(url: str, **options: object) -> str:
    """``url`` with the printer options the bridge's table gives (profile, paper, chinese)
    added to its query, so the driver reads one URL as everywhere else. A pyserial URL
    inside (``escpos+serial:socket://…?…``) has the only query, which the driver reads too."""
    extra = {k: str(v) for k, v in options.items() if v is not None}
    if not extra:
        return url
    if parse(url).protocol != "escpos":
        raise DeviceURLError(f"{url}: a printer URL starts with escpos+")
    base, _, query = url.partition("?")
    return f"{base}?{urlencode(dict(parse_qsl(query, keep_blank_values=True)) | extra)}"
