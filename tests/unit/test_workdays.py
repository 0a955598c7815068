"""Working-day arithmetic on the real 2026 calendar.

Facts from 国务院办公厅关于2026年部分节假日安排的通知 (as shipped in chinesecalendar 1.11):
- 春节: Feb 15 (Sun) – Feb 23 (Mon) off, 9 days; Sat Feb 14 and Sat Feb 28 are workdays.
- 中秋节: Sep 25 (Fri) – Sep 27 off.
- 国庆节: Oct 1 (Thu) – Oct 7 (Wed) off; Sun Sep 20 and Sat Oct 10 are workdays.
- 元旦: Jan 1 – Jan 3 off; Sun Jan 4 is a workday.
"""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hall.domain.workdays import ServiceDay, WorkCalendar

CAL = WorkCalendar()


def test_plain_week_counts_monday_to_friday():
    # Mon 2026-11-23 + 5 working days: Tue 24, Wed 25, Thu 26, Fri 27, Mon 30.
    assert CAL.add_working_days(date(2026, 11, 23), 5) == date(2026, 11, 30)
    assert CAL.working_days_between(date(2026, 11, 23), date(2026, 11, 30)) == 5


def test_zero_days_returns_the_start_even_on_a_holiday():
    assert CAL.add_working_days(date(2026, 10, 3), 0) == date(2026, 10, 3)


def test_national_day_2026_holidays_and_make_up_days():
    assert all(not CAL.is_workday(date(2026, 10, d)) for d in range(1, 8))
    assert CAL.is_workday(date(2026, 9, 20))  # Sunday, make-up workday
    assert CAL.is_workday(date(2026, 10, 10))  # Saturday, make-up workday
    assert not CAL.is_workday(date(2026, 9, 25))  # Friday, 中秋节
    assert not CAL.is_workday(date(2026, 10, 11))  # ordinary Sunday


def test_case_accepted_before_national_day_is_due_after_it():
    # Accepted Wed Sep 30 with 5 days: Oct 1–7 off, then Thu 8, Fri 9, Sat 10 (make-up),
    # Mon 12, Tue 13 -> due Tue Oct 13.
    assert CAL.add_working_days(date(2026, 9, 30), 5) == date(2026, 10, 13)


def test_make_up_sunday_counts_as_a_working_day():
    # Accepted Fri Sep 18: Sun 20 (make-up), Mon 21, Tue 22, Wed 23, Thu 24 -> Thu Sep 24.
    assert CAL.add_working_days(date(2026, 9, 18), 5) == date(2026, 9, 24)
    # One more day skips 中秋 (Fri 25 – Sun 27): Mon Sep 28.
    assert CAL.add_working_days(date(2026, 9, 18), 6) == date(2026, 9, 28)


def test_spring_festival_2026():
    # Accepted Fri Feb 13: Sat 14 (make-up), then Feb 15–23 off, Tue 24, Wed 25, Thu 26,
    # Fri 27 -> the 5th working day is Fri Feb 27; the 6th is Sat Feb 28 (make-up).
    assert CAL.add_working_days(date(2026, 2, 13), 5) == date(2026, 2, 27)
    assert CAL.add_working_days(date(2026, 2, 13), 6) == date(2026, 2, 28)
    # Whole February 2026: 20 Mon–Fri minus 6 holiday weekdays (16–20, 23) plus 2 Saturdays.
    assert CAL.working_days_between(date(2026, 1, 31), date(2026, 2, 28)) == 16


def test_new_year_2026_make_up_sunday():
    assert not CAL.is_workday(date(2026, 1, 2))  # Friday off
    assert CAL.is_workday(date(2026, 1, 4))  # Sunday worked
    # Accepted Wed Dec 31 2025: Sun Jan 4, Mon 5, Tue 6 -> Tue Jan 6 for 3 days.
    assert CAL.add_working_days(date(2025, 12, 31), 3) == date(2026, 1, 6)


def test_acceptance_on_a_holiday_counts_from_the_next_working_day():
    # Accepted Sat Oct 3 (a hall open on a holiday): Thu 8, Fri 9 -> Fri Oct 9 for 2 days.
    assert CAL.add_working_days(date(2026, 10, 3), 2) == date(2026, 10, 9)


def test_negative_days_walk_back_over_holidays():
    # 1 working day before Thu Oct 8 is Wed Sep 30 (Oct 1–7 are off).
    assert CAL.add_working_days(date(2026, 10, 8), -1) == date(2026, 9, 30)
    # 2 working days before Mon Oct 12: Sat Oct 10 (make-up) then Fri Oct 9.
    assert CAL.add_working_days(date(2026, 10, 12), -2) == date(2026, 10, 9)


def test_between_is_negative_when_reversed_and_zero_on_same_day():
    assert CAL.working_days_between(date(2026, 10, 13), date(2026, 9, 30)) == -5
    assert CAL.working_days_between(date(2026, 5, 6), date(2026, 5, 6)) == 0
    # Across the Oct 1–7 holiday alone: nothing.
    assert CAL.working_days_between(date(2026, 9, 30), date(2026, 10, 7)) == 0


def test_hall_overrides_win_over_the_national_calendar():
    cal = WorkCalendar(
        extra_holidays=frozenset({date(2026, 11, 24)}),  # a local closure, a Tuesday
        extra_workdays=frozenset({date(2026, 11, 28)}),  # a Saturday service day
    )
    assert not cal.is_workday(date(2026, 11, 24))
    assert cal.is_workday(date(2026, 11, 28))
    # From Mon Nov 23: Wed 25, Thu 26, Fri 27, Sat 28, Mon 30.
    assert cal.add_working_days(date(2026, 11, 23), 5) == date(2026, 11, 30)
    assert cal.add_working_days(date(2026, 11, 23), 4) == date(2026, 11, 28)


def test_a_day_cannot_be_both_holiday_and_workday():
    d = date(2026, 11, 24)
    with pytest.raises(ValueError):
        WorkCalendar(extra_holidays=frozenset({d}), extra_workdays=frozenset({d}))


def test_2027_falls_back_to_monday_to_friday_and_says_so():
    assert CAL.covered(2026)
    assert not CAL.covered(2027)
    assert not CAL.covered(2003)
    # Fri Oct 1 2027 would be National Day, but without data it is a plain Friday.
    assert CAL.is_workday(date(2027, 10, 1))
    assert not CAL.is_workday(date(2027, 10, 2))
    # Spanning the year boundary: Wed Dec 30 2026 + 3 -> Thu 31, Fri Jan 1 2027 (New Year's
    # Day, unknown to the package, so counted), Mon Jan 4.
    assert CAL.add_working_days(date(2026, 12, 30), 3) == date(2027, 1, 4)
    # A hall that enters the 2027 New Year holiday gets Tue Jan 5 instead.
    new_year = WorkCalendar(extra_holidays=frozenset({date(2027, 1, 1)}))
    assert new_year.add_working_days(date(2026, 12, 30), 3) == date(2027, 1, 5)


def test_overrides_supply_a_year_the_package_lacks():
    cal = WorkCalendar(extra_holidays=frozenset(date(2027, 10, d) for d in range(1, 8)))
    # Thu Sep 30 2027 + 2: Oct 1–7 off, Fri Oct 8, Mon Oct 11.
    assert cal.add_working_days(date(2027, 9, 30), 2) == date(2027, 10, 11)


@given(
    start=st.dates(min_value=date(2025, 6, 1), max_value=date(2027, 6, 1)),
    n=st.integers(min_value=0, max_value=40),
)
def test_add_and_between_agree(start: date, n: int):
    end = CAL.add_working_days(start, n)
    assert CAL.working_days_between(start, end) == n
    assert n == 0 or CAL.is_workday(end)
    assert end - start >= timedelta(days=n)


# --- 延时服务 (issue 22) --------------------------------------------------------------------

SATURDAY_MORNINGS = WorkCalendar(service_days=(
    ServiceDay(weekday=6, hours=((time(9), time(12)),)),
    ServiceDay(on=date(2026, 11, 29), services=frozenset({"ss"})),
))


def test_extended_service_days_serve_but_never_count_as_working_days():
    sat, sun = date(2026, 11, 28), date(2026, 11, 29)
    assert SATURDAY_MORNINGS.serves(sat) and not SATURDAY_MORNINGS.is_workday(sat)
    assert SATURDAY_MORNINGS.extended_hours(sat) == ((time(9), time(12)),)
    # a dated day for one service only
    assert SATURDAY_MORNINGS.serves(sun, "ss") and not SATURDAY_MORNINGS.serves(sun, "hj")
    assert SATURDAY_MORNINGS.extended_hours(sun, "ss") == ()
    # working days keep their regular hours; deadlines skip the Saturday as before
    assert SATURDAY_MORNINGS.extended_hours(date(2026, 11, 27)) is None
    assert SATURDAY_MORNINGS.add_working_days(date(2026, 11, 27), 5) \
        == CAL.add_working_days(date(2026, 11, 27), 5) == date(2026, 12, 4)


def test_weekly_extended_service_skips_statutory_holidays_and_closed_days():
    assert not SATURDAY_MORNINGS.serves(date(2026, 10, 3))  # 国庆 Saturday
    closed = WorkCalendar(extra_holidays=frozenset({date(2026, 11, 28)}),
                          service_days=SATURDAY_MORNINGS.service_days)
    assert not closed.serves(date(2026, 11, 28))
    with pytest.raises(ValueError):
        ServiceDay()
