"""The region's cases (办件): folded at ingest from each hall's ``case.*`` events
(hall/domain/regioncases.py) into ``region_cases``, and read back per period as the hall's
report reads its own: ``measures.case_figures`` over the cases concluded in the period or
open and overdue at its end, with the same "as of" (yesterday for a period still running,
in the hall's zone) and per the report's group (hall, department or service of a hall)."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.dialects import postgresql, sqlite

from hall.domain import measures as m
from hall.domain import regioncases as rc
from hall.services.context import UnitOfWork
from hall.store.models import RegionCase, RegionService

log = logging.getLogger(__name__)
FIELDS = ("service_id", "accepted_on", "due_date", "state", "done_on", "suspended_on")
# the hall's report's case counts (hall/services/supervision/reports.py), same names
COUNTS = ("cases_received", "cases_done", "cases_concluded", "cases_on_time", "cases_late",
          "cases_open_overdue", "cases_overdue")


def fold(uow: UnitOfWork, uid: str, events: list[dict[str, Any]], tz: ZoneInfo) -> None:
    """Write the cases ``events`` (one hall's, in seq order) open or move."""
    numbers = {p.get("number") or p.get("case_number") for e in events
               if e["type"] in ("case.accepted", "case.updated") for p in [e["payload"] or {}]}
    numbers.discard(None)
    if not numbers:
        return
    c = RegionCase.__table__
    have = {r.number: rc.Case(r.number, *(getattr(r, f) for f in FIELDS))
            for r in uow.conn.execute(select(c).where(c.c.hall_uid == uid,
                                                      c.c.number.in_(numbers)))}
    before = {k: v.copy() for k, v in have.items()}
    for e in events:
        p = e["payload"] or {}
        try:
            if e["type"] == "case.accepted" and p.get("due_date"):
                have.setdefault(p["number"], rc.accepted(e["at"], p, tz))
            elif e["type"] == "case.updated" and p.get("case_number") in have:
                rc.updated(have[p["case_number"]], e["at"], p, tz)
        except (KeyError, TypeError, ValueError) as exc:  # kept in the log; never stop ingest
            log.warning("region: %s seq %s (%s) not folded: %r", uid, e["seq"], e["type"], exc)
    values = [{"hall_uid": uid, "number": k, **{f: getattr(v, f) for f in FIELDS}}
              for k, v in sorted(have.items()) if before.get(k) != v]
    if values:
        stmt = (postgresql if uow.conn.dialect.name == "postgresql" else sqlite).insert(c)
        uow.conn.execute(stmt.on_conflict_do_update(
            index_elements=["hall_uid", "number"],
            set_={f: stmt.excluded[f] for f in FIELDS}), values)


def as_of(end: date, now: datetime, zone: str) -> date:
    """The last day of the period that is over, in the hall's zone: a case due today is
    not overdue yet (as the hall's report)."""
    return min(end, now.astimezone(ZoneInfo(zone)).date() - timedelta(days=1))


def figures(uow: UnitOfWork, zones: dict[str, str], start: date, end: date,
            key_of: Callable[[str, Any], Any]) -> dict[Any, dict[str, Any]]:
    """Per group key (``key_of(hall_uid, row)`` over a case joined to its service), the
    hall's case counts and 按时办结率 for [start, end]; ``zones``: each hall's zone."""
    c, s = RegionCase.__table__, RegionService.__table__
    out: dict[Any, dict[str, Any]] = {}
    records: dict[Any, list[m.CaseRecord]] = {}
    joined = c.outerjoin(s, and_(s.c.hall_uid == c.c.hall_uid,
                                 s.c.service_id == c.c.service_id))
    cols = [c, s.c.department_id, s.c.department, s.c.name]
    for uid, zone in sorted(zones.items()):
        last = as_of(end, uow.now, zone)
        rows = uow.conn.execute(select(*cols).select_from(joined).where(
            c.c.hall_uid == uid,
            c.c.accepted_on.between(start, end) | c.c.done_on.between(start, end)
            | ((c.c.due_date <= last) & (c.c.done_on.is_(None) | (c.c.done_on > last)))))
        for r in rows:
            if (k := key_of(uid, r)) is None:
                continue
            slot = out.setdefault(k, {**dict.fromkeys(COUNTS, 0), "as_of": last, "row": r})
            slot["cases_received"] += start <= r.accepted_on <= end
            slot["cases_done"] += (r.state == "done" and r.done_on is not None
                                   and start <= r.done_on <= end)
            records.setdefault(k, []).append(
                m.CaseRecord(r.due_date, r.done_on, r.state, r.suspended_on))
    for k, recs in records.items():
        fig = m.case_figures(recs, start, end, out[k]["as_of"])
        out[k].update(cases_concluded=fig.concluded, cases_on_time=fig.on_time,
                      cases_late=fig.late, cases_open_overdue=fig.open_due_overdue,
                      cases_overdue=fig.overdue)
    return out


def rate(counts: dict[str, Any]) -> float | None:
    """按时办结率 as the hall's report rounds it: open overdue cases due in the period count
    against it."""
    counted = counts["cases_concluded"] + counts["cases_open_overdue"]
    return None if not counted else round(counts["cases_on_time"] / counted, 4)
