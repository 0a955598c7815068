"""Waits in the region as exact, mergeable histograms: per (hall, day, service) and minute
of wait, the count of each whole second (``region_wait_fine``, the hall's ``day_fine``
shape). Ingest moves them by each ticket's change (its old wait out, its new one in) with
integer additions; a report adds the minute counts of its groups up, finds the minutes
its percentile ranks fall in (``histogram.rank_buckets``) and reads the seconds of those
minutes alone — the p50/p90 the hall's own report gives for the same waits."""
from __future__ import annotations

from datetime import date
from functools import reduce
from operator import add
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from hall.domain import histogram as hist
from hall.domain.rollup import PERCENTILES
from hall.services.context import UnitOfWork
from hall.services.region import grouping
from hall.store.models import RegionWaitFine

SECONDS = tuple(f"s{i}" for i in range(hist.BUCKET_S))
Coarse = dict[int, int]


def move(uow: UnitOfWork, uid: str, deltas: dict[tuple[date, int, int], int]) -> None:
    """Add ``deltas`` ((day, service_id, wait in whole seconds) → +n or −n)."""
    rows: dict[tuple[date, int, int], dict[str, int]] = {}
    for (day, service_id, wait), n in deltas.items():
        if n:
            row = rows.setdefault((day, service_id, wait // hist.BUCKET_S),
                                  dict.fromkeys(SECONDS, 0))
            row[f"s{wait % hist.BUCKET_S}"] += n
    if not rows:
        return
    w = RegionWaitFine
    stmt = (postgresql if uow.conn.dialect.name == "postgresql" else sqlite).insert(w)
    uow.conn.execute(stmt.on_conflict_do_update(
        index_elements=["hall_uid", "day", "service_id", "minute"],
        set_={c: w.c[c] + stmt.excluded[c] for c in SECONDS}),
        [{"hall_uid": uid, "day": d, "service_id": svc, "minute": minute, **row}
         for (d, svc, minute), row in sorted(rows.items())])


def percentiles(uow: UnitOfWork, uids: list[str], start: date, end: date, group: str
                ) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """(per group key, for all of them): wait_p50_s and wait_p90_s over [start, end]."""
    w = RegionWaitFine
    source, keys = grouping.joined(w, group)
    where = (w.c.hall_uid.in_(uids), w.c.day >= start, w.c.day <= end)
    by = (w.c.hall_uid, *keys, w.c.minute)
    coarse: dict[str, Coarse] = {}
    for r in uow.conn.execute(select(*by, func.sum(reduce(add, (w.c[s] for s in SECONDS)))
                                     .label("n")).select_from(source).where(*where)
                              .group_by(*by)):
        if r.n:
            c = coarse.setdefault(grouping.key(r.hall_uid, r, group), {})
            c[r.minute] = c.get(r.minute, 0) + int(r.n)
    everything: Coarse = {}
    for c in coarse.values():
        hist.merge(everything, c)
    needed = set(hist.rank_buckets(everything, PERCENTILES))
    for c in coarse.values():
        needed |= hist.rank_buckets(c, PERCENTILES)
    fine: dict[str, dict[int, dict[int, int]]] = {}
    all_fine: dict[int, dict[int, int]] = {}
    if needed:
        for r in uow.conn.execute(select(*by, *(func.sum(w.c[s]).label(s) for s in SECONDS))
                                  .select_from(source)
                                  .where(*where, w.c.minute.in_(sorted(needed)))
                                  .group_by(*by)):
            seconds = {r.minute * hist.BUCKET_S + i: int(getattr(r, s) or 0)
                       for i, s in enumerate(SECONDS)}
            seconds = {sec: n for sec, n in seconds.items() if n}
            k = grouping.key(r.hall_uid, r, group)
            hist.merge(fine.setdefault(k, {}).setdefault(r.minute, {}), seconds)
            hist.merge(all_fine.setdefault(r.minute, {}), seconds)
    return ({k: _spread(c, fine.get(k, {})) for k, c in coarse.items()},
            _spread(everything, all_fine))


def _spread(coarse: Coarse, fine: dict[int, dict[int, int]]) -> dict[str, Any]:
    def r1(p: float) -> float | None:
        x = hist.percentile_2(coarse, fine, p)
        return None if x is None else round(x, 1)

    return {"wait_p50_s": r1(50), "wait_p90_s": r1(90)}
