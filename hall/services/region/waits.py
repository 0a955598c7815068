"""Waits in the region as exact, mergeable histograms on two levels: per (hall, day,
service) and minute of wait, the count of each whole second (``region_wait_fine``, the
hall's ``day_fine`` shape), and per hour of wait the count of each minute
(``region_wait_coarse``). Ingest moves both by each ticket's change (its old wait out, its
new one in) with integer additions. A report adds up the minute counts of its groups from
the coarse rows, finds the minutes its percentile ranks fall in (``histogram.rank_buckets``)
and reads the seconds of just those (hall, service, minute) — the p50/p90 the hall's own
report gives for the same waits, without summing a busy month's millions of fine rows."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import Integer, String, and_, column, func, select, values
from sqlalchemy.dialects import postgresql, sqlite

from hall.domain import histogram as hist
from hall.domain.rollup import PERCENTILES
from hall.services.context import UnitOfWork
from hall.services.region import grouping
from hall.store.models import RegionWaitCoarse, RegionWaitFine

SECONDS = tuple(f"s{i}" for i in range(hist.BUCKET_S))
MINUTES = tuple(f"m{i}" for i in range(hist.BUCKET_S))
PICKS_PER_QUERY = 2000  # (hall, service, minute) triples: 6,000 parameters, under SQLite's cap
Coarse = dict[int, int]
Member = tuple[str, int]  # (hall uid, service id): the finest key every group is made of


def move(uow: UnitOfWork, uid: str, deltas: dict[tuple[date, int, int], int]) -> None:
    """Add ``deltas`` ((day, service_id, wait in whole seconds) → +n or −n)."""
    fine: dict[tuple[date, int, int], dict[str, int]] = {}
    coarse: dict[tuple[date, int, int], dict[str, int]] = {}
    for (day, service_id, wait), n in deltas.items():
        if n:
            minute = wait // hist.BUCKET_S
            fine.setdefault((day, service_id, minute),
                            dict.fromkeys(SECONDS, 0))[f"s{wait % hist.BUCKET_S}"] += n
            coarse.setdefault((day, service_id, minute // hist.BUCKET_S),
                              dict.fromkeys(MINUTES, 0))[f"m{minute % hist.BUCKET_S}"] += n
    if fine:
        _add(uow, RegionWaitFine, "minute", SECONDS, uid, fine)
        _add(uow, RegionWaitCoarse, "hour", MINUTES, uid, coarse)


def _add(uow: UnitOfWork, table: Any, level: str, counts: tuple[str, ...], uid: str,
         rows: dict[tuple[date, int, int], dict[str, int]]) -> None:
    stmt = (postgresql if uow.conn.dialect.name == "postgresql" else sqlite).insert(table)
    uow.conn.execute(stmt.on_conflict_do_update(
        index_elements=["hall_uid", "day", "service_id", level],
        set_={c: table.c[c] + stmt.excluded[c] for c in counts}),
        [{"hall_uid": uid, "day": d, "service_id": svc, level: bucket, **row}
         for (d, svc, bucket), row in sorted(rows.items())])


def percentiles(uow: UnitOfWork, uids: list[str], start: date, end: date, group: str
                ) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """(per group key, for all of them): wait_p50_s and wait_p90_s over [start, end]."""
    c = RegionWaitCoarse
    source, keys = grouping.joined(c, group)
    coarse: dict[str, Coarse] = {}
    everything: Coarse = {}
    group_of: dict[Member, str] = {}
    minutes_of: dict[Member, set[int]] = defaultdict(set)
    by = (c.c.hall_uid, c.c.service_id, *keys, c.c.hour)
    for r in uow.conn.execute(select(*by, *(func.sum(c.c[m]).label(m) for m in MINUTES))
                              .select_from(source)
                              .where(c.c.hall_uid.in_(uids), c.c.day >= start, c.c.day <= end)
                              .group_by(*by)):
        member = (r.hall_uid, r.service_id)
        k = group_of[member] = grouping.key(r.hall_uid, r, group)
        counts = coarse.setdefault(k, {})
        for i, m in enumerate(MINUTES):
            n = int(getattr(r, m) or 0)
            if n:
                minute = r.hour * hist.BUCKET_S + i
                counts[minute] = counts.get(minute, 0) + n
                everything[minute] = everything.get(minute, 0) + n
                minutes_of[member].add(minute)
    # the (hall, service, minute) whose seconds a percentile of some group needs
    needed = {k: hist.rank_buckets(counts, PERCENTILES) for k, counts in coarse.items()}
    needed_by_all = hist.rank_buckets(everything, PERCENTILES)
    picks = sorted({(*member, minute) for member, minutes in minutes_of.items()
                    for minute in minutes & (needed[group_of[member]] | needed_by_all)})
    fine: dict[str, dict[int, dict[int, int]]] = {}
    all_fine: dict[int, dict[int, int]] = {}
    for member, minute, seconds in _seconds(uow, picks, start, end):
        if minute in needed[group_of[member]]:
            hist.merge(fine.setdefault(group_of[member], {}).setdefault(minute, {}), seconds)
        if minute in needed_by_all:
            hist.merge(all_fine.setdefault(minute, {}), seconds)
    return ({k: _spread(counts, fine.get(k, {})) for k, counts in coarse.items()},
            _spread(everything, all_fine))


def _seconds(uow: UnitOfWork, picks: list[tuple[str, int, int]], start: date, end: date):
    """(member, minute, {second: count}) of each pick summed over [start, end]: the pick
    list joined to the fine rows through their (hall, service, minute, day) index."""
    w = RegionWaitFine
    for i in range(0, len(picks), PICKS_PER_QUERY):
        pick = values(column("h", String), column("s", Integer), column("m", Integer),
                      name="pick").data(picks[i:i + PICKS_PER_QUERY]).cte()  # SQLite too
        by = (w.c.hall_uid, w.c.service_id, w.c.minute)
        for r in uow.conn.execute(
                select(*by, *(func.sum(w.c[s]).label(s) for s in SECONDS))
                .select_from(pick.join(w, and_(w.c.hall_uid == pick.c.h,
                                               w.c.service_id == pick.c.s,
                                               w.c.minute == pick.c.m)))
                .where(w.c.day >= start, w.c.day <= end).group_by(*by)):
            seconds = {r.minute * hist.BUCKET_S + j: int(getattr(r, s) or 0)
                       for j, s in enumerate(SECONDS)}
            yield (r.hall_uid, r.service_id), r.minute, {x: n for x, n in seconds.items() if n}


def _spread(coarse: Coarse, fine: dict[int, dict[int, int]]) -> dict[str, Any]:
    def r1(p: float) -> float | None:
        x = hist.percentile_2(coarse, fine, p)
        return None if x is None else round(x, 1)

    return {"wait_p50_s": r1(50), "wait_p90_s": r1(90)}
