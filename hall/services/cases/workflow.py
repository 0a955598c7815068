"""办件 management: the back office lists cases by due state and moves them on; the watch
raises an alert at a case's warning point (yellow) and when it is overdue (red)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from hall.domain import cases as domain
from hall.domain.access import Actor
from hall.domain.errors import DomainError, Forbidden
from hall.domain.i18n import N_
from hall.services import repo
from hall.services.cases import lights, parts
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.services.ratings import stages
from hall.services.supervision import alerts
from hall.store.models import Case, Service

OPEN = (domain.CaseState.ACCEPTED.value, domain.CaseState.IN_PROGRESS.value)
URGENCIES = tuple(u.value for u in domain.Urgency)


def list_cases(ctx: Context, *, hall_id: int, service_id: int | None = None,
               state: str | None = None, urgency: str | None = None, limit: int = 100,
               offset: int = 0) -> dict[str, Any]:
    """Cases newest first, each with its urgency today; ``urgency`` filters open cases
    (yellow: at or past the warning day, red: past due)."""
    if state is not None and state not in {s.value for s in domain.CaseState}:
        raise DomainError("invalid_state", N_("Unknown case state %(state)s"), "state",
                          state=state)
    if urgency is not None and urgency not in URGENCIES:
        raise DomainError("invalid_urgency", N_("Unknown urgency %(urgency)s"), "urgency",
                          urgency=urgency)

    def query(uow: UnitOfWork) -> dict[str, Any]:
        c, s = Case.__table__, Service.__table__
        today = repo.settings_of(repo.hall_row(uow.conn, hall_id)).local(uow.now).date()
        where = [c.c.hall_id == hall_id]
        if service_id is not None:
            where.append(c.c.service_id == service_id)
        if state is not None:
            where.append(c.c.state == state)
        if urgency == "red":
            where += [c.c.state.in_(OPEN), c.c.due_date < today]
        elif urgency == "yellow":
            where += [c.c.state.in_(OPEN), c.c.due_date >= today, c.c.warning_date <= today]
        elif urgency == "normal":
            where.append((c.c.state.not_in(OPEN)) | (c.c.warning_date > today))
        total = uow.conn.execute(select(func.count()).select_from(c).where(*where)).scalar_one()
        rows = uow.conn.execute(
            select(c, s.c.name.label("service"))
            .join(s, s.c.id == c.c.service_id).where(*where)
            .order_by(c.c.due_date, c.c.id).limit(limit).offset(offset)).all()
        split = parts.of_cases(uow.conn, (r.id for r in rows), today)
        return {"total": total, "today": today.isoformat(),
                "cases": [{**_view(r, today), "parts": split.get(r.id, [])} for r in rows]}

    return read(ctx, query)


def act(ctx: Context, *, hall_id: int, number: str, action: str, actor: Actor,
        note: str | None = None, part: int | None = None) -> Result:
    """start / finish / return a case, or its part number ``part`` (staff of the hall); a
    case in parts follows its parts (hall/domain/parallel.py)."""
    if not actor.is_staff:
        raise Forbidden(N_("Only staff update cases"), "authorization")

    def command(uow: UnitOfWork) -> dict[str, Any]:
        c = Case.__table__
        row = repo.owned(uow.conn, c, number.strip().upper(), actor, what="case",
                         field="number", column=c.c.number, lock=True)
        target = parts.locate(uow.conn, row, part)
        new = domain.transition(target.row.state, action)
        today = lights.today(uow, hall_id)
        values: dict[str, Any] = {"state": new.value}
        if new in domain.FINISHED:
            values.update(done_at=uow.now, done_on=today)
        uow.conn.execute(update(target.table).where(target.table.c.id == target.row.id)
                         .values(**values))
        acted = {"number": row.number, "state": new.value,
                 "done_on": today.isoformat() if new in domain.FINISHED else None,
                 "on_time": domain.is_on_time(today, target.row.due_date)
                 if new == domain.CaseState.DONE else None}
        if target.part is None:
            if new in domain.FINISHED:
                alerts.clear_alert(uow, hall_id, f"case:{row.id}")
                _concluded(uow, row.id, actor)
            uow.emit("case.updated", hall_id, case_number=row.number, state=new.value,
                     action=action, note=note)
            return acted
        made = parts.sync(uow, row)
        if made.state in domain.FINISHED and row.state not in domain.FINISHED:
            _concluded(uow, row.id, actor)  # its last part concluded the case
        uow.emit("case.updated", hall_id, case_number=row.number, state=made.state.value,
                 action=action, note=note, part=part)
        return {**acted, "part": part, "case_state": made.state.value,
                "case_due_date": made.due.isoformat()}

    return run(ctx, command)


def _concluded(uow: UnitOfWork, case_id: int, actor: Actor) -> None:
    """The case's 办结 (done or returned) for the province's 好差评 system, rated or not
    (ratings/stages.py), in the transaction that concluded it."""
    stages.enqueue_stage(uow, case_id=case_id, process=stages.COMPLETION,
                         officer_id=actor.id)


def scan_due(uow: UnitOfWork, hall_id: int) -> None:
    """Raise yellow/red alerts for open cases at their warning point or overdue."""
    c = Case.__table__
    today = repo.settings_of(repo.hall_row(uow.conn, hall_id)).local(uow.now).date()
    rows = uow.conn.execute(select(c.c.id, c.c.number, c.c.counter_id, c.c.due_date,
                                   c.c.warning_date, c.c.state)
                            .where(c.c.hall_id == hall_id, c.c.state.in_(OPEN),
                                   c.c.warning_date <= today)).all()
    for r in rows:
        level = domain.urgency(today, r.due_date, r.warning_date, r.state)
        if level == domain.Urgency.NORMAL:
            continue
        alerts.raise_alert(uow, hall_id, f"case:{r.id}",
                           "case_overdue" if level == domain.Urgency.RED else "case_warning",
                           "critical" if level == domain.Urgency.RED else "warning",
                           counter_id=r.counter_id, case_number=r.number,
                           due_date=r.due_date.isoformat())


def _view(r: Any, today) -> dict[str, Any]:
    return {"number": r.number, "service": r.service, "service_id": r.service_id,
            "state": r.state, "applicant": r.applicant_masked,
            "accepted_on": r.accepted_on.isoformat(), "due_date": r.due_date.isoformat(),
            "warning_date": r.warning_date.isoformat(),
            "done_on": r.done_on.isoformat() if r.done_on else None,
            "counter_id": r.counter_id, "staff_id": r.staff_id,
            "extension_days": r.extension_days, "suspended_days": r.suspended_days,
            "suspended_on": r.suspended_on.isoformat() if r.suspended_on else None,
            "suspend_reason": r.suspend_reason, "fast_track": r.fast_track,
            "promised_days": r.promised_days,
            "urgency": domain.urgency(today, r.due_date, r.warning_date, r.state).value}
