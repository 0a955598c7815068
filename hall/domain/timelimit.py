"""限时办结: the time limit of one visit at a counter, counted from the start of service.

A service carries ``time_limit_s`` (限时) and ``warning_s`` (警戒时限, below the limit).
A visit being served is

    ok ──(elapsed ≥ warning_s)──▶ warning ──(elapsed ≥ time_limit_s)──▶ over

The boundaries belong to the later state: at exactly ``warning_s`` the visit is in warning,
at exactly ``time_limit_s`` it is over. A warning point at or past the limit means no warning
phase (straight from ok to over); a limit of 0 or less means the service has no time limit.
The counter terminal draws the same states (yellow, red) and the watch raises the alerts
(hall/services/supervision/watch.py), so both read these functions and nothing else.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class LimitState(StrEnum):
    OK = "ok"
    WARNING = "warning"
    OVER = "over"


# the alert level a state raises (no alert while ok)
ALERT_LEVEL: dict[LimitState, str] = {LimitState.WARNING: "warning",
                                      LimitState.OVER: "critical"}


@dataclass(frozen=True, slots=True)
class VisitClock:
    state: LimitState
    elapsed_s: float  # since the start of service
    left_s: float | None  # to the limit; negative once over; None without a limit
    limit_s: int | None
    warning_s: int | None  # None when there is no warning phase

    def as_dict(self) -> dict[str, object]:
        return {"state": self.state.value, "elapsed_s": round(self.elapsed_s, 1),
                "left_s": None if self.left_s is None else round(self.left_s, 1),
                "limit_s": self.limit_s, "warning_s": self.warning_s}


def effective_warning(warning_s: int | None, time_limit_s: int | None) -> int | None:
    """The warning point that applies, or None when the visit has no warning phase."""
    if not time_limit_s or time_limit_s <= 0:
        return None
    if warning_s is None or warning_s <= 0 or warning_s >= time_limit_s:
        return None
    return warning_s


def state_at(elapsed_s: float, warning_s: int | None, time_limit_s: int | None) -> LimitState:
    """The state of a visit ``elapsed_s`` seconds into its service."""
    if not time_limit_s or time_limit_s <= 0:
        return LimitState.OK
    if elapsed_s >= time_limit_s:
        return LimitState.OVER
    warn = effective_warning(warning_s, time_limit_s)
    if warn is not None and elapsed_s >= warn:
        return LimitState.WARNING
    return LimitState.OK


def seconds_left(started_at: datetime, now: datetime, time_limit_s: int | None) -> float | None:
    """Seconds to the limit (negative once over), or None when there is no limit."""
    if not time_limit_s or time_limit_s <= 0:
        return None
    return time_limit_s - max(0.0, (now - started_at).total_seconds())


def visit_clock(started_at: datetime, now: datetime, warning_s: int | None,
                time_limit_s: int | None) -> VisitClock:
    """Where a visit that started at ``started_at`` stands at ``now``."""
    elapsed = max(0.0, (now - started_at).total_seconds())  # a clock step back is not "early"
    limit = time_limit_s if time_limit_s and time_limit_s > 0 else None
    return VisitClock(state=state_at(elapsed, warning_s, limit), elapsed_s=elapsed,
                      left_s=None if limit is None else limit - elapsed, limit_s=limit,
                      warning_s=effective_warning(warning_s, limit))
