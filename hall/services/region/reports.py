"""Region reports: any period over the halls an account may see, grouped by hall, by
department (of each hall) or by service (of each hall). The figures are the hall's own
(``rollup.counted`` over the same counts, hall/domain/regionfold.py), plus the longest
wait; the database adds the day rows up (one GROUP BY over ``region_day_stats``), so a
month over a hundred halls reads a few thousand rows' sums; the p50/p90 waits come from
exact histograms (``waits``). The case figures (按时办结率,
超期件数) are the hall's report's over ``region_cases`` (``cases``). Each hall's figures are
green or red against its own targets (``hallsettings``); the total against the targets
the halls share, or the defaults when they differ."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from hall.domain import regionfold as rf
from hall.domain import rollup
from hall.domain import targets as goals
from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.services.context import UnitOfWork
from hall.services.region import cases, grouping, hallsettings, tree, waits
from hall.services.supervision.reports import Period, period_of
from hall.store.models import RegionDayStat, RegionHall

NO_SPREAD = {"wait_p50_s": None, "wait_p90_s": None}


def report(uow: UnitOfWork, login: str, *, period: str, on: date, end: date | None = None,
           group: str = "hall") -> dict[str, Any]:
    if group not in grouping.GROUPS:
        raise DomainError("invalid_group", N_("Unknown grouping %(group)s"), "group",
                          group=group)
    p = period_of(period, on, end)
    uids = tree.covered(uow, login)
    names = dict(uow.conn.execute(select(RegionHall.hall_uid, RegionHall.name)
                                  .where(RegionHall.hall_uid.in_(uids))).all())
    settings = hallsettings.of(uow, sorted(names))
    case_figures = cases.figures(uow, {u: settings[u].timezone for u in names}, p.start,
                                 p.end, lambda uid, r: grouping.case_key(uid, r, group))
    spread, whole = waits.percentiles(uow, sorted(names), p.start, p.end, group)
    rows = []
    for r in _sums(uow, sorted(names), p, group):
        key = grouping.key(r.hall_uid, r, group)
        rows.append({**_row(r, key, group, names, dict(r._mapping), case_figures.pop(key, None),
                            settings[r.hall_uid].goals()), **spread.get(key, NO_SPREAD)})
    for key, fig in case_figures.items():  # cases but no ticket in the period
        rows.append({**_row(fig["row"], key, group, names, {}, fig,
                            settings[fig["row"].hall_uid].goals()), **NO_SPREAD})
    rows.sort(key=lambda r: (r["hall_name"], r["name"]))
    shared = {tuple(sorted(settings[u].goals().items())) for u in names}
    targets = dict(next(iter(shared))) if len(shared) == 1 else goals.targets(None)
    total = {**_total(rows, targets), **whole}
    return {"group": group, "targets": targets, "rows": rows, "total": total,
            "period": {"kind": p.kind, "start": p.start.isoformat(),
                       "end": p.end.isoformat(), "label": p.label}}


def _sums(uow: UnitOfWork, uids: list[str], p: Period, group: str) -> list[Any]:
    d = RegionDayStat.__table__
    source, keys = grouping.joined(d, group)
    cols = [func.sum(d.c[c]).label(c) for c in rf.ADDITIVE]
    stmt = (select(d.c.hall_uid, *keys, *cols, func.max(d.c.wait_max_s).label("wait_max_s"))
            .select_from(source)
            .where(d.c.hall_uid.in_(uids), d.c.day >= p.start, d.c.day <= p.end)
            .group_by(d.c.hall_uid, *keys))
    return uow.conn.execute(stmt).all()


def _row(r: Any, key: str, group: str, names: dict[str, str], counts: dict[str, Any],
         case_counts: dict[str, Any] | None, targets: dict) -> dict[str, Any]:
    counts = {c: int(counts.get(c) or 0) for c in rf.COUNTS}
    case_counts = {c: int((case_counts or {}).get(c) or 0) for c in cases.COUNTS}
    return {"key": key, "hall": r.hall_uid, "hall_name": names.get(r.hall_uid, r.hall_uid),
            "name": grouping.name(r, group, names), "counts": counts,
            **case_counts, **_figures(counts, case_counts, targets), "targets": targets}


def _figures(counts: dict[str, Any], case_counts: dict[str, int],
             targets: dict) -> dict[str, Any]:
    fig = rollup.counted(rf.sums(counts), int(counts["served"] or 0))
    fig["wait_max_s"] = int(counts["wait_max_s"] or 0) if fig["called"] else None
    fig["on_time_rate"] = cases.rate(case_counts)
    fig["target_status"] = goals.statuses(fig, targets)
    return fig


def _total(rows: list[dict[str, Any]], targets: dict) -> dict[str, Any]:
    counts = dict.fromkeys(rf.COUNTS, 0)
    case_counts = dict.fromkeys(cases.COUNTS, 0)
    for r in rows:
        for c in rf.ADDITIVE:
            counts[c] += r["counts"][c]
        counts["wait_max_s"] = max(counts["wait_max_s"], r["counts"]["wait_max_s"])
        for c in cases.COUNTS:
            case_counts[c] += r[c]
    return {"key": "all", "name": "", "counts": counts, **case_counts,
            **_figures(counts, case_counts, targets)}
