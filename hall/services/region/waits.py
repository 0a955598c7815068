"""Waits in the region as exact, mergeable histograms on three levels, per (hall, day,
service): per minute of wait the count of each whole second (``region_wait_fine``, the
hall's ``day_fine`` shape), per hour of wait the count of each minute
(``region_wait_minutes``) and per block of 60 hours the count of each hour
(``region_wait_hours``). Ingest moves all three by each ticket's change (its old wait out,
its new one in) with integer additions.

A report reads the hour counts of its groups whole, finds the hours its percentile ranks
fall in (``histogram.rank_buckets``), reads the minute counts of just those (hall,
service, hour), the same again for the minutes, and ends with the seconds of the few
minutes that hold the ranks — the p50/p90 the hall's own report gives for the same waits,
without summing a busy month's millions of fine rows (bench/region.py)."""
from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Integer, String, and_, column, func, literal, select, values
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY

from hall.domain import histogram as hist
from hall.domain.rollup import PERCENTILES
from hall.services.context import UnitOfWork
from hall.services.region import grouping
from hall.store.models import RegionWaitFine, RegionWaitHours, RegionWaitMinutes

WIDTH = hist.BUCKET_S  # counts per row: 60 seconds, minutes or hours
PICKS_PER_QUERY = 2000  # (hall, service, bucket) triples: 6,000 parameters, under SQLite's cap
Member = tuple[str, int]  # (hall uid, service id): the finest key every group is made of
Histogram = dict[int, int]


@dataclass(frozen=True)
class Level:
    table: Any
    bucket: str  # a row's bucket: its counts are the values bucket * 60 … bucket * 60 + 59
    counts: tuple[str, ...]
    unit_s: int  # the seconds in one value

    def value(self, wait_s: int) -> int:
        return wait_s // self.unit_s


HOURS = Level(RegionWaitHours, "block", tuple(f"h{i}" for i in range(WIDTH)), 3600)
MINUTES = Level(RegionWaitMinutes, "hour", tuple(f"m{i}" for i in range(WIDTH)), 60)
SECONDS = Level(RegionWaitFine, "minute", tuple(f"s{i}" for i in range(WIDTH)), 1)
LEVELS = (HOURS, MINUTES, SECONDS)  # the coarsest first, as a report reads them


def move(uow: UnitOfWork, uid: str, deltas: dict[tuple[date, int, int], int]) -> None:
    """Add ``deltas`` ((day, service_id, wait in whole seconds) → +n or −n)."""
    deltas = {k: n for k, n in deltas.items() if n}
    if not deltas:
        return
    for level in LEVELS:
        rows: dict[tuple[date, int, int], dict[str, int]] = {}
        for (day, service_id, wait), n in deltas.items():
            value = level.value(wait)
            rows.setdefault((day, service_id, value // WIDTH),
                            dict.fromkeys(level.counts, 0))[level.counts[value % WIDTH]] += n
        uow.conn.execute(
            _upsert(uow.conn.dialect.name, level),
            [{"hall_uid": uid, "day": d, "service_id": svc, level.bucket: bucket, **row}
             for (d, svc, bucket), row in sorted(rows.items())])


@functools.cache
def _upsert(dialect: str, level: Level) -> Any:
    """A level's "add these counts" statement, built once: building its 60 additions
    against ``excluded`` was half of ingest's time in ``move`` (py-spy, bench/region.py)."""
    table = level.table
    stmt = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    return stmt.on_conflict_do_update(
        index_elements=["hall_uid", "day", "service_id", level.bucket],
        set_={c: table.c[c] + stmt.excluded[c] for c in level.counts})


def percentiles(uow: UnitOfWork, uids: list[str], start: date, end: date, group: str
                ) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """(per group key, for all of them): wait_p50_s and wait_p90_s over [start, end].

    Each group's histogram is kept in the unit of the level being read: exact in the
    buckets its ranks fall in, and every other bucket's count standing at the bucket's
    first value (order is all a rank needs of them)."""
    if uow.conn.dialect.name == "postgresql":
        # for this transaction only: the picks are a few thousand seeks into tables that sit
        # in memory, which the planner's disk-era page cost (4) prices above sorting a
        # whole month of rows on disk (measured on bench/region.py's month: 1.0 → 0.4 s)
        uow.conn.exec_driver_sql("SET LOCAL random_page_cost = 1.1")
        uow.conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
    top = HOURS.table
    source, keys = grouping.joined(top, group)
    group_of: dict[Member, str] = {}
    held: dict[Member, Histogram] = {}  # what each member has, in the current unit
    by = (top.c.hall_uid, top.c.service_id, *keys, top.c[HOURS.bucket])
    for r in uow.conn.execute(select(*by, *(func.sum(top.c[c]).label(c) for c in HOURS.counts))
                              .select_from(source)
                              .where(top.c.hall_uid.in_(uids), top.c.day >= start,
                                     top.c.day <= end)
                              .group_by(*by)):
        member = (r.hall_uid, r.service_id)
        group_of[member] = grouping.key(r.hall_uid, r, group)
        _add_counts(held.setdefault(member, {}), getattr(r, HOURS.bucket), r[-WIDTH:])
    groups: dict[str, Histogram] = {}
    for member, h in held.items():
        hist.merge(groups.setdefault(group_of[member], {}), h)
    everything: Histogram = {}
    for h in groups.values():
        hist.merge(everything, h)
    for finer in LEVELS[1:]:
        needed = {k: hist.rank_buckets(h, PERCENTILES) for k, h in groups.items()}
        needed_by_all = hist.rank_buckets(everything, PERCENTILES)
        picks = sorted((*member, v) for member, h in held.items()
                       for v in h.keys() & (needed[group_of[member]] | needed_by_all))
        exact: dict[str, Histogram] = defaultdict(dict)
        exact_all: Histogram = {}
        held = {}
        for member, bucket, counts in _picked(uow, finer, picks, start, end):
            h = _add_counts({}, bucket, counts)
            held.setdefault(member, {}).update(h)
            if bucket in needed[group_of[member]]:
                hist.merge(exact[group_of[member]], h)
            if bucket in needed_by_all:
                hist.merge(exact_all, h)
        groups = {k: _refined(h, needed[k], exact[k]) for k, h in groups.items()}
        everything = _refined(everything, needed_by_all, exact_all)
    return ({k: _spread(h) for k, h in groups.items()}, _spread(everything))


def _add_counts(into: Histogram, bucket: int, counts: Any) -> Histogram:
    for i, n in enumerate(counts):
        if n:
            into[bucket * WIDTH + i] = into.get(bucket * WIDTH + i, 0) + int(n)
    return into


def _refined(h: Histogram, needed: set[int], exact: Histogram) -> Histogram:
    """``h`` one unit finer: the needed buckets as they are, the others at their start."""
    out = {v * WIDTH: n for v, n in h.items() if v not in needed}
    return hist.merge(out, exact)


def _picked(uow: UnitOfWork, level: Level, picks: list[tuple[str, int, int]], start: date,
            end: date) -> Iterator[tuple[Member, int, Any]]:
    """(member, bucket, its counts) of each pick at ``level``, summed over [start, end]:
    the pick list joined to the level's rows through their (hall, service, bucket, day)
    index."""
    t = level.table
    by = (t.c.hall_uid, t.c.service_id, t.c[level.bucket])
    for pick in _pick_lists(uow, picks):
        for r in uow.conn.execute(
                select(*by, *(func.sum(t.c[c]).label(c) for c in level.counts))
                .select_from(pick.join(t, and_(t.c.hall_uid == pick.c.h,
                                               t.c.service_id == pick.c.s,
                                               t.c[level.bucket] == pick.c.b)))
                .where(t.c.day >= start, t.c.day <= end).group_by(*by)):
            yield (r.hall_uid, r.service_id), r[2], r[3:]


def _pick_lists(uow: UnitOfWork, picks: list[tuple[str, int, int]]) -> Iterator[Any]:
    """The picks as a table (h, s, b): on PostgreSQL three arrays unnested (thousands of
    bound values cost more to compile than the query takes); on SQLite VALUES in chunks."""
    if not picks:
        return
    if uow.conn.dialect.name == "postgresql":
        hs, ss, bs = (list(x) for x in zip(*picks, strict=True))
        arrays = func.unnest(literal(hs, ARRAY(String)), literal(ss, ARRAY(Integer)),
                             literal(bs, ARRAY(Integer)))
        yield arrays.table_valued("h", "s", "b").render_derived("pick")
        return
    for i in range(0, len(picks), PICKS_PER_QUERY):
        yield values(column("h", String), column("s", Integer), column("b", Integer),
                     name="pick").data(picks[i:i + PICKS_PER_QUERY]).cte()


def _spread(h: Histogram) -> dict[str, Any]:
    def r1(p: float) -> float | None:
        x = hist.percentile(h, p)
        return None if x is None else round(x, 1)

    return {"wait_p50_s": r1(50), "wait_p90_s": r1(90)}
