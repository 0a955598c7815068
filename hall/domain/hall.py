"""Hall, service and counter values the service layer reads from the store."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from hall.domain.callnext import Policy
from hall.domain.errors import CounterStateError, ServiceUnavailable
from hall.domain.i18n import N_

# (day, service code) → the 延时服务 hours of a day that is no working day, or None
ExtendedHours = Callable[[date, str], tuple[tuple[time, time], ...] | None]


@dataclass(frozen=True, slots=True)
class HallSettings:
    id: int
    code: str
    name: str
    timezone: str = "Asia/Shanghai"
    target_wait_s: int = 15 * 60
    priority_ratio: int = 2
    max_wait_s: int = 45 * 60
    rating_window_s: int = 10 * 60
    recall_limit: int = 3

    def policy(self) -> Policy:
        return Policy(priority_ratio=self.priority_ratio,
                      max_wait=timedelta(seconds=self.max_wait_s), timezone=self.timezone)

    def local(self, at: datetime) -> datetime:
        return at.astimezone(ZoneInfo(self.timezone))


def parse_hours(spans: list[str]) -> tuple[tuple[time, time], ...]:
    """["09:00-12:00", "13:30-17:00"] → ((09:00, 12:00), (13:30, 17:00)); rejects nonsense."""
    out = []
    for span in spans:
        start, _, end = span.partition("-")
        a, b = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
        if not a < b:
            raise ValueError(f"opening span {span!r} must start before it ends")
        out.append((a, b))
    return tuple(sorted(out))


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    id: int
    hall_id: int
    code: str
    name: str
    prefix: str
    kind: str = "instant"  # instant (即办件) | promised (承诺件)
    promised_days: int = 0
    expected_visit_s: int = 600
    time_limit_s: int = 1200
    warning_s: int = 900
    warning_days: int = 1  # 警戒时限 of its cases, in working days before due
    daily_quota: int | None = None
    hours: tuple[tuple[time, time], ...] = ()
    active: bool = True

    def check_open(self, local_now: datetime, is_workday: Callable[[date], bool],
                   extended_hours: ExtendedHours | None = None) -> None:
        """Raise ServiceUnavailable (with the reason a visitor is told) unless issuable now.

        A service without hours is always open. ``extended_hours(day, code)``
        (``WorkCalendar.extended_hours``) opens a day that is no working day (延时服务), within
        the day's hours when it has some as well as the service's own."""
        if not self.active:
            raise ServiceUnavailable("service_closed", N_("%(service)s is not offered at present"),
                                     service=self.name)
        if not self.hours:
            return
        day = local_now.date()
        workday = is_workday(day)
        extra = None if workday or extended_hours is None else extended_hours(day, self.code)
        if not workday and extra is None:
            raise ServiceUnavailable("service_closed_today",
                                     N_("%(service)s is closed today (not a working day)"),
                                     service=self.name)
        t = local_now.time()
        for spans in (self.hours, extra):
            if spans and not any(a <= t < b for a, b in spans):
                raise ServiceUnavailable(
                    "service_outside_hours", N_("%(service)s is only open %(hours)s"),
                    service=self.name,
                    hours=", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in spans))


class CounterState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    PAUSED = "paused"


COUNTER_TRANSITIONS: dict[tuple[CounterState, str], CounterState] = {
    (CounterState.CLOSED, "open"): CounterState.OPEN,
    (CounterState.OPEN, "pause"): CounterState.PAUSED,
    (CounterState.PAUSED, "resume"): CounterState.OPEN,
    (CounterState.OPEN, "close"): CounterState.CLOSED,
    (CounterState.PAUSED, "close"): CounterState.CLOSED,
}


def counter_next_state(state: str, action: str) -> CounterState:
    try:
        return COUNTER_TRANSITIONS[(CounterState(state), action)]
    except (KeyError, ValueError):
        raise CounterStateError(str(state), action) from None


def require_counter_open(state: str, action: str) -> None:
    """Calling, recalling and serving need an open counter (not paused, not closed)."""
    if state != CounterState.OPEN:
        raise CounterStateError(state, action)
