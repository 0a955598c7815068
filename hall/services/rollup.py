"""Day rollups for reports: read a day's raw rows once, keep the sums (day_stats, counter_days).

A day is rolled up once it is closed: its local midnight plus a grace period (the rating
window, at least an hour) has passed, so late ratings and stragglers are in. Open days
(today, usually yesterday's first hour) are summed live from the raw rows on every report,
with the same code, so a report never mixes two definitions.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, insert, or_, select

from hall.domain import rollup
from hall.domain.measures import StateInterval
from hall.services.context import UnitOfWork
from hall.store.models import CounterDay, CounterInterval, DayStat, Rating, ReportDay, Ticket

MIN_GRACE = timedelta(hours=1)


def closed(day: date, tz: ZoneInfo, now: datetime, rating_window_s: int) -> bool:
    end = rollup.day_window(day, tz)[1]
    return end + max(MIN_GRACE, timedelta(seconds=rating_window_s)) <= now


def built_days(uow: UnitOfWork, hall_id: int, start: date, end: date) -> set[date]:
    r = ReportDay.__table__
    return set(uow.conn.execute(select(r.c.day).where(
        r.c.hall_id == hall_id, r.c.day >= start, r.c.day <= end)).scalars())


def build_day(uow: UnitOfWork, hall: Any, day: date) -> None:
    """(Re)build one closed day's rows in the caller's transaction."""
    stats, counters = compute_day(uow, hall, day)
    for table in (DayStat.__table__, CounterDay.__table__, ReportDay.__table__):
        uow.conn.execute(delete(table).where(table.c.hall_id == hall.id, table.c.day == day))
    if stats:
        uow.conn.execute(insert(DayStat), [
            {"hall_id": hall.id, "day": day, "service_id": k[0], "counter_id": k[1],
             "staff_id": k[2], **s.as_row()} for k, s in stats.items()])
    if counters:
        uow.conn.execute(insert(CounterDay), [
            {"hall_id": hall.id, "day": day, "counter_id": k[0], "staff_id": k[1], **v}
            for k, v in counters.items()])
    uow.conn.execute(insert(ReportDay).values(hall_id=hall.id, day=day, built_at=uow.now))


def compute_day(uow: UnitOfWork, hall: Any, day: date
                ) -> tuple[dict[rollup.Key, rollup.Sums], dict[tuple[int, int], dict]]:
    """A day's sums from the raw rows (tickets issued that local day, their ratings, and
    the counter intervals that touch the day)."""
    tz = ZoneInfo(hall.timezone)
    tickets = day_tickets(uow, hall.id, day)
    stats = rollup.sum_tickets(tickets, hall.target_wait_s, tz)
    window = rollup.day_window(day, tz)
    counters = rollup.counter_time(day_intervals(uow, hall.id, window, uow.now), tickets, window)
    return stats, counters


def day_tickets(uow: UnitOfWork, hall_id: int, day: date) -> list[rollup.TicketFacts]:
    t, r = Ticket.__table__, Rating.__table__
    rows = uow.conn.execute(
        select(t.c.service_id, t.c.counter_id, t.c.staff_id, t.c.state, t.c.outcome,
               t.c.issued_at, t.c.called_at, t.c.started_at, t.c.finished_at, t.c.released_at,
               t.c.recalls, t.c.fee_cents, r.c.level)
        .select_from(t.outerjoin(r, r.c.ticket_id == t.c.id))
        .where(t.c.hall_id == hall_id, t.c.day == day))
    return [rollup.TicketFacts(*row) for row in rows]


def day_intervals(uow: UnitOfWork, hall_id: int, window: tuple[datetime, datetime],
                  now: datetime) -> list[tuple[int, int | None, StateInterval]]:
    from hall.store.models import Counter

    iv, c = CounterInterval.__table__, Counter.__table__
    rows = uow.conn.execute(
        select(iv.c.counter_id, iv.c.staff_id, iv.c.state, iv.c.reason, iv.c.start, iv.c.end)
        .join(c, c.c.id == iv.c.counter_id)
        .where(c.c.hall_id == hall_id, iv.c.start < window[1],
               or_(iv.c.end.is_(None), iv.c.end > window[0])))
    out = []
    for counter_id, staff_id, state, reason, start, end in rows:
        end = end or min(now, window[1])  # still open: up to now
        if end > start:
            out.append((counter_id, staff_id, StateInterval(state, reason, start, end)))
    return out


def stored_rows(uow: UnitOfWork, hall_id: int, days: set[date]) -> tuple[list[Any], list[Any]]:
    """Built rows of ``days``, without the per-second maps (see ``fine_rows``)."""
    if not days:
        return [], []
    d, cd = DayStat.__table__, CounterDay.__table__
    lo, hi = min(days), max(days)
    cols = [c for c in d.c if c.name not in rollup.Sums.FINE]
    stats = uow.conn.execute(select(*cols).where(and_(d.c.hall_id == hall_id, d.c.day >= lo,
                                                      d.c.day <= hi))).all()
    counters = uow.conn.execute(select(cd).where(and_(cd.c.hall_id == hall_id, cd.c.day >= lo,
                                                      cd.c.day <= hi))).all()
    return ([s for s in stats if s.day in days], [c for c in counters if c.day in days])


def fine_rows(uow: UnitOfWork, hall_id: int, days: set[date],
              minutes: dict[str, set[int]]) -> list[tuple[rollup.Key, dict[str, dict]]]:
    """The per-second counts of only the given minutes, per built row: a JSON path read
    (SQLite json_extract, PostgreSQL ->) so the rest of each map never leaves the database."""
    if not days or not any(minutes.values()):
        return []
    d = DayStat.__table__
    picks = [(name, b, d.c[name][str(b)].label(f"{name}_{b}"))
             for name, bs in minutes.items() for b in sorted(bs)]
    rows = uow.conn.execute(
        select(d.c.day, d.c.service_id, d.c.counter_id, d.c.staff_id, *(p[2] for p in picks))
        .where(d.c.hall_id == hall_id, d.c.day >= min(days), d.c.day <= max(days)))
    out = []
    for row in rows:
        if row.day not in days:
            continue
        fine: dict[str, dict] = {name: {} for name in minutes}
        for i, (name, b, _col) in enumerate(picks):
            value = row[4 + i]
            if value:
                fine[name][str(b)] = value
        out.append(((row.service_id, row.counter_id, row.staff_id), fine))
    return out
