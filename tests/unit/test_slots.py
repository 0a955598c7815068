"""Appointment slots (hall/domain/slots.py): pure functions, no database."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from hall.domain.hall import parse_hours
from hall.domain.slots import (
    DEFAULT_HOURS,
    Arrival,
    BookingRules,
    arrival,
    bookable_slot,
    booking_days,
    check_day,
    check_in_kind,
    day_slots,
    open_slots,
    parse_booking,
)
from hall.domain.workdays import WorkCalendar
from tests.conftest import refused

TZ = "Asia/Shanghai"
SH = ZoneInfo(TZ)
RULES = BookingRules(slot_minutes=30, capacity=4, days_ahead=7)
HOURS = parse_hours(["09:00-12:00", "13:30-17:00"])
CAL = WorkCalendar()


def local(y, m, d, hh=10, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


# --------------------------------------------------------------------------- parse_booking

def test_an_empty_booking_config_means_no_appointments():
    assert parse_booking({}) is None and parse_booking(None) is None


def test_a_full_booking_config_is_read():
    assert parse_booking({"slot_minutes": 20, "capacity": 3, "days_ahead": 5}) == BookingRules(
        20, 3, 5)


@pytest.mark.parametrize("cfg, words", [
    ({"slot_minutes": 30, "capacity": 4}, "days_ahead"),
    ({"slot_minutes": 0, "capacity": 4, "days_ahead": 7}, "slot_minutes"),
    ({"slot_minutes": 30, "capacity": 4, "days_ahead": 7, "colour": "red"}, "colour"),
    ({"slot_minutes": 30, "capacity": True, "days_ahead": 7}, "capacity"),
    ({"slot_minutes": "30", "capacity": 4, "days_ahead": 7}, "slot_minutes"),
    ({"slot_minutes": 30, "capacity": 4, "days_ahead": 365}, "days_ahead"),
])
def test_a_bad_booking_config_is_refused_naming_the_setting(cfg, words):
    with pytest.raises(ValueError, match=words):
        parse_booking(cfg)


# --------------------------------------------------------------------------- day_slots

def test_slots_fill_the_opening_spans_and_skip_the_lunch_break():
    slots = day_slots(date(2026, 11, 24), HOURS, RULES, TZ)
    starts = [s.start.strftime("%H:%M") for s in slots]
    assert starts[:2] == ["09:00", "09:30"] and "11:30" in starts and "12:00" not in starts
    assert "13:30" in starts and starts[-1] == "16:30" and len(slots) == 6 + 7
    assert all(s.end - s.start == timedelta(minutes=30) for s in slots)
    assert slots[0].start.utcoffset() == timedelta(hours=8)  # the hall's zone


def test_a_span_shorter_than_a_slot_offers_nothing_past_closing():
    slots = day_slots(date(2026, 11, 24), parse_hours(["09:00-10:50"]),
                      BookingRules(45, 1, 1), TZ)
    assert [s.start.strftime("%H:%M") for s in slots] == ["09:00", "09:45"]
    assert slots[-1].end.time() == time(10, 30)


def test_a_service_without_opening_hours_books_within_the_default_day():
    slots = day_slots(date(2026, 11, 24), (), RULES, TZ)
    assert slots == day_slots(date(2026, 11, 24), DEFAULT_HOURS, RULES, TZ)
    assert slots[0].start.time() == time(9, 0)


def test_slots_already_begun_are_not_offered():
    slots = day_slots(date(2026, 11, 24), HOURS, RULES, TZ)
    left = open_slots(slots, local(2026, 11, 24, 9, 30))
    assert left[0].start == local(2026, 11, 24, 10, 0)


# --------------------------------------------------------------------------- days

def test_booking_days_are_working_days_only_across_national_day():
    days = booking_days(date(2026, 9, 28), BookingRules(30, 1, 14), CAL.is_workday)
    assert date(2026, 10, 1) not in days and date(2026, 10, 3) not in days
    assert date(2026, 10, 10) in days  # a Saturday made a working day (调休)
    assert days[:3] == [date(2026, 9, 28), date(2026, 9, 29), date(2026, 9, 30)]
    assert days[3] == date(2026, 10, 8) and days[-1] == date(2026, 10, 12)


def test_a_hall_closure_is_not_bookable():
    closed = WorkCalendar(extra_holidays=frozenset({date(2026, 11, 25)}))
    assert date(2026, 11, 25) not in booking_days(date(2026, 11, 23), RULES, closed.is_workday)
    refused("not_a_working_day", "day", check_day, date(2026, 11, 25), date(2026, 11, 23),
            RULES, closed.is_workday)


def test_weekend_past_and_too_far_days_are_refused_naming_the_field():
    today = date(2026, 11, 23)
    err = refused("not_a_working_day", "day", check_day, date(2026, 11, 28), today, RULES,
                  CAL.is_workday)
    assert err.params == {"day": "2026-11-28"}
    refused("day_in_past", "day", check_day, date(2026, 11, 20), today, RULES, CAL.is_workday)
    refused("beyond_booking_window", "day", check_day, date(2026, 12, 1), today, RULES,
            CAL.is_workday)
    check_day(date(2026, 11, 30), today, RULES, CAL.is_workday)  # exactly 7 days ahead


# --------------------------------------------------------------------------- bookable_slot

def test_a_listed_future_slot_is_bookable():
    slot = bookable_slot(local(2026, 11, 24, 13, 30).astimezone(UTC), local(2026, 11, 23),
                         HOURS, RULES, TZ, CAL.is_workday)
    assert slot.start == local(2026, 11, 24, 13, 30) and slot.end == local(2026, 11, 24, 14)


@pytest.mark.parametrize("start, code", [
    (local(2026, 11, 24, 9, 10), "not_a_slot"),  # not on the slot grid
    (local(2026, 11, 24, 12, 0), "not_a_slot"),  # lunch break
    (local(2026, 11, 23, 9, 30), "slot_in_past"),  # earlier today
    (local(2026, 11, 23, 10, 0), "slot_in_past"),  # begins right now
    (local(2026, 11, 29, 9, 0), "not_a_working_day"),  # Sunday
    (local(2026, 12, 2, 9, 0), "beyond_booking_window"),
])
def test_a_slot_that_cannot_be_booked_is_refused_naming_start(start, code):
    refused(code, "start", bookable_slot, start, local(2026, 11, 23), HOURS, RULES, TZ,
            CAL.is_workday)


def test_a_start_without_time_zone_is_refused():
    refused("invalid_start", "start", bookable_slot, datetime(2026, 11, 24, 9),
            local(2026, 11, 23), HOURS, RULES, TZ, CAL.is_workday)


# --------------------------------------------------------------------------- check-in window

@pytest.mark.parametrize("minutes_before, expected", [
    (31, Arrival.EARLY), (30, Arrival.ON_TIME), (0, Arrival.ON_TIME), (-15, Arrival.ON_TIME),
    (-16, Arrival.LATE),
])
def test_arrival_is_on_time_from_early_before_to_late_after_the_start(minutes_before, expected):
    start = local(2026, 11, 24, 10)
    now = start - timedelta(minutes=minutes_before)
    assert arrival(start, now, 30 * 60, 15 * 60) is expected


def test_check_in_kind_refuses_early_and_past_days_and_makes_late_normal():
    start = local(2026, 11, 24, 10)
    assert check_in_kind(start, start, 1800, 900, TZ) == "appointment"
    assert check_in_kind(start, start + timedelta(hours=3), 1800, 900, TZ) == "normal"
    err = refused("appointment_too_early", "code", check_in_kind, start,
                  start - timedelta(hours=1), 1800, 900, TZ, "code")
    assert err.params == {"minutes": 30}
    refused("appointment_expired", "appointment_code", check_in_kind, start,
            start + timedelta(days=1), 1800, 900, TZ)


def test_a_check_in_on_the_wrong_day_names_the_booked_day_in_the_halls_zone():
    # 07:30 in Shanghai on the 24th is still the 23rd in UTC: the hall's date is the one shown
    start = local(2026, 11, 24, 7, 30)
    assert start.astimezone(UTC).date() == date(2026, 11, 23)
    early = refused("appointment_too_early", "code", check_in_kind, start,
                    start - timedelta(days=1), 1800, 900, TZ, "code")
    assert early.params == {"day": "2026-11-24", "time": "07:30"}
    assert "2026-11-24" in str(early) and "07:30" in str(early)
    late = refused("appointment_expired", "code", check_in_kind, start,
                   start + timedelta(days=2), 1800, 900, TZ, "code")
    assert late.params == {"day": "2026-11-24", "time": "07:30"}
    assert "2026-11-24" in str(late)
