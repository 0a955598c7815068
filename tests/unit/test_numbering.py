"""Ticket numbering: the hall's local day and the printed number (hall/domain/numbering.py)."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from hall.domain.numbering import format_number, local_day

SHANGHAI = "Asia/Shanghai"


def test_one_second_before_shanghai_midnight_is_still_the_same_local_day():
    assert local_day(datetime(2026, 3, 1, 15, 59, 59, tzinfo=UTC), SHANGHAI) == date(2026, 3, 1)


def test_shanghai_midnight_starts_a_new_local_day():
    assert local_day(datetime(2026, 3, 1, 16, 0, 0, tzinfo=UTC), SHANGHAI) == date(2026, 3, 2)


def test_local_day_differs_from_the_utc_day_in_the_early_morning():
    at = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 07:30 on 2 March in Shanghai
    assert at.date() == date(2026, 3, 1)
    assert local_day(at, SHANGHAI) == date(2026, 3, 2)


def test_year_end_rolls_over_at_local_midnight():
    assert local_day(datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC), SHANGHAI) == date(2026, 12, 31)
    assert local_day(datetime(2026, 12, 31, 16, 0, tzinfo=UTC), SHANGHAI) == date(2027, 1, 1)


def test_any_aware_instant_is_accepted():
    beijing = timezone(timedelta(hours=8))
    assert local_day(datetime(2026, 3, 2, 0, 0, tzinfo=beijing), SHANGHAI) == date(2026, 3, 2)


def test_local_day_follows_the_halls_time_zone():
    at = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
    assert local_day(at, SHANGHAI) == date(2026, 3, 2)
    assert local_day(at, "Asia/Urumqi") == date(2026, 3, 2)  # UTC+6: 02:00
    assert local_day(at, "UTC") == date(2026, 3, 1)


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="naive"):
        local_day(datetime(2026, 3, 1, 16, 0), SHANGHAI)


@pytest.mark.parametrize(
    ("prefix", "seq", "number"),
    [("A", 1, "A001"), ("A", 42, "A042"), ("A", 999, "A999"), ("A", 1000, "A1000"),
     ("A", 12345, "A12345"), ("GS", 7, "GS007")],
)
def test_number_is_zero_padded_to_three_digits_and_never_wraps(prefix, seq, number):
    assert format_number(prefix, seq) == number


def test_number_width_is_configurable():
    assert format_number("B", 7, width=4) == "B0007"
    assert format_number("B", 7, width=1) == "B7"


def test_numbers_of_a_busy_day_are_all_distinct():
    numbers = [format_number("A", n) for n in range(1, 5001)]
    assert len(set(numbers)) == len(numbers)
