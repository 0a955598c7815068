"""The board's arrivals forecast (hall/services/supervision/forecast.py): tickets taken per
hour for the rest of today, from the same weekday's history — mean and min–max — read from
the tickets of days not rolled up and from the rollups of days that are."""
from __future__ import annotations

from datetime import UTC, date, datetime

from hall.services.context import read
from hall.services.queue import tickets
from hall.services.supervision import forecast, reports
from tests.integration.conftest import kiosk

# (local day, [(hour, minute), …]): the tickets taken, in Shanghai time
HISTORY = {
    date(2026, 11, 16): [(10, 5), (10, 59), (11, 0), (14, 1), (14, 30), (14, 59)],  # Monday
    # 2026-11-09, a Monday the hall was closed: no tickets, skipped (not a day of zeros)
    date(2026, 11, 2): [(10, 0), (10, 10), (10, 20), (10, 30), (14, 0)],  # Monday
    date(2026, 10, 26): [(9, 30), (11, 15), (11, 45), (14, 10), (14, 20)],  # Monday
    date(2026, 11, 17): [(10, 1), (10, 2), (12, 0), (16, 0)],  # a Tuesday: not Monday's
    date(2026, 11, 22): [(15, 0), (15, 5)],  # Sunday
    date(2026, 11, 23): [(9, 0), (9, 30)],  # today, before 10:00: not history
}


def shanghai(day: date, hh: int, mm: int) -> datetime:
    return datetime(day.year, day.month, day.day, hh - 8, mm, tzinfo=UTC)


def plant(ctx, hall, clock) -> None:
    now = clock.current
    for day, times in HISTORY.items():
        for hh, mm in times:
            clock.current = shanghai(day, hh, mm)
            tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall))
    clock.current = now


def test_forecast_from_same_weekday_history(ctx, hall, clock):
    plant(ctx, hall, clock)
    clock.current = shanghai(date(2026, 11, 23), 10, 20)  # Monday 10:20

    raw = read(ctx, lambda uow: forecast.arrivals(uow, hall["id"]))
    assert raw["weekday"] == 1 and raw["from_hour"] == 10 and raw["band"] == "min_max"
    assert raw["days"] == ["2026-11-16", "2026-11-02", "2026-10-26"]  # open Mondays only
    # by hand, hours 10 … 14 of the three Mondays: 10 → 2, 4, 0; 11 → 1, 0, 2; 12 and 13
    # nobody; 14 → 3, 1, 2. After 14:00 none of them took a ticket: no hours shown.
    assert raw["hours"] == [
        {"hour": 10, "mean": 2.0, "min": 0, "max": 4},
        {"hour": 11, "mean": 1.0, "min": 0, "max": 2},
        {"hour": 12, "mean": 0.0, "min": 0, "max": 0},
        {"hour": 13, "mean": 0.0, "min": 0, "max": 0},
        {"hour": 14, "mean": 2.0, "min": 1, "max": 3},
    ]
    # the rest of the day: the days' totals from 10:00 on are 6, 5 and 4
    assert raw["rest_of_day"] == {"mean": 5.0, "min": 4, "max": 6}

    # two of the Mondays rolled up (as the watch does for closed days): the same figures
    assert reports.roll_up(ctx, hall["id"], date(2026, 11, 2), date(2026, 11, 16)) != []
    rolled = read(ctx, lambda uow: forecast.arrivals(uow, hall["id"]))
    assert rolled == raw

    # at 14:00 only the afternoon is left; a hall with no history yet expects nothing known
    clock.current = shanghai(date(2026, 11, 23), 14, 0)
    later = read(ctx, lambda uow: forecast.arrivals(uow, hall["id"]))
    assert later["hours"] == [{"hour": 14, "mean": 2.0, "min": 1, "max": 3}]
    assert later["rest_of_day"] == {"mean": 2.0, "min": 1, "max": 3}
    clock.current = shanghai(date(2026, 11, 24), 10, 0)  # Tuesday: one Tuesday of history
    tuesday = read(ctx, lambda uow: forecast.arrivals(uow, hall["id"]))
    assert tuesday["days"] == ["2026-11-17"]
    assert tuesday["hours"][0] == {"hour": 10, "mean": 2.0, "min": 2, "max": 2}
    clock.current = shanghai(date(2026, 11, 25), 10, 0)  # Wednesday: none
    assert read(ctx, lambda uow: forecast.arrivals(uow, hall["id"]))["hours"] == []
