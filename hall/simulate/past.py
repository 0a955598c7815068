"""`hall simulate --days N --fast`: the N days before today that the hall served (working
days and its 延时服务 days), each played in-process (hall/simulate/fast.py) from the same
plan as a live day, then rolled up as the nightly rollup would, so reports, 日考核 and the
月通报 show them. The same seed plays the same days. A day that already has tickets is
never filled again: it is left out and named in the answer."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hall.domain.workdays import WorkCalendar
from hall.services.config import accounts, staff_admin
from hall.services.context import Context
from hall.services.queue import catalog, past_days, queries, tickets
from hall.services.supervision import reports
from hall.simulate import plan as plans
from hall.simulate.cast import offer, staff_windows
from hall.simulate.day import counts
from hall.simulate.fast import Desk, FastDay, PastClock
from hall.simulate.players import Log, lunch_times

LOOK_BACK = 400  # days searched for N served days (a hall closed longer is not a hall)


class HallBusy(Exception):
    """A window is open or someone is in line: past days would share their windows and
    lines with today's."""


def served_days(calendar: WorkCalendar, today: date, n: int) -> list[date]:
    """The ``n`` days before ``today`` the hall served, oldest first."""
    found, d = [], today
    while len(found) < n and (today - d).days < LOOK_BACK:
        d -= timedelta(days=1)
        if calendar.serves(d):
            found.append(d)
    return sorted(found)


def day_hours(calendar: WorkCalendar, day: date, open_hour: int, close_hour: int
              ) -> tuple[int, int]:
    """The hours a day is played: the plan's, within a 延时服务 day's own hours if it has
    any (a Saturday morning's, say)."""
    spans = calendar.extended_hours(day)
    if not spans:  # a working day, or 延时服务 all day
        return open_hour, close_hour
    first = min(a.hour for a, _ in spans)
    last = max(b.hour + (1 if b.minute else 0) for _, b in spans)
    start, end = max(open_hour, first), min(close_hour, last)
    return (start, end) if start < end else (open_hour, close_hour)


def fill(ctx: Context, *, days: int, seed: int, visitors: int, open_hour: int,
         close_hour: int, log_path: Path, windows: int | None = None,
         hall_code: str | None = None) -> dict[str, Any]:
    """Fill the days; returns each filled day's log counts, the days left out (they had
    tickets), the days rolled up and the errors. Raises HallBusy before doing anything
    when the hall is not quiet."""
    hall = past_days.hall_of(ctx, hall_code)
    calendar = past_days.calendar(hall)
    today = ctx.clock.now().astimezone(ZoneInfo(hall.timezone)).date()
    wanted = served_days(calendar, today, days)
    had = past_days.days_with_tickets(ctx, hall.id, wanted)
    todo = [d for d in wanted if d not in had]
    summary: dict[str, Any] = {"days": {}, "skipped": [d.isoformat() for d in sorted(had)],
                               "rolled_up": [], "errors": []}
    if not todo:
        return summary
    now = past_days.busy(ctx, hall.id)
    if now["open_windows"] or now["in_line"]:
        raise HallBusy(now)
    counters = queries.counters(ctx, hall.id)
    served = {c["id"]: frozenset(s["service_id"] for s in c["services"]) for c in counters}
    sims = {s["login"]: s["id"] for s in staff_admin.list_staff(ctx, hall.id) if s["active"]}
    cast = staff_windows(ctx, counters, hall_code=hall.code, windows=windows,
                         open_hour=open_hour, close_hour=close_hour, keep=sims)
    kiosk = accounts.add_device(ctx, kind="kiosk", name="simulate", hall_code=hall.code).value
    cast_kiosk = accounts.device_actor(ctx, kiosk["token"], cached=False)
    pads = {w.counter_id: accounts.device_actor(ctx, w.pad_token, cached=False) for w in cast}
    # each day sets the log's clock to its own
    log = Log(log_path, PastClock(datetime.now(ZoneInfo(hall.timezone)), open_hour))
    try:
        for day in todo:
            hours = day_hours(calendar, day, open_hour, close_hour)
            clock = PastClock(datetime.combine(day, time(hours[0]), ZoneInfo(hall.timezone)),
                              hours[0])
            log.clock, log.extra = clock, {"date": day.isoformat()}
            past = replace(ctx, clock=clock.services, followups=[])
            desks = [Desk(window=replace(w, lunch_at=lunch), services=served[w.counter_id],
                          pad=pads[w.counter_id])
                     for w, lunch in zip(cast, lunch_times(len(cast), *hours), strict=True)]
            _play(past, hall, clock, log, desks, cast_kiosk, seed=seed,
                  visitors=_visitors(visitors, hours, (open_hour, close_hour)), hours=hours)
        log.extra = {}
        log.write("end", errors=len(log.errors))
    finally:
        log.close()
    summary["days"] = {d.isoformat(): counts(log_path, on=d.isoformat()) for d in todo}
    summary["rolled_up"] = [d.isoformat() for d in reports.rebuild(ctx, hall.id, todo)]
    summary["errors"] = list(log.errors)
    return summary


def _play(ctx: Context, hall: Any, clock: PastClock, log: Log, desks: list[Desk],
          kiosk: Any, *, seed: int, visitors: int, hours: tuple[int, int]) -> None:
    day = clock.opening.date()
    shown = _catalog(ctx, hall.id, clock, hours)
    what = offer(shown)
    visitors_plan = plans.day(seed, what.services, visitors, *hours, bookable=what.bookable,
                              priority_reasons=what.priority_reasons,
                              variant=day.isoformat())
    log.write("day", seed=seed, speed="fast", visitors=len(visitors_plan),
              windows=[d.window.number for d in desks], services=what.services)
    FastDay(ctx=ctx, clock=clock, log=log, hall_id=hall.id, kiosk=kiosk, desks=desks,
            early_s=tickets.check_in_window(hall)[0]).play(visitors_plan)


def _catalog(ctx: Context, hall_id: int, clock: PastClock, hours: tuple[int, int]
             ) -> dict[str, Any]:
    """The kiosk's catalog of the day, each service available if it was at some hour of
    it (a service open only in the afternoon is offered; who comes too early for it is
    turned away, as at a live kiosk)."""
    shown = None
    for hour in range(hours[1] - hours[0]):
        clock.set(hour * 3600 + 1800)
        now = catalog.catalog(ctx, hall_id)
        if shown is None:
            shown = now
            continue
        open_then = {s["code"] for dep in now["departments"] for s in dep["services"]
                     if s["available"]}
        for dep in shown["departments"]:
            for s in dep["services"]:
                s["available"] = s["available"] or s["code"] in open_then
    clock.set(0.0)
    return shown or catalog.catalog(ctx, hall_id)


def _visitors(visitors: int, hours: tuple[int, int], usual: tuple[int, int]) -> int:
    """A shorter day (a 延时服务 morning) brings its hours' share of a usual day's."""
    share = sum(w for _, w in plans.hours(*hours)) / (sum(w for _, w in plans.hours(*usual))
                                                      or 1.0)
    return round(visitors * min(1.0, share))

