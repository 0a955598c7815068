"""限时办结: the state of a visit against its service's warning point and time limit."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hall.domain.timelimit import (
    ALERT_LEVEL,
    LimitState,
    effective_warning,
    seconds_left,
    state_at,
    visit_clock,
)

START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
WARN, LIMIT = 15 * 60, 20 * 60


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


@pytest.mark.parametrize(("elapsed", "state"), [
    (0, LimitState.OK), (WARN - 1, LimitState.OK), (WARN, LimitState.WARNING),
    (LIMIT - 1, LimitState.WARNING), (LIMIT, LimitState.OVER), (LIMIT * 3, LimitState.OVER)])
def test_a_visit_turns_to_warning_and_over_exactly_at_the_configured_points(elapsed, state):
    assert visit_clock(START, at(elapsed), WARN, LIMIT).state is state


def test_seconds_left_count_down_to_zero_and_below_once_over():
    assert seconds_left(START, at(60), LIMIT) == LIMIT - 60
    assert seconds_left(START, at(LIMIT), LIMIT) == 0
    clock = visit_clock(START, at(LIMIT + 90), WARN, LIMIT)
    assert clock.left_s == -90 and clock.elapsed_s == LIMIT + 90


def test_a_warning_point_at_or_past_the_limit_means_no_warning_phase():
    assert effective_warning(LIMIT, LIMIT) is None and effective_warning(0, LIMIT) is None
    assert state_at(LIMIT - 1, LIMIT, LIMIT) is LimitState.OK
    assert state_at(LIMIT, LIMIT + 5, LIMIT) is LimitState.OVER


def test_a_service_without_a_limit_is_never_late():
    clock = visit_clock(START, at(10 * 3600), WARN, 0)
    assert clock.state is LimitState.OK and clock.left_s is None and clock.limit_s is None
    assert seconds_left(START, at(5), None) is None


def test_a_clock_that_steps_back_does_not_count_negative_time():
    clock = visit_clock(START, at(-30), WARN, LIMIT)
    assert clock.elapsed_s == 0 and clock.left_s == LIMIT and clock.state is LimitState.OK


def test_warning_raises_a_warning_alert_and_over_a_critical_one():
    assert ALERT_LEVEL[LimitState.WARNING] == "warning"
    assert ALERT_LEVEL[LimitState.OVER] == "critical"
    assert LimitState.OK not in ALERT_LEVEL


def test_the_clock_as_the_api_shows_it():
    assert visit_clock(START, at(WARN), WARN, LIMIT).as_dict() == {
        "state": "warning", "elapsed_s": 900.0, "left_s": 300.0, "limit_s": LIMIT,
        "warning_s": WARN}
