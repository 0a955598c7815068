"""差评整改: a rating of 1–2 opens a follow-up with an owner and a deadline in working days;
supervisors assign it, record what was done, revisit the visitor (回访: tell them what was
done and record their answer) and close it with a result. A follow-up closes only with a
revisit on record (issue 19 item 3), so every bad review ends with an answer to the person.

States: ``open`` (nobody owns it) → ``assigned`` → ``closed``. Actions are an append-only
list kept as JSON in the ``actions`` text column ({at, by, by_name, text}). A follow-up is
overdue once the hall's local date is past its due date (due "to the end of that day",
like cases); ``scan_overdue`` raises a ``followup_overdue`` alert for each such one and
clears it when the follow-up is closed. Events ``followup.opened|updated|closed`` go to
the hall room only: the counter's room (the rated staff member's screen) and the visitor's
ticket room do not hear about reviews of that counter's staff.
"""
from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import insert, select, update

from hall.domain.access import Actor
from hall.domain.errors import DomainError, Forbidden
from hall.domain.i18n import N_
from hall.services import repo
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.services.supervision import alerts
from hall.store.models import Alert, Counter, FollowUp, Rating, Staff, Ticket

DEFAULT_DAYS = 3
STATES = ("open", "assigned", "closed")
FILTERS = ("active", "all", *STATES)  # active = open or assigned
SUPERVISORS = ("supervisor", "admin")
# the visitor's answer at the revisit: satisfied, not satisfied, or could not be reached
# (after trying; still an end, counted apart in the revisit satisfaction)
REVISIT_ANSWERS = {"satisfied": N_("Satisfied"), "unsatisfied": N_("Not satisfied"),
                   "unreachable": N_("Could not be reached")}


def followup_days(hall_row: Any) -> int:
    """Working days to close a follow-up: the hall's ``followup_days`` or 3."""
    try:
        days = int((hall_row.settings or {}).get("followup_days", DEFAULT_DAYS))
    except (TypeError, ValueError):
        return DEFAULT_DAYS
    return days if days > 0 else DEFAULT_DAYS


def _first_supervisor(conn, hall_id: int) -> int | None:
    s = Staff.__table__
    return conn.execute(select(s.c.id).where(s.c.hall_id == hall_id, s.c.role == "supervisor",
                                             s.c.active.is_(True))
                        .order_by(s.c.id).limit(1)).scalar()


def open_for_rating(uow: UnitOfWork, ticket: Any, level: int, reason: str | None,
                    comment: str | None) -> dict[str, Any]:
    """Open the follow-up of a bad rating, inside the rating's own transaction."""
    config = repo.hall_config(uow, ticket.hall_id)
    today = config.settings.local(uow.now).date()
    due = config.calendar.add_working_days(today, followup_days(config.row))
    owner = _first_supervisor(uow.conn, ticket.hall_id)
    f = FollowUp.__table__
    fid = uow.conn.execute(insert(f).values(
        hall_id=ticket.hall_id, ticket_id=ticket.id, counter_id=ticket.counter_id,
        staff_id=ticket.staff_id, level=level, reason=reason, owner_id=owner,
        opened_at=uow.now, due_date=due, state="assigned" if owner else "open",
        actions=json.dumps([], ensure_ascii=False)).returning(f.c.id)).scalar_one()
    return _emit(uow, ticket.hall_id, fid, "followup.opened")


# --- queries ------------------------------------------------------------------------------

def _require_supervisor(actor: Actor) -> None:
    if not (actor.is_staff and actor.role in SUPERVISORS):
        raise Forbidden(N_("Only supervisors handle bad-review follow-ups"), "authorization")


def list_followups(ctx: Context, *, actor: Actor, state: str = "active",
                   overdue: bool | None = None, limit: int = 200) -> dict[str, Any]:
    """Follow-ups of the actor's hall, overdue and soonest due first, closed ones last."""
    _require_supervisor(actor)
    if state not in FILTERS:
        raise DomainError("invalid_state", N_("Unknown follow-up state %(state)s"), "state",
                          state=state)

    def query(uow: UnitOfWork) -> dict[str, Any]:
        f = FollowUp.__table__
        today = _today(uow, actor.hall_id)
        stmt = _select().where(f.c.hall_id == actor.hall_id)
        if state == "active":
            stmt = stmt.where(f.c.state != "closed")
        elif state != "all":
            stmt = stmt.where(f.c.state == state)
        if overdue is True:
            stmt = stmt.where(f.c.state != "closed", f.c.due_date < today)
        elif overdue is False:
            stmt = stmt.where((f.c.state == "closed") | (f.c.due_date >= today))
        rows = uow.conn.execute(stmt.order_by((f.c.state == "closed"), f.c.due_date, f.c.id)
                                .limit(limit)).all()
        last_seq = repo.hall_row(uow.conn, actor.hall_id).last_seq  # same snapshot
        return {"today": today.isoformat(), "state": state, "last_seq": last_seq,
                "followups": [view(r, today) for r in rows]}

    return read(ctx, query)


def get_followup(ctx: Context, *, actor: Actor, followup_id: int) -> dict[str, Any]:
    _require_supervisor(actor)
    return read(ctx, lambda uow: _view(uow, actor, followup_id))


def owners(ctx: Context, *, actor: Actor) -> list[dict[str, Any]]:
    """Who may be given a follow-up: the hall's active staff, supervisors first."""
    _require_supervisor(actor)

    def query(uow: UnitOfWork) -> list[dict[str, Any]]:
        s = Staff.__table__
        rows = uow.conn.execute(select(s.c.id, s.c.name, s.c.number, s.c.role).where(
            s.c.hall_id == actor.hall_id, s.c.active.is_(True))
            .order_by(s.c.role == "staff", s.c.name, s.c.id)).all()
        return [{"id": r.id, "name": r.name, "number": r.number, "role": r.role} for r in rows]

    return read(ctx, query)


# --- commands -----------------------------------------------------------------------------

def assign(ctx: Context, *, actor: Actor, followup_id: int, owner_id: int) -> Result:
    _require_supervisor(actor)

    def command(uow: UnitOfWork) -> dict[str, Any]:
        row = _row(uow, actor, followup_id, lock=True)
        _still_open(row)
        owner = repo.owned(uow.conn, Staff.__table__, owner_id, actor, what="owner",
                           field="owner_id")
        if not owner.active:
            raise DomainError("owner_not_found", N_("No such staff member"), "owner_id")
        _append(uow, row, actor, f"→ {owner.name}", owner_id=owner.id, state="assigned")
        return _emit(uow, row.hall_id, row.id, "followup.updated")

    return run(ctx, command)


def record_action(ctx: Context, *, actor: Actor, followup_id: int, text: str) -> Result:
    """Note what was done (talked to the staff member, called the visitor back …).
    Supervisors and the follow-up's owner may record actions."""
    words = (text or "").strip()
    if not words:
        raise DomainError("text_required", N_("Say what was done"), "text")

    def command(uow: UnitOfWork) -> dict[str, Any]:
        row = _row(uow, actor, followup_id, lock=True)
        if not (actor.is_staff and (actor.role in SUPERVISORS or actor.id == row.owner_id)):
            raise Forbidden(N_("Only supervisors and the owner record actions"),
                            "authorization")
        _still_open(row)
        _append(uow, row, actor, words)
        return _emit(uow, row.hall_id, row.id, "followup.updated")

    return run(ctx, command)


def _check_revisit(answer: str | None) -> str:
    if answer not in REVISIT_ANSWERS:
        raise DomainError("revisit_required",
                          N_("Revisit the visitor: tell them what was done and record their "
                             "answer"), "revisit")
    return answer


def record_revisit(ctx: Context, *, actor: Actor, followup_id: int, answer: str,
                   note: str | None = None) -> Result:
    """回访: the visitor was told what was done; their answer (and what they said).
    Supervisors and the follow-up's owner record it; a later revisit replaces it."""
    answer = _check_revisit(answer)

    def command(uow: UnitOfWork) -> dict[str, Any]:
        row = _row(uow, actor.hall_id, followup_id, lock=True)
        if not (actor.is_staff and (actor.role in SUPERVISORS or actor.id == row.owner_id)):
            raise Forbidden(N_("Only supervisors and the owner record actions"),
                            "authorization")
        _still_open(row)
        _revisit(uow, row, actor, answer, note)
        return _emit(uow, row.hall_id, row.id, "followup.updated")

    return run(ctx, command)


def _revisit(uow: UnitOfWork, row: Any, actor: Actor, answer: str, note: str | None) -> None:
    words = (note or "").strip() or None
    f = FollowUp.__table__
    uow.conn.execute(update(f).where(f.c.id == row.id).values(
        revisit_answer=answer, revisit_note=words, revisit_at=uow.now, revisit_by=actor.id))


def close(ctx: Context, *, actor: Actor, followup_id: int, result: str,
          revisit: str | None = None, revisit_note: str | None = None) -> Result:
    """A supervisor closes it with the result; its overdue and bad-rating alerts end. A
    revisit must be on record or given here (``revisit``: the visitor's answer)."""
    if not (actor.is_staff and actor.role in SUPERVISORS):
        raise Forbidden(N_("Only a supervisor closes a follow-up"), "authorization")
    words = (result or "").strip()
    if not words:
        raise DomainError("result_required", N_("Write the result before closing"), "result")
    if revisit is not None:
        _check_revisit(revisit)

    def command(uow: UnitOfWork) -> dict[str, Any]:
        row = _row(uow, actor, followup_id, lock=True)
        _still_open(row)
        if revisit is not None:
            _revisit(uow, row, actor, revisit, revisit_note or words)
        elif row.revisit_answer is None:
            _check_revisit(None)
        f = FollowUp.__table__
        uow.conn.execute(update(f).where(f.c.id == row.id).values(
            state="closed", result=words, closed_at=uow.now, closed_by=actor.id))
        alerts.clear_alert(uow, row.hall_id, f"followup:{row.id}")
        alerts.clear_alert(uow, row.hall_id, f"rating:{row.ticket_id}")
        return _emit(uow, row.hall_id, row.id, "followup.closed")

    return run(ctx, command)


def scan_overdue(uow: UnitOfWork, hall_id: int) -> list[dict[str, Any]]:
    """For the periodic watch: raise an alert for each open follow-up past its due date and
    clear any ``followup_overdue`` alert whose follow-up is closed (or no longer overdue).
    Idempotent; returns the alerts raised or cleared by this call."""
    f, a = FollowUp.__table__, Alert.__table__
    today = _today(uow, hall_id)
    changed = []
    late = uow.conn.execute(select(f.c.id, f.c.counter_id, f.c.ticket_id, f.c.due_date,
                                   f.c.owner_id, f.c.level)
                            .where(f.c.hall_id == hall_id, f.c.state != "closed",
                                   f.c.due_date < today)).all()
    late_ids = {r.id for r in late}
    for r in late:
        alert = alerts.raise_alert(uow, hall_id, f"followup:{r.id}", "followup_overdue",
                                   "warning", counter_id=r.counter_id, ticket_id=r.ticket_id,
                                   followup_id=r.id, due_date=r.due_date.isoformat(),
                                   owner_id=r.owner_id, rating=r.level)
        if alert:
            changed.append(alert)
    stale = uow.conn.execute(select(a.c.key).where(
        a.c.hall_id == hall_id, a.c.kind == "followup_overdue", a.c.cleared_at.is_(None))
    ).scalars().all()
    for key in stale:
        if int(key.split(":", 1)[1]) not in late_ids:
            alert = alerts.clear_alert(uow, hall_id, key)
            if alert:
                changed.append(alert)
    return changed


# --- helpers ------------------------------------------------------------------------------

def _today(uow: UnitOfWork, hall_id: int) -> date:
    return repo.hall_config(uow, hall_id).settings.local(uow.now).date()


def _row(uow: UnitOfWork, within: Actor | int, followup_id: int, lock: bool = False) -> Any:
    return repo.owned(uow.conn, FollowUp.__table__, followup_id, within, what="followup",
                      field="followup_id", lock=lock)


def _still_open(row: Any) -> None:
    if row.state == "closed":
        raise DomainError("followup_closed", N_("Follow-up %(id)s is already closed"),
                          "followup_id", id=row.id)


def _append(uow: UnitOfWork, row: Any, actor: Actor, text: str, **values: Any) -> None:
    entries = actions_of(row.actions)
    entries.append({"at": uow.now.isoformat(), "by": actor.id, "by_name": actor.label,
                    "text": text})
    f = FollowUp.__table__
    uow.conn.execute(update(f).where(f.c.id == row.id).values(
        actions=json.dumps(entries, ensure_ascii=False), **values))


def actions_of(raw: str | None) -> list[dict[str, Any]]:
    """The action log; a plain-text value (written by hand) reads as one entry."""
    if not raw:
        return []
    try:
        data = json.loads(raw)
    except ValueError:
        return [{"at": None, "by": None, "by_name": "", "text": raw}]
    return data if isinstance(data, list) else []


def _select():
    f, t, c, r = (FollowUp.__table__, Ticket.__table__, Counter.__table__, Rating.__table__)
    rated = Staff.__table__.alias("rated")
    owner = Staff.__table__.alias("owner")
    closer = Staff.__table__.alias("closer")
    return select(f, t.c.number.label("ticket_number"), c.c.number.label("counter_number"),
                  c.c.name.label("counter_name"), rated.c.name.label("staff_name"),
                  rated.c.number.label("staff_number"), owner.c.name.label("owner_name"),
                  closer.c.name.label("closed_by_name"), r.c.comment.label("comment"),
                  r.c.at.label("rated_at")).select_from(
        f.outerjoin(t, t.c.id == f.c.ticket_id)
         .outerjoin(c, c.c.id == f.c.counter_id)
         .outerjoin(rated, rated.c.id == f.c.staff_id)
         .outerjoin(owner, owner.c.id == f.c.owner_id)
         .outerjoin(closer, closer.c.id == f.c.closed_by)
         .outerjoin(r, r.c.ticket_id == f.c.ticket_id))


def _view(uow: UnitOfWork, within: Actor | int, followup_id: int) -> dict[str, Any]:
    found = _row(uow, within, followup_id)
    row = uow.conn.execute(_select().where(FollowUp.__table__.c.id == found.id)).one()
    return view(row, _today(uow, row.hall_id))


def view(row: Any, today: date) -> dict[str, Any]:
    return {
        "id": row.id, "hall_id": row.hall_id, "ticket_id": row.ticket_id,
        "ticket_number": row.ticket_number, "counter_id": row.counter_id,
        "counter_number": row.counter_number, "counter_name": row.counter_name,
        "staff_id": row.staff_id, "staff_name": row.staff_name,
        "staff_number": row.staff_number or "", "level": row.level, "reason": row.reason,
        "comment": row.comment, "rated_at": row.rated_at.isoformat() if row.rated_at else None,
        "owner_id": row.owner_id, "owner_name": row.owner_name,
        "opened_at": row.opened_at.isoformat(), "due_date": row.due_date.isoformat(),
        "state": row.state, "overdue": row.state != "closed" and today > row.due_date,
        "actions": actions_of(row.actions), "result": row.result,
        "closed_at": row.closed_at.isoformat() if row.closed_at else None,
        "closed_by": row.closed_by, "closed_by_name": row.closed_by_name,
        "revisit": {"answer": row.revisit_answer, "note": row.revisit_note,
                    "at": row.revisit_at.isoformat() if row.revisit_at else None,
                    "by": row.revisit_by} if row.revisit_answer else None,
    }


def _emit(uow: UnitOfWork, hall_id: int, followup_id: int, type_: str) -> dict[str, Any]:
    """One event with the whole view, nested so that only the hall room receives it."""
    item = _view(uow, hall_id, followup_id)
    uow.emit(type_, hall_id, followup_id=followup_id, followup=item)
    return item
