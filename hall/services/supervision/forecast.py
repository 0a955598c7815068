"""The board's arrivals forecast (issue 22): tickets taken (取号数, as the reports count them)
expected per hour for the rest of today, from the same weekday's history
(hall/domain/forecast.py says which days and how: the mean and the min–max range).

Each past day's tickets per local hour come from the day rollups when the day is built
(``day_stats.issued_by_hour``, the figures the reports show), else straight from the
tickets of that day: one statement counting 24 hour-bounds in the database, so no ticket
row leaves it. Days are read newest first and only until enough open days are found.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select

from hall.domain import forecast as plan
from hall.services import repo
from hall.services.context import UnitOfWork
from hall.services.supervision import rollup as store
from hall.store.models import DayStat, Ticket


def arrivals(uow: UnitOfWork, hall_id: int) -> dict[str, Any]:
    """The forecast for the rest of the hall's day: per hour from the current one, the
    mean, min and max of the history's days; the days used (newest first) say which."""
    hall = repo.hall_row(uow.conn, hall_id)
    tz = ZoneInfo(hall.timezone)
    local = uow.now.astimezone(tz)
    history = hourly_history(uow, hall_id, tz, plan.same_weekdays(local.date()))
    used = {d: history[d] for d in plan.open_days(history)}
    return {
        "weekday": local.isoweekday(),
        "from_hour": local.hour,
        "days": [d.isoformat() for d in used],
        "wanted_days": plan.HISTORY_DAYS,
        "band": plan.BAND,
        "hours": [h.as_dict() for h in plan.forecast(used, local.hour)],
        "rest_of_day": plan.rest_of_day(used, local.hour),
    }


def hourly_history(uow: UnitOfWork, hall_id: int, tz: ZoneInfo, days: list[date],
                   wanted: int = plan.HISTORY_DAYS) -> dict[date, dict[int, int]]:
    """Tickets taken per local hour on ``days`` (newest first), read until ``wanted`` of
    them had any: built days from the rollups, the others from the tickets."""
    if not days:
        return {}
    built = store.built_days(uow, hall_id, min(days), max(days))
    rolled = _rolled_up(uow, hall_id, [d for d in days if d in built])
    out: dict[date, dict[int, int]] = {}
    found = 0
    for day in days:
        counts = rolled.get(day, {}) if day in built else _counted(uow, hall_id, tz, day)
        out[day] = counts
        found += sum(counts.values()) > 0
        if found >= wanted:
            break
    return out


def _rolled_up(uow: UnitOfWork, hall_id: int, days: list[date]) -> dict[date, dict[int, int]]:
    """Built days' tickets per hour, added over their (service, window, staff) rows."""
    if not days:
        return {}
    d = DayStat.__table__
    out: dict[date, dict[int, int]] = {}
    for day, by_hour in uow.conn.execute(select(d.c.day, d.c.issued_by_hour).where(
            d.c.hall_id == hall_id, d.c.day.in_(days))):
        hours = out.setdefault(day, {})
        for hour, n in (by_hour or {}).items():
            hours[int(hour)] = hours.get(int(hour), 0) + int(n)
    return out


def _counted(uow: UnitOfWork, hall_id: int, tz: ZoneInfo, day: date) -> dict[int, int]:
    """A day not rolled up: its tickets (by the day they were taken, as the rollups count
    them) per local hour, counted by the database between each hour's UTC bounds."""
    t = Ticket.__table__
    edges = [datetime.combine(day, time(h), tz) for h in range(24)]
    edges.append(datetime.combine(day + timedelta(days=1), time(0), tz))
    counts = uow.conn.execute(select(*[
        func.count(case((and_(t.c.issued_at >= lo, t.c.issued_at < hi), 1)))
        for lo, hi in pairwise(edges)])
        .where(t.c.hall_id == hall_id, t.c.day == day)).one()
    return {h: int(n) for h, n in enumerate(counts) if n}
