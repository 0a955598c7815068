"""China's working-day calendar, for 承诺时限 deadlines counted in working days.

Statutory holidays and make-up workdays (调休) come from ``chinese_calendar``, which follows
the yearly notice of the General Office of the State Council. The package only knows the
years up to its release (1.11: 2004–2026) and raises NotImplementedError beyond; a deadline
must still be computable then, so those years fall back to Mon–Fri and ``covered(year)``
lets the caller warn that the result ignores holidays not given as hall overrides.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import lru_cache

import chinese_calendar

_DAY = timedelta(days=1)


@lru_cache(maxsize=64)
def _package_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 7, 1))
    except NotImplementedError:
        return False
    return True


def _statutory_workday(d: date) -> bool:
    if _package_covers(d.year):
        return chinese_calendar.is_workday(d)
    return d.weekday() < 5  # Mon–Fri: no holiday data for this year


Spans = tuple[tuple[time, time], ...]


def _statutory_holiday(d: date) -> bool:
    """A named statutory holiday (春节, 国庆 …), not an ordinary weekend."""
    if not _package_covers(d.year):
        return False
    holiday, name = chinese_calendar.get_holiday_detail(d)
    return bool(holiday and name)


@dataclass(frozen=True, slots=True)
class ServiceDay:
    """延时服务: a day (``on``) or a weekday every week (``weekday``, 1 = Monday … 7) the hall
    serves although it is not a working day, during ``hours`` (none: all day), for the
    ``services`` codes named (none: every service). A weekday rule skips statutory holidays
    and the hall's own closed days; a dated one always holds. Deadlines never count it."""

    on: date | None = None
    weekday: int | None = None
    hours: Spans = ()
    services: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if (self.on is None) == (self.weekday is None):
            raise ValueError("a service day has either a date or a weekday")


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """The national calendar plus one hall's overrides.

    ``extra_holidays`` close a day that would be a working day (a local holiday, a closure);
    ``extra_workdays`` open a day that would not be (a make-up day the package lacks). For a
    year the package does not cover, both sets together with Mon–Fri give the full calendar.
    """

    extra_holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    # 延时服务: days the hall serves that are not working days (never counted by deadlines)
    service_days: tuple[ServiceDay, ...] = ()

    def __post_init__(self) -> None:
        both = self.extra_holidays & self.extra_workdays
        if both:
            raise ValueError(f"dates both holiday and workday: {sorted(both)}")

    def covered(self, year: int) -> bool:
        """True when statutory holiday data exists for ``year`` (else Mon–Fri is assumed)."""
        return _package_covers(year)

    def is_workday(self, d: date) -> bool:
        if d in self.extra_holidays:
            return False
        if d in self.extra_workdays:
            return True
        return _statutory_workday(d)

    def extended_hours(self, d: date, service: str | None = None) -> Spans | None:
        """On a day that is no working day, the hours the hall still serves ``service``
        there (延时服务; ``()``: all day), or None when it does not serve it that day. None
        on a working day too: the regular hours hold then."""
        if self.is_workday(d):
            return None
        for day in self.service_days:
            if day.services and service is not None and service not in day.services:
                continue
            if day.on == d or (day.weekday == d.isoweekday() and d not in self.extra_holidays
                               and not _statutory_holiday(d)):
                return day.hours
        return None

    def serves(self, d: date, service: str | None = None) -> bool:
        """The hall serves (``service``) on ``d``: a working day or a 延时服务 day. Tickets
        and bookings ask this; deadlines ask ``is_workday``."""
        return self.is_workday(d) or self.extended_hours(d, service) is not None

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (``start`` itself never counts).

        A case accepted on D with a 5-working-day promise is due on add_working_days(D, 5),
        to the end of that day, even when D is a holiday (a weekend acceptance). Negative n
        walks back: the |n|-th working day before ``start``. n=0 returns ``start``.
        """
        step = _DAY if n >= 0 else -_DAY
        d, left = start, abs(n)
        while left:
            d += step
            if self.is_workday(d):
                left -= 1
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """Working days d with a < d <= b; negative (same count) when b < a."""
        if b < a:
            return -self.working_days_between(b, a)
        count, d = 0, a
        while d < b:
            d += _DAY
            count += self.is_workday(d)
        return count


DEFAULT_CALENDAR = WorkCalendar()
