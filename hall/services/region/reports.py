"""Region reports: any period over the halls an account may see, grouped by hall, by
department (of each hall) or by service (of each hall). The figures are the hall's own
(``rollup.counted`` over the same counts, hall/domain/regionfold.py), plus the longest
wait; the database adds the day rows up (one GROUP BY over ``region_day_stats``), so a
month over a hundred halls reads a few thousand rows' sums."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, func, select

from hall.domain import regionfold as rf
from hall.domain import rollup
from hall.domain import targets as goals
from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.services.context import UnitOfWork
from hall.services.region import tree
from hall.services.supervision.reports import Period, period_of
from hall.store.models import RegionDayStat, RegionHall, RegionService

GROUPS = ("hall", "department", "service")


def report(uow: UnitOfWork, login: str, *, period: str, on: date, end: date | None = None,
           group: str = "hall") -> dict[str, Any]:
    if group not in GROUPS:
        raise DomainError("invalid_group", N_("Unknown grouping %(group)s"), "group",
                          group=group)
    p = period_of(period, on, end)
    uids = tree.covered(uow, login)
    names = dict(uow.conn.execute(select(RegionHall.hall_uid, RegionHall.name)
                                  .where(RegionHall.hall_uid.in_(uids))).all())
    targets = goals.targets(None)  # one set for every hall: the ranking compares alike
    rows = [_row(r, group, names, targets) for r in _sums(uow, sorted(names), p, group)]
    rows.sort(key=lambda r: (r["hall_name"], r["name"]))
    total = _total(rows, targets)
    return {"group": group, "targets": targets, "rows": rows, "total": total,
            "period": {"kind": p.kind, "start": p.start.isoformat(),
                       "end": p.end.isoformat(), "label": p.label}}


def _sums(uow: UnitOfWork, uids: list[str], p: Period, group: str) -> list[Any]:
    d, s = RegionDayStat.__table__, RegionService.__table__
    keys = {"hall": [], "department": [s.c.department_id, s.c.department],
            "service": [d.c.service_id, s.c.name]}[group]
    cols = [func.sum(d.c[c]).label(c) for c in rf.ADDITIVE]
    stmt = (select(d.c.hall_uid, *keys, *cols, func.max(d.c.wait_max_s).label("wait_max_s"))
            .select_from(d.outerjoin(s, and_(s.c.hall_uid == d.c.hall_uid,
                                             s.c.service_id == d.c.service_id)))
            .where(d.c.hall_uid.in_(uids), d.c.day >= p.start, d.c.day <= p.end)
            .group_by(d.c.hall_uid, *keys))
    return uow.conn.execute(stmt).all()


def _row(r: Any, group: str, names: dict[str, str], targets: dict) -> dict[str, Any]:
    counts = dict(r._mapping)
    hall_name = names.get(r.hall_uid, r.hall_uid)
    if group == "hall":
        key, name = r.hall_uid, hall_name
    elif group == "department":
        key, name = f"{r.hall_uid}:{r.department_id}", r.department or ""
    else:
        key, name = f"{r.hall_uid}:{r.service_id}", r.name or str(r.service_id)
    return {"key": key, "hall": r.hall_uid, "hall_name": hall_name, "name": name,
            "counts": {c: int(counts[c] or 0) for c in rf.COUNTS},
            **_figures({c: counts[c] for c in rf.COUNTS}, targets)}


def _figures(counts: dict[str, Any], targets: dict) -> dict[str, Any]:
    fig = rollup.counted(rf.sums(counts), int(counts["served"] or 0))
    fig["wait_max_s"] = int(counts["wait_max_s"] or 0) if fig["called"] else None
    fig["target_status"] = goals.statuses(fig, targets)
    return fig


def _total(rows: list[dict[str, Any]], targets: dict) -> dict[str, Any]:
    counts = dict.fromkeys(rf.COUNTS, 0)
    for r in rows:
        for c in rf.ADDITIVE:
            counts[c] += r["counts"][c]
        counts["wait_max_s"] = max(counts["wait_max_s"], r["counts"]["wait_max_s"])
    return {"key": "all", "name": "", "counts": counts, **_figures(counts, targets)}
