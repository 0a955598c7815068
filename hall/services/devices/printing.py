"""Print jobs: a ticket sent to a printer, and what came of it.

A job is created *after* its ticket is committed (the ticket never depends on the printer),
for one device: a kiosk whose printer the server drives itself (``devices.url`` is an
``escpos+…`` URL), or one whose printer hangs off an agent PC (no URL: the job is announced
as ``print.requested`` to room ``device:<id>``, the agent fetches its content and answers).
Either way the result is recorded here: the job becomes ``printed`` or ``failed`` with the
reason, and the printer's status goes into the device's health (hall.services.devices.health),
which emits ``device.health`` and opens or clears the ``alert``. A failed job never loses
its ticket; a reprint is a new job for the same ticket.

A job may also print the paper a finished visit produced (``document``: 受理回执,
不予受理通知书, 一次性告知书, worded by hall.services.cases.documents) on its window's
printer: a ``printer`` device bound to that counter, driven by the server (its URL) or by an
agent's printer bridge (its token), the same two ways as a kiosk's.

No driver is imported here (the core never imports one): the content is plain data, which
the kiosk blueprint or the agent turns into bytes. ``print_ticket`` is the whole one-box
path a view calls once; the printer reaches it as a port (``Printer``) that the kiosk
blueprint installs as ``app.extensions["hall.printer"]``.
"""
from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import insert, select, update

from hall.domain.access import SYSTEM, Actor
from hall.domain.errors import DomainError, Forbidden, NotFound
from hall.domain.i18n import N_
from hall.services import repo
from hall.services.cases import documents
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.services.devices import health as devices
from hall.services.queue import standing
from hall.services.supervision import alerts
from hall.services.views import phone_url
from hall.store.models import Device, PrintJob, Ticket

PRINTER_KINDS = ("kiosk", "agent", "printer")  # devices a printer can hang off
NOT_PRINTABLE = ("cancelled", "done", "rated", "transferred")
LABEL_PRIORITY = N_("Green channel")
LABEL_APPOINTMENT = N_("Appointment")
MSG_PRINTED = N_("Your ticket has been printed. Please take it from the slot below.")
MSG_PENDING = N_("Your ticket is being printed.")
# what a "printed, status unknown" job says to staff (the same msgid as the driver's reason)
MSG_UNCONFIRMED = N_("Printed, but the printer did not answer afterwards: check that the "
                     "ticket came out")
MSG_FAILED = N_("Your ticket could not be printed: %(reason)s. Your number is on the "
                "screen: please note it, or scan the code with your phone. Staff have been "
                "told.")
# what the window's staff are told about a document's print
MSG_DOC_PRINTED = N_("%(document)s printed at the window's printer")
MSG_DOC_PENDING = N_("%(document)s sent to the window's printer")
MSG_DOC_FAILED = N_("%(document)s could not be printed: %(reason)s. Print the page instead.")
Translate = Callable[[str], str]
BREAKS = "\t\n\r\v\f"  # printed as spaces
UNPRINTABLE = ("Cc", "Cf", "Cs", "Co")  # control, format, surrogate, private use: dropped


class Printer(Protocol):
    """The server's own printing (kiosk/printing.py): prints a started job on its URL and
    records the outcome with ``finish_job``; never raises for printer trouble."""

    DEFAULT_TIMEOUT: float
    MSGIDS: tuple[str, ...]  # every label and printer message it may hand back

    def print_job(self, ctx: Context, job: dict[str, Any], *, labels: dict[str, str],
                  timeout: float) -> dict[str, Any]: ...

    def print_slip(self, url: str, content: dict[str, Any], *, timeout: float
                   ) -> dict[str, Any]: ...


def print_ticket(ctx: Context, *, ticket_id: int, actor: Actor, device_id: int | None,
                 base_url: str, lang: str, printer: Printer | None, labels: dict[str, str],
                 translate: Translate, timeout: float | None = None,
                 document: str | None = None) -> dict[str, Any]:
    """Print a ticket (or reprint it), or with ``document`` the paper its visit produced on
    its window's printer, and say how it went, in ``lang``.

    Two transactions with the printer's I/O between them and none held open across it:
    the job is committed first (``start_job``), so a printer that hangs or fails never
    loses the ticket or its job; then, when the server drives this device's printer,
    ``printer`` prints and records the outcome (``finish_job``). Without a URL or a
    printer the job stays ``pending`` for the agent. ``labels`` are the printer's texts
    already translated (a print may run in a thread with no request context);
    ``translate`` gives the visitor's message and any reason the table lacks."""
    job = start_job(ctx, ticket_id=ticket_id, actor=actor, device_id=device_id,
                    base_url=base_url, translate=translate, english=lang == "en",
                    lang=lang, document=document).value
    content, url = job.pop("content"), job.pop("url")
    out: dict[str, Any] = {"job": job, "state": "pending", "printed": None, "reasons": [],
                           "status": None, "qr_url": content["qr_url"], "lang": lang}
    if url and printer is not None:
        done = printer.print_job(ctx, {**job, "url": url, "content": content}, labels=labels,
                                 timeout=printer.DEFAULT_TIMEOUT if timeout is None else timeout)
        reasons, status, printed = done.pop("reasons"), done.pop("status"), done.pop("printed")
        out.update(job=done, state=done["state"], printed=printed,
                   status={k: v for k, v in status.items() if k != "reasons"},
                   reasons=[labels.get(r) or translate(r) for r in reasons])
    out["message"] = (staff_message(out["state"], out["reasons"], content["title"], translate)
                      if document else visitor_message(out["state"], out["reasons"], translate))
    return out


def visitor_message(state: str, reasons: list[str], translate: Translate) -> str:
    """What the kiosk tells the visitor about their ticket's print."""
    if state == "printed":
        return translate(MSG_PRINTED)
    if state == "failed":
        return translate(MSG_FAILED) % {"reason": reasons[0] if reasons else "?"}
    return translate(MSG_PENDING)


def staff_message(state: str, reasons: list[str], title: str, translate: Translate) -> str:
    """What the terminal tells the window's staff about a document's print."""
    if state == "printed":
        return translate(MSG_DOC_PRINTED) % {"document": title}
    if state == "failed":
        return translate(MSG_DOC_FAILED) % {"document": title,
                                            "reason": reasons[0] if reasons else "?"}
    return translate(MSG_DOC_PENDING) % {"document": title}


def start_job(ctx: Context, *, ticket_id: int, actor: Actor, device_id: int | None = None,
              base_url: str, translate: Translate = lambda s: s, english: bool = False,
              lang: str | None = None, document: str | None = None) -> Result:
    """Create a pending job and return it with the printer URL and the ticket's content
    (or, with ``document``, that paper's, for the window's printer).

    Without a printer URL the job is announced (``print.requested``) for an agent."""

    def command(uow: UnitOfWork) -> dict[str, Any]:
        if document is None:
            ticket = _ticket(uow, ticket_id, actor)
            device = _device(uow, ticket, actor, device_id)
        else:
            ticket = documents.printable(uow.conn, ticket_id, actor, document)
            device = _window_device(uow, ticket)
        j = PrintJob.__table__
        job_id = uow.conn.execute(insert(j).values(
            hall_id=ticket.hall_id, ticket_id=ticket.id, device_id=device.id, state="pending",
            attempts=0, requested_by=actor.audit()[:60], created_at=uow.now,
            document=document).returning(j.c.id)).scalar_one()
        if not device.url:
            uow.emit("print.requested", ticket.hall_id, device_id=device.id, job_id=job_id,
                     job={"id": job_id, "ticket_id": ticket.id, "number": ticket.number},
                     lang=lang)
        job = _view(uow.conn.execute(select(j).where(j.c.id == job_id)).one(), ticket.number)
        return {**job, "url": device.url,
                "content": _paper(uow, ticket, document, base_url, translate, english)}

    return run(ctx, command)


def finish_job(ctx: Context, *, job_id: int, printed: bool, error: str | None = None,
               health: dict[str, Any] | None = None, actor: Actor | None = None,
               unconfirmed: bool = False) -> Result:
    """Record a job's outcome and the printer's status (its device's health).

    ``actor`` (an agent answering) must be the job's device or an agent of its hall; the
    server's own printing passes None. A job is finished once: a second answer is refused.
    ``unconfirmed``: the job reached the printer whole but its status query after it got
    no answer — "printed, status unknown". It is recorded as printed (the visitor is told
    so and nothing prints it again by itself) and flagged for staff with a
    ``print_unconfirmed`` alert naming the ticket, to check the slot and reprint if need be.
    """

    def command(uow: UnitOfWork) -> dict[str, Any]:
        j = PrintJob.__table__
        row = repo.owned(uow.conn, j, job_id, actor or SYSTEM, what="print_job",
                         field="job_id", lock=True)
        if actor is not None:
            _may_answer(actor, row)
        if row.state != "pending":
            raise DomainError("job_finished", N_("This print job was already %(state)s"),
                              "job_id", state=row.state)
        flagged = printed and unconfirmed
        state = "printed" if printed else "failed"
        uow.conn.execute(update(j).where(j.c.id == row.id).values(
            state=state, attempts=row.attempts + 1, done_at=uow.now, unconfirmed=flagged,
            error=(MSG_UNCONFIRMED if flagged else None if printed else
                   (error or N_("The ticket was not printed"))[:200])))
        if row.device_id is not None:
            _record_health(uow, row.device_id, health or {}, printed, error,
                           "unconfirmed" if flagged else None)
        number = uow.conn.execute(select(Ticket.number).where(Ticket.id == row.ticket_id)
                                  ).scalar_one()
        if flagged:
            _flag_for_staff(uow, row, number)
        return _view(uow.conn.execute(select(j).where(j.c.id == row.id)).one(), number)

    return run(ctx, command)


def _flag_for_staff(uow: UnitOfWork, job: Any, number: str) -> None:
    """The alert that asks staff to check a "printed, status unknown" job (one per job)."""
    d = Device.__table__
    device = uow.conn.execute(select(d.c.name, d.c.kind, d.c.counter_id)
                              .where(d.c.id == job.device_id)).first()
    alerts.raise_alert(uow, job.hall_id, f"print:{job.id}", "print_unconfirmed", "warning",
                       counter_id=device.counter_id if device else None,
                       ticket_id=job.ticket_id, device_id=job.device_id, number=number,
                       device=(device.name or device.kind) if device else "?", job_id=job.id)


def _record_health(uow: UnitOfWork, device_id: int, health: dict[str, Any], printed: bool,
                   error: str | None, last_print: str | None = None) -> None:
    """The status the printer gave, with a running count of failed prints (``errors``)
    unless the reporter keeps its own count."""
    report = {k: v for k, v in health.items() if k != "reasons"}
    if "errors" not in report:
        old = uow.conn.execute(select(Device.health).where(Device.id == device_id)
                               ).scalar_one_or_none() or {}
        report["errors"] = int(old.get("errors", 0) or 0) + (0 if printed else 1)
    if not printed:
        report["error"] = report.get("error") or error or N_("The ticket was not printed")
    report["last_print"] = last_print or ("printed" if printed else "failed")
    devices.record(uow, device_id, report)


def job(ctx: Context, *, job_id: int, actor: Actor, base_url: str,
        translate: Translate = lambda s: s, english: bool = False) -> dict[str, Any]:
    """A job with its ticket's content, for the agent that prints it (or staff)."""

    def query(uow: UnitOfWork) -> dict[str, Any]:
        j = PrintJob.__table__
        row = repo.owned(uow.conn, j, job_id, actor, what="print_job", field="job_id")
        if not actor.is_staff:
            _may_answer(actor, row)
        ticket = repo.ticket_row(uow.conn, row.ticket_id, row.hall_id, lock=False)
        return {**_view(row, ticket.number),
                "content": _paper(uow, ticket, row.document, base_url, translate, english)}

    return read(ctx, query)


def jobs(ctx: Context, *, actor: Actor, state: str | None = "pending",
         device_id: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """A device's jobs (its own; an agent names the device), or the hall's for staff;
    oldest first, so an agent back from a reconnect prints them in order."""

    def query(uow: UnitOfWork) -> list[dict[str, Any]]:
        j, t = PrintJob.__table__, Ticket.__table__
        stmt = (select(j, t.c.number).select_from(j.join(t, t.c.id == j.c.ticket_id))
                .where(j.c.hall_id == actor.hall_id).order_by(j.c.id).limit(limit))
        if actor.kind == "device" and actor.role != "agent":
            if device_id not in (None, actor.id):
                raise Forbidden(N_("A device sees only its own print jobs"), "device_id")
            stmt = stmt.where(j.c.device_id == actor.id)
        elif actor.kind == "device" or device_id is not None:
            stmt = stmt.where(j.c.device_id == (device_id or actor.id))
        elif not actor.is_staff:
            raise Forbidden(N_("Sign in first"), "authorization")
        if state == "unconfirmed":  # printed, status unknown: the ones staff should check
            stmt = stmt.where(j.c.state == "printed", j.c.unconfirmed.is_(True))
        elif state is not None:
            stmt = stmt.where(j.c.state == state)
        return [_view(r, r.number) for r in uow.conn.execute(stmt)]

    return read(ctx, query)


# ---- rules -------------------------------------------------------------------------


def _ticket(uow: UnitOfWork, ticket_id: int, actor: Actor) -> Any:
    if not (actor.is_staff or (actor.kind == "device" and actor.role in PRINTER_KINDS)):
        raise Forbidden(N_("Only staff, kiosks and agents print tickets"), "authorization")
    ticket = repo.ticket_row(uow.conn, ticket_id, actor, lock=False, field="ticket_id")
    if actor.kind == "device" and actor.role == "kiosk" and ticket.issued_by != actor.audit():
        raise Forbidden(N_("A kiosk prints only the tickets it issued"), "ticket_id")
    if ticket.state in NOT_PRINTABLE:
        raise DomainError("ticket_not_printable",
                          N_("Ticket %(number)s is %(state)s: there is nothing to print"),
                          "ticket_id", number=ticket.number, state=ticket.state)
    return ticket


def _device(uow: UnitOfWork, ticket: Any, actor: Actor, device_id: int | None) -> Any:
    """The printer's device: a kiosk prints on itself; staff name one, or by default the
    device of the ticket's last job, or the kiosk that issued it."""
    if actor.kind == "device" and actor.role == "kiosk":
        if device_id not in (None, actor.id):
            raise Forbidden(N_("A kiosk prints only on its own printer"), "device_id")
        device_id = actor.id
    if device_id is None:
        j = PrintJob.__table__
        device_id = uow.conn.execute(select(j.c.device_id).where(
            j.c.ticket_id == ticket.id, j.c.device_id.is_not(None))
            .order_by(j.c.id.desc()).limit(1)).scalar()
    if device_id is None and (ticket.issued_by or "").startswith("device:kiosk:"):
        device_id = int(ticket.issued_by.rsplit(":", 1)[1])
    if device_id is None:
        raise DomainError("printer_required", N_("Choose the kiosk whose printer to use"),
                          "device_id")
    d = Device.__table__
    device = uow.conn.execute(select(d.c.id, d.c.hall_id, d.c.kind, d.c.url)
                              .where(d.c.id == device_id, d.c.revoked_at.is_(None))).first()
    if device is None or device.hall_id != ticket.hall_id or device.kind not in PRINTER_KINDS:
        raise NotFound("printer", "device_id")
    return device


def window_printer(conn, counter_id: int | None) -> Any | None:
    """The window's own printer: the newest live ``printer`` device bound to the counter."""
    d = Device.__table__
    return conn.execute(select(d.c.id, d.c.hall_id, d.c.kind, d.c.name, d.c.url).where(
        d.c.counter_id == counter_id, d.c.kind == "printer", d.c.revoked_at.is_(None))
        .order_by(d.c.id.desc()).limit(1)).first() if counter_id is not None else None


def _window_device(uow: UnitOfWork, ticket: Any) -> Any:
    device = window_printer(uow.conn, ticket.counter_id)
    if device is None:
        raise DomainError("printer_required",
                          N_("This window has no printer: print the page instead"), "document")
    return device


def _may_answer(actor: Actor, job: Any) -> None:
    if actor.kind == "device" and (actor.id == job.device_id or actor.role == "agent"):
        return
    raise Forbidden(N_("Only the printer's own device handles this print job"), "job_id")


# ---- views -------------------------------------------------------------------------


def _view(row: Any, number: str) -> dict[str, Any]:
    return {"id": row.id, "ticket_id": row.ticket_id, "number": number,
            "device_id": row.device_id, "document": row.document, "state": row.state,
            "unconfirmed": bool(row.unconfirmed), "attempts": row.attempts,
            "error": row.error, "requested_by": row.requested_by,
            "created_at": row.created_at.isoformat(),
            "done_at": row.done_at.isoformat() if row.done_at else None}


def _paper(uow: UnitOfWork, ticket: Any, document: str | None, base_url: str, _: Translate,
           english: bool) -> dict[str, Any]:
    """What goes on the paper: the ticket, or the document its visit produced — with no
    control character in any text (``printable``), whoever wrote it."""
    if document is not None:
        return printable(documents.content(uow, ticket, document, base_url, _, english))
    return printable(_content(uow, ticket, base_url, _, english))


def printable(value: Any) -> Any:
    """``value`` with every control character out of its texts, in dicts and lists too: a
    hall name, note or reason set by an admin must never reach a printer as a command
    (ESC @ resets it, GS V cuts the paper). Line breaks and tabs become spaces; the
    printer's layout wraps the text itself."""
    if isinstance(value, str):
        if value.isprintable():  # the common case, at C speed
            return value
        return "".join(" " if ch in BREAKS else ch for ch in value
                       if ch in BREAKS or unicodedata.category(ch) not in UNPRINTABLE)
    if isinstance(value, dict):
        return {key: printable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [printable(item) for item in value]
    return value


def _content(uow: UnitOfWork, ticket: Any, base_url: str, _: Translate,
             english: bool) -> dict[str, Any]:
    """What goes on the paper (drivers.escpos.ticket.TicketContent as JSON): the queue
    facts as of now, the issue time in the hall's zone, the materials to bring."""
    config = repo.hall_config(uow, ticket.hall_id)
    svc = repo.service_row(uow.conn, ticket.hall_id, ticket.service_id)
    ahead, wait = 0, (0, 0)
    if ticket.state == "waiting":
        est = standing.estimate_for(uow.conn, ticket._asdict(), svc, uow.ctx.cache)
        ahead, span = est["ahead"], est["estimated_wait"]
        # None: no window serves the service now, and the slip says so (暂无窗口办理)
        wait = None if span is None else (span["min_s"] // 60, math.ceil(span["max_s"] / 60))
    materials = (svc.guide or {}).get("materials") or []
    kind, reason = "", ""
    if ticket.kind == "priority":
        kind, reason = _(LABEL_PRIORITY), ticket.priority_reason or ""
    elif ticket.kind == "appointment":
        kind = _(LABEL_APPOINTMENT)
        if ticket.appointment_at is not None:
            reason = f"{config.settings.local(ticket.appointment_at):%H:%M}"
    hall = config.row
    notes = (hall.settings or {}).get("ticket_notes") or []
    return {
        "hall_name": (hall.name_en if english and hall.name_en else hall.name),
        "service_name": (svc.name_en if english and svc.name_en else svc.name),
        "number": ticket.number, "people_ahead": ahead,
        "wait_minutes": None if wait is None else list(wait),
        "issued_at": config.settings.local(ticket.issued_at).isoformat(),
        "qr_url": phone_url(_base(uow, ticket.hall_id, base_url), ticket.token),
        "materials": [materials] if isinstance(materials, str) else list(materials),
        "kind": kind, "kind_reason": reason,
        "extra": [notes] if isinstance(notes, str) else list(notes),
    }


def phone_link(ctx: Context, token: str, fallback: str) -> str:
    """The phone-page URL of the ticket with ``token``, as its printed QR code has it."""

    def query(uow: UnitOfWork) -> str:
        hall_id = uow.conn.execute(select(Ticket.hall_id).where(Ticket.token == token)
                                   ).scalar()
        if hall_id is None:
            raise NotFound("ticket", "token")
        return phone_url(_base(uow, hall_id, fallback), token)

    return read(ctx, query)


def _base(uow: UnitOfWork, hall_id: int, fallback: str) -> str:
    return repo.public_base(uow, hall_id, fallback)


def printer_url(ctx: Context, device_id: int) -> str | None:
    """The URL of the printer the server drives for this device (None: an agent's)."""
    return read(ctx, lambda uow: uow.conn.execute(
        select(Device.url).where(Device.id == device_id)).scalar())


def set_printer(ctx: Context, *, device_id: int, url: str | None) -> Result:
    """Point a kiosk, agent or window printer at the printer the server drives for it; None:
    its printer hangs off an agent. ``hall demo`` uses it for the emulated printer, whose
    port changes from run to run. The URL is checked by the driver when it is used (the core
    imports no driver); a bad one fails the print with a reason, never the ticket."""

    def command(uow: UnitOfWork) -> dict[str, Any]:
        d = Device.__table__
        row = uow.conn.execute(select(d.c.id, d.c.kind).where(d.c.id == device_id)).first()
        if row is None:
            raise NotFound("device", "device_id")
        if row.kind not in PRINTER_KINDS:
            raise DomainError("not_a_printer_host",
                              N_("Only kiosks, agents and window printers drive printers"),
                              "device_id")
        uow.conn.execute(update(d).where(d.c.id == device_id).values(url=url or None))
        return {"id": device_id, "url": url or None}

    return run(ctx, command)
