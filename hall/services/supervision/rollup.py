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
from hall.store.models import (
    CounterDay,
    CounterInterval,
    DayFine,
    DayStat,
    Rating,
    ReportDay,
    Ticket,
)

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
    for table in (DayStat.__table__, DayFine, CounterDay.__table__,
                  ReportDay.__table__):
        uow.conn.execute(delete(table).where(table.c.hall_id == hall.id, table.c.day == day))
    if stats:
        keys = [{"hall_id": hall.id, "day": day, "service_id": k[0], "counter_id": k[1],
                 "staff_id": k[2]} for k in stats]
        uow.conn.execute(insert(DayStat), [
            {**key, **s.as_row()} for key, s in zip(keys, stats.values(), strict=True)])
        fine = [{**key, **f} for key, s in zip(keys, stats.values(), strict=True)
                for f in s.fine_rows()]
        for i in range(0, len(fine), 2000):
            uow.conn.execute(insert(DayFine), fine[i:i + 2000])
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
               t.c.recalls, t.c.fee_cents, r.c.level, t.c.step)
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


def counter_rows(uow: UnitOfWork, hall_id: int, days: set[date]) -> list[Any]:
    """Built counter-time rows of ``days`` (a few per counter and day)."""
    if not days:
        return []
    cd = CounterDay.__table__
    rows = uow.conn.execute(select(cd).where(and_(cd.c.hall_id == hall_id,
                                                  cd.c.day >= min(days),
                                                  cd.c.day <= max(days)))).all()
    return [r for r in rows if r.day in days]


# --- folding built days inside the database ------------------------------------------------
# A month is ~3,000 day rows; adding their JSON maps up in Python costs a JSON decode per
# map per row. The database adds them instead (SQLite json_each, PostgreSQL json_each_text,
# both C) and returns one row per (group, key): a few thousand small rows in all.

GROUP_SQL = {"hall": "0", "service": "d.service_id", "department": "s.department_id",
             "counter": "d.counter_id", "staff": "d.staff_id",
             # the staff member's own department (派驻单位), as it is now
             "staff_department": "COALESCE((SELECT st.department_id FROM staff st "
                                 "WHERE st.id = d.staff_id), 0)"}
_BUILT = ("d.hall_id = :hall AND d.day BETWEEN :start AND :end AND d.day IN "
          "(SELECT r.day FROM report_days r WHERE r.hall_id = :hall "
          "AND r.day BETWEEN :start AND :end)")
_FROM = "day_stats d JOIN services s ON s.id = d.service_id"


def _each(dialect: str, expr: str) -> tuple[str, str]:
    """FROM-clause function over a JSON object's members, and its value as a number."""
    if dialect == "postgresql":
        return f"json_each_text({expr})", "CAST({a}.value AS BIGINT)"
    return f"json_each({expr})", "{a}.value"


def fold_built(uow: UnitOfWork, hall_id: int, start: date, end: date, group: str
               ) -> dict[int, rollup.Sums]:
    """Sums of the built days of [start, end] per group key (0 = no counter/staff)."""
    from sqlalchemy import text

    g = GROUP_SQL[group]
    params = {"hall": hall_id, "start": start, "end": end}
    dialect = uow.conn.dialect.name
    counts = ", ".join(f"SUM(d.{c})" for c in rollup.Sums.COUNTS)
    out: dict[int, rollup.Sums] = {}
    for row in uow.conn.execute(text(
            f"SELECT {g} AS g, {counts} FROM {_FROM} WHERE {_BUILT} GROUP BY 1"), params):
        s = out.setdefault(int(row[0]), rollup.Sums())
        for name, value in zip(rollup.Sums.COUNTS, row[1:], strict=True):
            setattr(s, name, int(value or 0))
    for name in rollup.Sums.MAPS:
        each, value = _each(dialect, f"d.{name}")
        sql = (f"SELECT {g} AS g, j.key, SUM({value.format(a='j')}) FROM {_FROM}, {each} j "
               f"WHERE {_BUILT} GROUP BY 1, 2")
        for key, member, n in uow.conn.execute(text(sql), params):
            getattr(out.setdefault(int(key), rollup.Sums()), name)[str(member)] = int(n)
    return out


def fine_built(uow: UnitOfWork, hall_id: int, start: date, end: date, group: str,
               minutes: dict[str, set[int]]) -> dict[int, dict[str, dict[str, dict[str, int]]]]:
    """Per group key: {measure_fine: {minute: {second: n}}} for only the given minutes,
    summed by the database from day_fine's sixty counters (its (measure, minute) index)."""
    from sqlalchemy import bindparam, text

    g = GROUP_SQL[group].replace("d.", "f.")
    built = _BUILT.replace("d.", "f.")
    if uow.conn.dialect.name == "sqlite":  # unary + keeps SQLite on the (minute, day) index
        built = built.replace("f.day", "+f.day")
    sums = ", ".join(f"SUM(f.s{i})" for i in range(60))
    out: dict[int, dict[str, dict[str, dict[str, int]]]] = {}
    for name, wanted in minutes.items():
        if not wanted:
            continue
        sql = text(f"SELECT {g} AS g, f.minute, {sums} "
                   f"FROM day_fine f JOIN services s ON s.id = f.service_id "
                   f"WHERE {built} AND f.measure = :measure AND f.minute IN :minutes "
                   f"GROUP BY 1, 2").bindparams(bindparam("minutes", expanding=True))
        rows = uow.conn.execute(sql, {"hall": hall_id, "start": start, "end": end,
                                      "measure": name.removesuffix("_fine"),
                                      "minutes": sorted(wanted)})
        for key, minute, *counts in rows:
            base = minute * 60
            out.setdefault(int(key), {}).setdefault(name, {})[str(minute)] = {
                str(base + i): int(n) for i, n in enumerate(counts) if n}
    return out
