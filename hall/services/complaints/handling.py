"""Handling a complaint (issue 19 item 2): a supervisor takes it, replies, the complainant
answers on their page (satisfied or not: "not" reopens it once), a supervisor closes it.

The reply reaches the complainant on their page (the complaint's token, and the phone page
of the ticket it was filed from); when they left a phone number and the hall sends text
messages (``[hall.notify] provider``), a message saying the complaint is answered is written
to the outbox under that provider's topic (``notify.sms.<provider>``, template kind
``complaint_reply``) in the reply's own transaction, for its SMS adapter to send; a hall
that sends none has the reply on the page only. Closing erases the number from the
complaint and from its messages already sent or failed. ``upheld`` (属实) is recorded at
the reply or at closing: the efficiency supervision (效能告诫, assessment) reads it from
there. Overdue complaints are alerts: ``hall/services/supervision/watch_rules.py`` (the
``complaint_overdue`` rule).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from hall.domain import complaints as domain
from hall.domain.access import Actor
from hall.domain.errors import DomainError, Forbidden
from hall.domain.i18n import N_
from hall.domain.notify import COMPLAINT_REPLY, PROVIDERS, NotifySettings, message
from hall.services import repo
from hall.services.complaints import views
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.services.outbox import store as outbox
from hall.store.models import Complaint, OutboxRow, Ticket

SUPERVISORS = ("supervisor", "admin")
FILTERS = ("active", "all", *domain.STATES)  # active: not closed


def _require_supervisor(actor: Actor) -> None:
    if not (actor.is_staff and actor.role in SUPERVISORS):
        raise Forbidden(N_("Only supervisors handle complaints"), "authorization")


# --- reads --------------------------------------------------------------------------------

def list_complaints(ctx: Context, *, actor: Actor, state: str = "active",
                    overdue: bool | None = None, limit: int = 200) -> dict[str, Any]:
    """The hall's complaints, overdue and soonest due first, closed ones last."""
    _require_supervisor(actor)
    if state not in FILTERS:
        raise DomainError("invalid_state", N_("Unknown complaint state %(state)s"), "state",
                          state=state)

    def query(uow: UnitOfWork) -> dict[str, Any]:
        c = Complaint.__table__
        today = views.today(uow, actor.hall_id)
        stmt = views.select_complaints().where(c.c.hall_id == actor.hall_id)
        if state == "active":
            stmt = stmt.where(c.c.state != "closed")
        elif state != "all":
            stmt = stmt.where(c.c.state == state)
        if overdue is not None:
            late = c.c.state.in_(domain.OPEN) & (c.c.due_date < today)
            stmt = stmt.where(late if overdue else ~late)
        rows = uow.conn.execute(stmt.order_by(c.c.state == "closed", c.c.due_date, c.c.id)
                                .limit(limit)).all()
        return {"today": today.isoformat(), "state": state,
                "complaints": [views.supervisor_view(r, today) for r in rows]}

    return read(ctx, query)


def get_complaint(ctx: Context, *, actor: Actor, complaint_id: int) -> dict[str, Any]:
    _require_supervisor(actor)

    def query(uow: UnitOfWork) -> dict[str, Any]:
        row = views.row_by(uow, complaint_id=complaint_id, hall_id=actor.hall_id)
        return views.supervisor_view(row, views.today(uow, row.hall_id))

    return read(ctx, query)


def for_complainant(ctx: Context, *, token: str) -> dict[str, Any]:
    """The complainant's page: their complaint, its state and the reply."""
    return read(ctx, lambda uow: views.public_view(views.row_by(uow, token=token)))


def page_link(ctx: Context, *, token: str, fallback: str) -> str:
    """The address of the complainant's own page (``/complaint/<token>``), as the kiosk's
    QR code has it: on the hall's public address (setting ``public_url``) if it has one."""
    def query(uow: UnitOfWork) -> str:
        row = views.row_by(uow, token=token)
        return f"{repo.public_base(uow, row.hall_id, fallback)}/complaint/{token}"

    return read(ctx, query)


def of_ticket(ctx: Context, *, token: str) -> list[dict[str, Any]]:
    """Complaints filed from a ticket's phone page (or its case's), oldest first: the page
    shows each with its reply."""
    def query(uow: UnitOfWork) -> list[dict[str, Any]]:
        c, t = Complaint.__table__, Ticket.__table__
        rows = uow.conn.execute(views.select_complaints().where(
            c.c.ticket_id == select(t.c.id).where(t.c.token == token).scalar_subquery(),
            c.c.source.in_(domain.VISITOR_SOURCES)).order_by(c.c.id)).all()
        return [views.public_view(r) for r in rows]

    return read(ctx, query)


# --- commands -----------------------------------------------------------------------------

def take(ctx: Context, *, actor: Actor, complaint_id: int, note: str | None = None) -> Result:
    """A supervisor starts handling it (and becomes its handler)."""
    _require_supervisor(actor)

    def command(uow: UnitOfWork) -> dict[str, Any]:
        row = _locked(uow, actor, complaint_id)
        if row.state != "received":
            raise DomainError("complaint_not_received",
                              N_("This complaint is already being handled"), "state")
        return _change(uow, row, actor, "taken", note, state="handling", handler_id=actor.id)

    return run(ctx, command)


def reply(ctx: Context, *, actor: Actor, complaint_id: int, text: str,
          upheld: bool | None = None) -> Result:
    """The answer to the complainant: shown on their page, and sent when they left a
    phone (through the outbox)."""
    _require_supervisor(actor)
    words = (text or "").strip()
    if not words:
        raise DomainError("reply_required", N_("Write the reply to the complainant"), "text")

    def command(uow: UnitOfWork) -> dict[str, Any]:
        row = _locked(uow, actor, complaint_id)
        state = domain.after_reply(row.state)
        values: dict[str, Any] = {"state": state, "reply": words, "replied_at": uow.now,
                                  "replied_by": actor.id, "satisfied": None}
        if upheld is not None:
            values["upheld"] = upheld
        if row.handler_id is None:
            values["handler_id"] = actor.id
        if row.reply_phone:
            _text_the_reply(uow, row)
        return _change(uow, row, actor, "replied", words, **values)

    return run(ctx, command)


def answer(ctx: Context, *, token: str, satisfied: bool, note: str | None = None) -> Result:
    """The complainant says whether the reply satisfies them (their token is the proof).
    "Not satisfied" the first time reopens it for handling; after that it awaits closing."""
    def command(uow: UnitOfWork) -> dict[str, Any]:
        found = views.row_by(uow, token=token)
        row = _locked(uow, found.hall_id, found.id)
        state, reopened = domain.after_answer(row.state, satisfied, row.reopened,
                                               row.satisfied is not None)
        action = "satisfied" if satisfied else ("reopened" if state == "handling"
                                                else "not_satisfied")
        _change(uow, row, Actor("visitor", None, row.hall_id, "complainant"), action,
                (note or "").strip() or None, state=state, reopened=reopened,
                satisfied=satisfied if state == "replied" else None)
        return views.public_view(views.row_by(uow, complaint_id=row.id))

    return run(ctx, command)


def close(ctx: Context, *, actor: Actor, complaint_id: int, note: str | None = None,
          upheld: bool | None = None) -> Result:
    """A supervisor closes an answered complaint; the phone number kept for the reply is
    erased (the mask and hash stay)."""
    _require_supervisor(actor)

    def command(uow: UnitOfWork) -> dict[str, Any]:
        row = _locked(uow, actor, complaint_id)
        state = domain.after_close(row.state)
        values: dict[str, Any] = {"state": state, "closed_at": uow.now, "closed_by": actor.id,
                                  "reply_phone": None}
        if upheld is not None:
            values["upheld"] = upheld
        _erase_numbers(uow, row)
        return _change(uow, row, actor, "closed", note, **values)

    return run(ctx, command)


# --- helpers ------------------------------------------------------------------------------

def _text_the_reply(uow: UnitOfWork, row: Any) -> None:
    """The text message that the complaint is answered (its number; the answer is on the
    page), through the hall's SMS provider, keyed by the reply's ordinal."""
    settings = NotifySettings.of(repo.hall_config(uow, row.hall_id).row.settings)
    if settings.provider not in PROVIDERS:
        return  # this hall sends no text messages: the reply is on the complainant's page
    n = len([h for h in row.history or [] if h.get("action") == "replied"]) + 1
    outbox.enqueue(uow, row.hall_id, settings.topic("sms"), f"complaint:{row.id}:reply:{n}",
                   {**message(COMPLAINT_REPLY, row.number), "phone": row.reply_phone,
                    "masked": row.phone_masked})


def _erase_numbers(uow: UnitOfWork, row: Any) -> None:
    """Closing: the number leaves the complaint's messages already sent or failed (one
    still pending keeps it until it is sent)."""
    o = OutboxRow.__table__
    for found in uow.conn.execute(select(o.c.id, o.c.payload).where(
            o.c.key.startswith(f"complaint:{row.id}:"), o.c.state != "pending")):
        payload = {k: v for k, v in dict(found.payload or {}).items() if k != "phone"}
        uow.conn.execute(update(o).where(o.c.id == found.id).values(payload=payload))


def _locked(uow: UnitOfWork, within: Actor | int, complaint_id: int) -> Any:
    """The complaint as ``within`` may see it, through the one fence between halls."""
    return repo.owned(uow.conn, Complaint.__table__, complaint_id, within, what="complaint",
                      field="complaint", lock=True)


def _change(uow: UnitOfWork, row: Any, actor: Actor, action: str, text: str | None,
            **values: Any) -> dict[str, Any]:
    entry = {"at": uow.now.isoformat(), "action": action, "by": actor.id,
             "by_name": actor.label, "text": text}
    c = Complaint.__table__
    uow.conn.execute(update(c).where(c.c.id == row.id).values(
        history=[*(row.history or []), entry], **values))
    fresh = views.row_by(uow, complaint_id=row.id)
    item = views.supervisor_view(fresh, views.today(uow, row.hall_id))
    uow.emit("complaint.updated", row.hall_id, complaint_id=row.id, complaint=item,
             action=action)
    return item
