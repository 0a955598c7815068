"""并联审批: the parts of a case (hall/domain/parallel.py) — planned and written when the
case is accepted, found for a command, read with their case, and the case derived again
from them whenever one of them moves. Commands on a part are the case's own
(workflow.act, clock.extend/suspend/resume), which ask ``locate`` what they act on."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Table, insert, select, update

from hall.domain import cases as domain
from hall.domain import parallel
from hall.domain.errors import DomainError, NotFound
from hall.domain.i18n import N_
from hall.domain.workdays import WorkCalendar
from hall.services import repo
from hall.services.cases import lights
from hall.services.context import UnitOfWork
from hall.store.models import Case, CasePart, Department, Staff


@dataclass(frozen=True, slots=True)
class Target:
    """What a case command acts on: the case itself, or one of its parts."""

    case: Any
    part: Any | None = None

    @property
    def row(self) -> Any:
        return self.case if self.part is None else self.part

    @property
    def table(self) -> Table:
        return (Case if self.part is None else CasePart).__table__


def plan(conn, hall_id: int, specs: Sequence[parallel.PartSpec], *, svc: Any,
         fast_track: bool, today: date, cal: WorkCalendar) -> list[dict[str, Any]]:
    """The ``case_parts`` rows of a case accepted ``today`` (without its id), each part's
    department and owner checked to be the hall's own."""
    parallel.check_parts(specs)
    planned = []
    for i, spec in enumerate(specs):
        repo.owned(conn, Department.__table__, spec.department_id, hall_id,
                   what="department", field=f"parts.{i}.department_id")
        if spec.staff_id is not None:
            repo.owned(conn, Staff.__table__, spec.staff_id, hall_id, what="staff",
                       field=f"parts.{i}.staff_id")
        days = parallel.promised_days(svc.promised_days, svc.fast_track_days, fast_track,
                                      spec.promised_days)
        planned.append({
            "hall_id": hall_id, "seq": i + 1, "department_id": spec.department_id,
            "staff_id": spec.staff_id, "promised_days": days, "accepted_on": today,
            "due_date": domain.due_date(today, days, cal),
            "warning_date": domain.warning_date(today, days, cal, svc.warning_days),
            "state": domain.CaseState.ACCEPTED.value, "extension_days": 0,
            "suspended_days": 0})
    return planned


def parent(parts: Iterable[Mapping[str, Any]]) -> parallel.Parent:
    """The case its parts (rows or planned rows) make."""
    return parallel.parent_of(
        parallel.PartClock(p["state"], p["due_date"], p["warning_date"], p.get("done_on"),
                           p.get("done_at")) for p in parts)


def write(conn, case_id: int, planned: list[dict[str, Any]]) -> None:
    conn.execute(insert(CasePart), [{**p, "case_id": case_id} for p in planned])


def locate(conn, case: Any, part: int | None) -> Target:
    """The case, or its part number ``part`` (locked). A case in parts is moved only
    through its parts: its state and clock are theirs."""
    p = CasePart.__table__
    if part is None:
        if conn.execute(select(p.c.id).where(p.c.case_id == case.id).limit(1)).first():
            raise DomainError("case_in_parts",
                              N_("Case %(number)s runs in parts: act on one of its parts"),
                              "part", number=case.number)
        return Target(case)
    row = conn.execute(select(p).where(p.c.case_id == case.id, p.c.seq == part)
                       .with_for_update()).first()
    if row is None:
        raise NotFound("part", "part")
    return Target(case, row)


def sync(uow: UnitOfWork, case: Any) -> parallel.Parent:
    """Derive the case from its parts again (state, due and warning dates, concluded day)
    and judge its amber/red alert: the case counts once, by its own promise."""
    p, c = CasePart.__table__, Case.__table__
    rows = uow.conn.execute(select(p).where(p.c.case_id == case.id)).all()
    made = parent(r._mapping for r in rows)
    uow.conn.execute(update(c).where(c.c.id == case.id).values(
        state=made.state.value, due_date=made.due, warning_date=made.warning,
        done_on=made.done_on, done_at=made.done_at))
    lights.rejudge(uow, case.hall_id, case.id, case.number, case.counter_id,
                   made.state.value, made.due, made.warning)
    return made


def of_cases(conn, case_ids: Iterable[int], today: date) -> dict[int, list[dict[str, Any]]]:
    """The parts of these cases, in order, each with its department's name and its own
    urgency today."""
    ids = list(case_ids)
    if not ids:
        return {}
    p, d = CasePart.__table__, Department.__table__
    rows = conn.execute(select(p, d.c.name.label("department"))
                        .join(d, d.c.id == p.c.department_id)
                        .where(p.c.case_id.in_(ids)).order_by(p.c.case_id, p.c.seq))
    out: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r.case_id, []).append(view(r, today))
    return out


def view(r: Any, today: date) -> dict[str, Any]:
    return {"part": r.seq, "department_id": r.department_id, "department": r.department,
            "staff_id": r.staff_id, "promised_days": r.promised_days, "state": r.state,
            "due_date": r.due_date.isoformat(), "warning_date": r.warning_date.isoformat(),
            "done_on": r.done_on.isoformat() if r.done_on else None,
            "extension_days": r.extension_days, "suspended_days": r.suspended_days,
            "suspended_on": r.suspended_on.isoformat() if r.suspended_on else None,
            "suspend_reason": r.suspend_reason,
            "urgency": domain.urgency(today, r.due_date, r.warning_date, r.state).value}
