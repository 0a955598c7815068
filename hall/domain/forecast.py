"""The arrivals forecast of the board, pure: for the rest of a day, per local hour, the
tickets taken (取号数) the same weekday's history says to expect — the mean of those days
and their range (lowest and highest day: with a handful of days a percentile band would
only be the same two numbers under another name).

History is the last ``HISTORY_DAYS`` same weekdays on which the hall took any ticket: a
weekday the hall was closed (a holiday, a move) is skipped, never a zero that would pull
the mean down. ``LOOKBACK_WEEKS`` bounds how far back those days are sought.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

HISTORY_DAYS = 8
LOOKBACK_WEEKS = 16  # 8 open days among the last 16 weeks: room for 春节 and 国庆 closures
BAND = "min_max"  # what the range is, said in the API: the lowest and the highest day

# one day's tickets taken per local hour (0–23); hours with none may be left out
HourCounts = Mapping[int, int]


def same_weekdays(today: date, weeks: int = LOOKBACK_WEEKS) -> list[date]:
    """The same weekday in each of the ``weeks`` weeks before ``today``, newest first."""
    return [today - timedelta(weeks=n) for n in range(1, weeks + 1)]


def open_days(history: Mapping[date, HourCounts], wanted: int = HISTORY_DAYS) -> list[date]:
    """The newest ``wanted`` days of ``history`` on which any ticket was taken."""
    taken = [d for d in sorted(history, reverse=True) if sum(history[d].values()) > 0]
    return taken[:wanted]


@dataclass(frozen=True, slots=True)
class HourForecast:
    hour: int
    mean: float
    min: int
    max: int

    def as_dict(self) -> dict[str, Any]:
        return {"hour": self.hour, "mean": round(self.mean, 2), "min": self.min,
                "max": self.max}


def forecast(history: Mapping[date, HourCounts], from_hour: int) -> list[HourForecast]:
    """Per hour from ``from_hour`` to the day's last hour with any history: the mean, the
    lowest and the highest count over the days of ``history`` (each day counts, a day
    with none in an hour counting 0 there). Nothing without history."""
    days = list(history.values())
    if not days:
        return []
    out = [HourForecast(h, sum(c) / len(c), min(c), max(c))
           for h in range(from_hour, 24) for c in [[d.get(h, 0) for d in days]]]
    while out and out[-1].max == 0:  # the hours after closing: nobody to expect
        out.pop()
    return out


def rest_of_day(history: Mapping[date, HourCounts], from_hour: int) -> dict[str, Any]:
    """The tickets still to come from ``from_hour`` on, as the mean of the days' totals
    and their range (the lowest and highest day's total, not a sum of hourly extremes)."""
    totals = [sum(n for h, n in d.items() if h >= from_hour) for d in history.values()]
    if not totals:
        return {"mean": None, "min": None, "max": None}
    return {"mean": round(sum(totals) / len(totals), 2), "min": min(totals),
            "max": max(totals)}
