"""Appointment (预约) slots: which slots a service offers on a day, which may be booked now,
and whether a visitor checking in is early, on time or late. Pure functions.

A service's booking rules come from ``services.booking``: ``{"slot_minutes": 30,
"capacity": 4, "days_ahead": 7}``; ``{}`` means the service takes no appointments. Slots
are cut from the service's opening hours (a service without hours is open all day for
walk-ins; its appointments use ``DEFAULT_HOURS``) on the hall's working days only. Times
are aware datetimes; a slot is identified by its start.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from hall.domain.errors import DomainError
from hall.domain.i18n import N_

Hours = tuple[tuple[time, time], ...]
IsWorkday = Callable[[date], bool]

# (min, max) of each booking setting; a layout outside them is refused at seed time
LIMITS: dict[str, tuple[int, int]] = {"slot_minutes": (5, 240), "capacity": (1, 1000),
                                      "days_ahead": (0, 90)}
DEFAULT_HOURS: Hours = ((time(9, 0), time(12, 0)), (time(13, 30), time(17, 0)))


@dataclass(frozen=True, slots=True)
class BookingRules:
    slot_minutes: int
    capacity: int
    days_ahead: int  # today plus this many days may be booked


def parse_booking(cfg: dict[str, Any] | None) -> BookingRules | None:
    """``{}``/None → None (no appointments); otherwise all three settings, within LIMITS."""
    if not cfg:
        return None
    unknown = sorted(set(cfg) - set(LIMITS))
    if unknown:
        raise ValueError(f"unknown booking setting(s) {unknown}; use {sorted(LIMITS)}")
    values = {}
    for key, (low, high) in LIMITS.items():
        value = cfg.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"booking.{key} must be a whole number from {low} to {high}")
        values[key] = value
    return BookingRules(**values)


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime  # aware, in the hall's zone
    end: datetime


def day_slots(day: date, hours: Hours, rules: BookingRules, timezone: str) -> list[Slot]:
    """Every whole slot inside the opening spans of ``day``; a remainder too short for a
    slot at the end of a span is not offered (nobody is booked to run past closing)."""
    zone = ZoneInfo(timezone)
    step = timedelta(minutes=rules.slot_minutes)
    out = []
    for a, b in hours or DEFAULT_HOURS:
        start, stop = datetime.combine(day, a, zone), datetime.combine(day, b, zone)
        while start + step <= stop:
            out.append(Slot(start, start + step))
            start += step
    return out


def booking_days(today: date, rules: BookingRules, is_workday: IsWorkday) -> list[date]:
    """The working days from today to today + days_ahead, in order."""
    days = (today + timedelta(days=i) for i in range(rules.days_ahead + 1))
    return [d for d in days if is_workday(d)]


def check_day(day: date, today: date, rules: BookingRules, is_workday: IsWorkday,
              field: str = "day") -> None:
    """Refuse a day in the past, beyond the booking window, or not a working day."""
    if day < today:
        raise DomainError("day_in_past", N_("%(day)s has already passed"), field,
                          day=day.isoformat())
    if day > today + timedelta(days=rules.days_ahead):
        raise DomainError("beyond_booking_window",
                          N_("Appointments can be made at most %(days)d days ahead"), field,
                          days=rules.days_ahead)
    if not is_workday(day):
        raise DomainError("not_a_working_day",
                          N_("%(day)s is not a working day: the hall is closed"), field,
                          day=day.isoformat())


def bookable_slot(start: datetime, now: datetime, hours: Hours, rules: BookingRules,
                  timezone: str, is_workday: IsWorkday, field: str = "start") -> Slot:
    """The slot starting at ``start`` if it may be booked at ``now``; else a DomainError
    naming ``field``. Capacity is the store's business (one atomic statement)."""
    if start.tzinfo is None:
        raise DomainError("invalid_start", N_("Give the slot start with its time zone"), field)
    zone = ZoneInfo(timezone)
    local = start.astimezone(zone)
    check_day(local.date(), now.astimezone(zone).date(), rules, is_workday, field)
    slot = next((s for s in day_slots(local.date(), hours, rules, timezone)
                 if s.start == local), None)
    if slot is None:
        raise DomainError("not_a_slot", N_("No appointment slot starts at %(time)s"), field,
                          time=local.strftime("%Y-%m-%d %H:%M"))
    if slot.start <= now:
        raise DomainError("slot_in_past", N_("This slot has already begun"), field)
    return slot


def open_slots(slots: Iterable[Slot], now: datetime) -> list[Slot]:
    """Slots not yet begun: a slot that has started can no longer be booked."""
    return [s for s in slots if s.start > now]


class Arrival(StrEnum):
    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"


def arrival(slot_start: datetime, now: datetime, early_s: int, late_s: int) -> Arrival:
    """On time from ``early_s`` before the slot to ``late_s`` after its start."""
    ahead = (slot_start - now).total_seconds()
    if ahead > early_s:
        return Arrival.EARLY
    if -ahead > late_s:
        return Arrival.LATE
    return Arrival.ON_TIME


def check_in_kind(slot_start: datetime, now: datetime, early_s: int, late_s: int,
                  timezone: str, field: str = "appointment_code") -> str:
    """The ticket kind a check-in gets: ``appointment`` on time, ``normal`` when late the
    same day. Too early, or an appointment of another day, is refused; a wrong day is named
    with the booked date and time in the hall's zone, so the visitor knows when to come."""
    zone = ZoneInfo(timezone)
    booked, today = slot_start.astimezone(zone), now.astimezone(zone).date()
    when_booked = {"day": booked.date().isoformat(), "time": booked.strftime("%H:%M")}
    if booked.date() < today:
        raise DomainError("appointment_expired",
                          N_("This appointment was for %(day)s %(time)s, an earlier day; "
                             "please book again"), field, **when_booked)
    if booked.date() > today:
        raise DomainError("appointment_too_early",
                          N_("Your appointment is on %(day)s at %(time)s: please check in "
                             "on that day"), field, **when_booked)
    when = arrival(slot_start, now, early_s, late_s)
    if when is Arrival.EARLY:
        raise DomainError("appointment_too_early",
                          N_("Too early: check in from %(minutes)d minutes before your slot"),
                          field, minutes=early_s // 60)
    return "normal" if when is Arrival.LATE else "appointment"
