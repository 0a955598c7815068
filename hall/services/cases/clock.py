"""The case clock by law (DESIGN.md §6): extension (延期), suspension (中止) and resumption.

Each command locks the case, checks it against hall/domain/cases.py, moves its due and
warning days, appends a ``case_clock`` row (what, why, who, the due day before and after)
and re-judges the case's amber/red alert, all in one transaction. An extension is a
supervisor's approval: the supervisor who records it is its approver. The applicant is told
on the case page (``case_by_number`` carries the clock) and on the printed notice
(``notice``: DocumentContent, drawn by /counter/cases/<number>/notice).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update

from hall.domain import cases as domain
from hall.domain.access import Actor
from hall.domain.errors import DomainError, Forbidden
from hall.domain.i18n import N_
from hall.services import repo
from hall.services.cases import lights, parts
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.store.models import Case, CaseClock, CasePart, Service

SUPERVISORS = ("supervisor", "admin")


def max_extension_days(hall_row: Any) -> int:
    return int((hall_row.settings or {}).get("max_extension_days")
               or domain.MAX_EXTENSION_DAYS)


def extend(ctx: Context, *, hall_id: int, number: str, days: int, reason: str,
           actor: Actor, part: int | None = None) -> Result:
    """延期: once, 1..max working days, with a reason, approved by the supervisor (of the
    case, or of its part number ``part``)."""
    _supervisor(actor)
    reason = (reason or "").strip()

    def command(uow: UnitOfWork) -> dict[str, Any]:
        target = _locked(uow, hall_id, number, part)
        config = repo.hall_config(uow, hall_id)
        domain.check_extension(target.row.state, days, target.row.extension_days,
                               max_extension_days(config.row))
        if not reason:
            raise DomainError("reason_required", N_("Give the reason for the extension"),
                              "reason")
        return _move(uow, target, "extend", days=days, reason=None, note=reason, actor=actor,
                     values={"extension_days": days, "extension_reason": reason,
                             "extended_by": actor.id, "extended_at": uow.now})

    return run(ctx, command)


def suspend(ctx: Context, *, hall_id: int, number: str, reason: str, note: str | None,
            actor: Actor, part: int | None = None) -> Result:
    """中止: the clock (of the case, or of its part ``part``) stops today, for one of the
    reasons the law allows."""
    _supervisor(actor)
    if reason not in domain.SUSPEND_REASONS:
        raise DomainError("invalid_suspend_reason", N_("Unknown reason %(reason)s"), "reason",
                          reason=reason)

    def command(uow: UnitOfWork) -> dict[str, Any]:
        target = _locked(uow, hall_id, number, part)
        new = domain.transition(target.row.state, "suspend")
        return _move(uow, target, "suspend", days=0, reason=reason, note=note, actor=actor,
                     values={"state": new.value, "suspended_on": lights.today(uow, hall_id),
                             "suspended_at": uow.now, "suspend_reason": reason})

    return run(ctx, command)


def resume(ctx: Context, *, hall_id: int, number: str, note: str | None,
           actor: Actor, part: int | None = None) -> Result:
    """恢复: the working days spent suspended push the due day."""
    _supervisor(actor)

    def command(uow: UnitOfWork) -> dict[str, Any]:
        target = _locked(uow, hall_id, number, part)
        row = target.row
        if row.state != domain.CaseState.SUSPENDED:
            raise DomainError("not_suspended", N_("This case is not suspended"), "state")
        new = domain.transition(row.state, "resume")
        cal = repo.hall_config(uow, hall_id).calendar
        stopped = domain.suspended_working_days(row.suspended_on, lights.today(uow, hall_id),
                                                cal)
        return _move(uow, target, "resume", days=stopped, reason=row.suspend_reason,
                     note=note, actor=actor,
                     values={"state": new.value, "suspended_on": None, "suspended_at": None,
                             "suspend_reason": None,
                             "suspended_days": row.suspended_days + stopped})

    return run(ctx, command)


def _move(uow: UnitOfWork, target: parts.Target, action: str, *, days: int,
          reason: str | None, note: str | None, actor: Actor,
          values: dict[str, Any]) -> dict[str, Any]:
    """Move the clock of the target (a case, or a part, whose case is then derived again),
    record it, and judge the case's amber/red alert."""
    case, row, t = target.case, target.row, target.table
    svc = uow.conn.execute(select(Service.__table__.c.promised_days,
                                  Service.__table__.c.warning_days)
                           .where(Service.__table__.c.id == case.service_id)).one()
    cal = repo.hall_config(uow, case.hall_id).calendar
    promised = svc.promised_days if row.promised_days is None else row.promised_days
    extension = values.get("extension_days", row.extension_days)
    suspended = values.get("suspended_days", row.suspended_days)
    due = domain.due_date(row.accepted_on, promised, cal, extension, suspended)
    warning = domain.warning_date(row.accepted_on, promised, cal, svc.warning_days,
                                  extension, suspended)
    uow.conn.execute(update(t).where(t.c.id == row.id).values(
        due_date=due, warning_date=warning, **values))
    part = None if target.part is None else target.part.seq
    uow.conn.execute(insert(CaseClock).values(
        case_id=case.id, part_id=None if part is None else row.id, at=uow.now,
        action=action, days=days, reason=reason, note=note, actor_id=actor.id,
        due_before=row.due_date, due_after=due))
    state = values.get("state", row.state)
    if part is None:
        lights.rejudge(uow, case.hall_id, case.id, case.number, case.counter_id, state, due,
                       warning)
        case_state, case_due = state, due
    else:
        made = parts.sync(uow, case)
        case_state, case_due = made.state.value, made.due
    uow.emit("case.updated", case.hall_id, case_number=case.number, state=case_state,
             action=action, note=note, counter_id=case.counter_id,
             due_date=case_due.isoformat(), **({} if part is None else {"part": part}))
    moved = {"number": case.number, "state": state, "due_date": due.isoformat(),
             "warning_date": warning.isoformat(), "due_before": row.due_date.isoformat(),
             "days": days}
    if part is not None:
        moved.update(part=part, case_state=case_state, case_due_date=case_due.isoformat())
    return moved


def history(ctx: Context, hall_id: int, number: str) -> list[dict[str, Any]]:
    def query(uow: UnitOfWork) -> list[dict[str, Any]]:
        c, k, p = Case.__table__, CaseClock.__table__, CasePart.__table__
        rows = uow.conn.execute(
            select(k, p.c.seq.label("part")).join(c, c.c.id == k.c.case_id)
            .outerjoin(p, p.c.id == k.c.part_id)
            .where(c.c.hall_id == hall_id, c.c.number == number.strip().upper())
            .order_by(k.c.id))
        return [{**clock_view(r), "part": r.part} for r in rows]

    return read(ctx, query)


def clock_view(r: Any) -> dict[str, Any]:
    return {"action": r.action, "at": r.at.isoformat(), "days": r.days, "reason": r.reason,
            "note": r.note, "due_before": r.due_before.isoformat(),
            "due_after": r.due_after.isoformat()}


def _supervisor(actor: Actor) -> None:
    if not (actor.is_staff and actor.role in SUPERVISORS):
        raise Forbidden(N_("Only supervisors extend, suspend or resume a case"),
                        "authorization")


def _locked(uow: UnitOfWork, hall_id: int, number: str, part: int | None) -> parts.Target:
    c = Case.__table__
    row = uow.conn.execute(select(c).where(c.c.hall_id == hall_id,
                                           c.c.number == number.strip().upper())
                           .with_for_update()).first()
    if row is None:
        raise DomainError("case_not_found", N_("No case with this number"), "number")
    return parts.locate(uow.conn, row, part)
