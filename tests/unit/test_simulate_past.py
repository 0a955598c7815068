"""Which past days `hall simulate --days N --fast` fills (hall/simulate/past.py): the days
the hall served — working days by the national calendar, and its 延时服务 days within
their own hours."""
from __future__ import annotations

from datetime import date, time

from hall.domain.workdays import ServiceDay, WorkCalendar
from hall.simulate.past import day_hours, served_days


def test_past_days_are_the_days_the_hall_served():
    national = WorkCalendar()
    # 国庆: 1–7 October 2026 closed, Saturday the 10th a make-up working day
    assert served_days(national, date(2026, 10, 11), 3) == [
        date(2026, 10, 8), date(2026, 10, 9), date(2026, 10, 10)]
    assert served_days(national, date(2026, 10, 8), 1) == [date(2026, 9, 30)]
    # Saturday mornings are 延时服务 days: the 5th December is filled, 09:00–12:00 only
    saturdays = WorkCalendar(service_days=(ServiceDay(weekday=6,
                                                      hours=((time(9), time(11, 30)),)),))
    assert served_days(saturdays, date(2026, 12, 7), 3) == [
        date(2026, 12, 3), date(2026, 12, 4), date(2026, 12, 5)]
    assert served_days(national, date(2026, 12, 7), 3) == [
        date(2026, 12, 2), date(2026, 12, 3), date(2026, 12, 4)]
    assert day_hours(saturdays, date(2026, 12, 5), 9, 17) == (9, 12)
    assert day_hours(saturdays, date(2026, 12, 4), 9, 17) == (9, 17)
