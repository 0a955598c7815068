"""The 办件 figures of a report, per group: received, done, and hall.domain.measures'
case_figures over the cases concluded in the period or open and overdue at its end.

A case counts once, by its own promise (a case in parts is due on its latest part and
follows its parts, hall/domain/parallel.py), in every grouping but one: by department,
a case in parts counts as its parts, each under its own department with its own due date
and state (the part a department was late on is that department's), and the report's
total still counts each case once (``by_part=False``).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, exists, func, select

from hall.domain import measures as m
from hall.services.context import UnitOfWork
from hall.store.models import Case, CasePart

CASE_COUNTS = ("cases_received", "cases_done", "cases_concluded", "cases_on_time",
               "cases_late", "cases_open_overdue", "cases_overdue")


def figures(uow: UnitOfWork, hall: Any, start: date, end: date, key_of: Callable,
            by_part: bool = False) -> dict[Any, dict[str, int]]:
    """``key_of`` maps a case's (service, counter, staff) to its group's key (None: in no
    group); ``by_part`` counts cases in parts as their parts, keyed by department."""
    c, p = Case.__table__, CasePart.__table__
    as_of = min(end, uow.now.astimezone(ZoneInfo(hall.timezone)).date() - timedelta(days=1))
    whole = [c.c.hall_id == hall.id]
    if by_part:  # those in parts are counted by their parts below
        whole.append(~exists().where(p.c.case_id == c.c.id))
    received: dict[Any, int] = {}
    records: dict[Any, list[m.CaseRecord]] = {}
    for svc, counter, staff, n in uow.conn.execute(
            select(c.c.service_id, c.c.counter_id, c.c.staff_id, func.count())
            .where(*whole, *_accepted(c, start, end))
            .group_by(c.c.service_id, c.c.counter_id, c.c.staff_id)):
        _add(received, key_of((svc, counter or 0, staff or 0)), n)
    for r in uow.conn.execute(
            select(c.c.service_id, c.c.counter_id, c.c.staff_id, *_record_columns(c))
            .where(*whole, _counted(c, start, end, as_of))):
        _record(records, key_of((r.service_id, r.counter_id or 0, r.staff_id or 0)), r)
    if by_part:
        for dept, n in uow.conn.execute(
                select(p.c.department_id, func.count())
                .where(p.c.hall_id == hall.id, *_accepted(p, start, end))
                .group_by(p.c.department_id)):
            _add(received, dept, n)
        for r in uow.conn.execute(select(p.c.department_id, *_record_columns(p)).where(
                p.c.hall_id == hall.id, _counted(p, start, end, as_of))):
            _record(records, r.department_id, r)
    out: dict[Any, dict[str, int]] = {}
    for k in set(received) | set(records):
        recs = records.get(k, [])
        fig = m.case_figures(recs, start, end, as_of)
        out[k] = {"cases_received": received.get(k, 0),
                  "cases_done": sum(r.state == "done" and r.done_on is not None
                                    and start <= r.done_on <= end for r in recs),
                  "cases_concluded": fig.concluded, "cases_on_time": fig.on_time,
                  "cases_late": fig.late, "cases_open_overdue": fig.open_due_overdue,
                  "cases_overdue": fig.overdue}
    return out


def _accepted(t: Table, start: date, end: date) -> list:
    return [t.c.accepted_on >= start, t.c.accepted_on <= end]


def _record_columns(t: Table) -> list:
    return [t.c.due_date, t.c.done_on, t.c.state, t.c.suspended_on]


def _counted(t: Table, start: date, end: date, as_of: date):
    """Concluded in the period, or due by its last day over and open then."""
    return (t.c.done_on.between(start, end)) | (
        (t.c.due_date <= as_of) & (t.c.done_on.is_(None) | (t.c.done_on > as_of)))


def _add(received: dict[Any, int], key: Any, n: int) -> None:
    if key is not None:
        received[key] = received.get(key, 0) + n


def _record(records: dict[Any, list[m.CaseRecord]], key: Any, r: Any) -> None:
    if key is not None:
        records.setdefault(key, []).append(
            m.CaseRecord(r.due_date, r.done_on, r.state, r.suspended_on))
