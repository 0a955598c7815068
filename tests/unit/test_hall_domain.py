"""Hall values, counter states, access rules and wait estimates (hall/domain)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hall.domain.access import SYSTEM, Actor, require
from hall.domain.errors import CounterStateError, Forbidden, ServiceUnavailable
from hall.domain.estimate import (
    ahead_of_newcomer,
    capacity,
    estimate_wait,
    service_time_estimate,
)
from hall.domain.hall import (
    COUNTER_TRANSITIONS,
    CounterState,
    HallSettings,
    ServiceInfo,
    counter_next_state,
    parse_hours,
    require_counter_open,
)

SH = ZoneInfo("Asia/Shanghai")
HOURS = parse_hours(["13:30-17:00", "09:00-12:00"])


def service(**kw) -> ServiceInfo:
    base = dict(id=1, hall_id=1, code="hukou", name="户籍办理", prefix="A", hours=HOURS)
    return ServiceInfo(**(base | kw))


def at(hh: int, mm: int = 0, ss: int = 0, day: date = date(2026, 3, 2)) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=SH)


def always_workday(_: date) -> bool:
    return True


# --------------------------------------------------------------------------- ServiceInfo


def test_inactive_service_is_refused_with_its_name():
    with pytest.raises(ServiceUnavailable) as info:
        service(active=False).check_open(at(10), always_workday)
    err = info.value
    assert err.code == "service_closed"
    assert err.field == "service"
    assert err.params == {"service": "户籍办理"}
    assert str(err) == "户籍办理 is not offered at present"


def test_inactive_service_without_hours_is_refused_too():
    with pytest.raises(ServiceUnavailable) as info:
        service(active=False, hours=()).check_open(at(10), always_workday)
    assert info.value.code == "service_closed"


def test_non_working_day_is_refused_asking_the_calendar_about_the_local_date():
    asked = []

    def is_workday(d: date) -> bool:
        asked.append(d)
        return False

    with pytest.raises(ServiceUnavailable) as info:
        service().check_open(at(10, day=date(2026, 10, 1)), is_workday)
    assert info.value.code == "service_closed_today"
    assert info.value.params == {"service": "户籍办理"}
    assert str(info.value) == "户籍办理 is closed today (not a working day)"
    assert asked == [date(2026, 10, 1)]


def test_working_day_decides_even_on_a_weekend_make_up_day():
    # Sat 2026-10-10 is a make-up workday: the callable, not the weekday, decides.
    service().check_open(at(10, day=date(2026, 10, 10)), lambda d: d == date(2026, 10, 10))


@pytest.mark.parametrize("local", [at(8, 59, 59), at(12, 0), at(12, 30), at(13, 29, 59),
                                   at(17, 0), at(22, 0), at(0, 0)])
def test_outside_opening_hours_is_refused_telling_the_hours(local):
    with pytest.raises(ServiceUnavailable) as info:
        service().check_open(local, always_workday)
    err = info.value
    assert err.code == "service_outside_hours"
    assert err.params == {"service": "户籍办理", "hours": "09:00-12:00, 13:30-17:00"}
    assert str(err) == "户籍办理 is only open 09:00-12:00, 13:30-17:00"


@pytest.mark.parametrize("local", [at(9, 0), at(10, 30), at(11, 59, 59), at(13, 30),
                                   at(16, 59, 59)])
def test_inside_opening_hours_is_open(local):
    assert service().check_open(local, always_workday) is None


def test_opening_hours_are_read_on_the_local_clock():
    utc_0930_local = datetime(2026, 3, 2, 1, 30, tzinfo=ZoneInfo("UTC")).astimezone(SH)
    service().check_open(utc_0930_local, always_workday)


# --------------------------------------------------------------------------- parse_hours


def test_parse_hours_sorts_spans_and_strips_spaces():
    assert parse_hours([" 13:30 - 17:00", "09:00-12:00"]) == (
        (time(9), time(12)), (time(13, 30), time(17)))
    assert parse_hours([]) == ()


@pytest.mark.parametrize("span", ["12:00-09:00", "09:00-09:00"])
def test_parse_hours_refuses_a_span_ending_before_it_starts(span):
    with pytest.raises(ValueError, match="must start before it ends"):
        parse_hours([span])


@pytest.mark.parametrize("span", ["nonsense", "09:00", "09:00-", "-17:00", "9h-17h",
                                  "25:00-26:00", "09:60-10:00", ""])
def test_parse_hours_refuses_malformed_spans(span):
    with pytest.raises(ValueError):
        parse_hours(["08:00-09:00", span])


# --------------------------------------------------------------------------- HallSettings


def test_hall_settings_give_the_call_next_policy_and_local_time():
    hall = HallSettings(id=1, code="sz", name="市民中心", priority_ratio=3, max_wait_s=1800)
    policy = hall.policy()
    assert policy.priority_ratio == 3
    assert policy.max_wait == timedelta(minutes=30)
    local = hall.local(datetime(2026, 3, 1, 16, 0, tzinfo=ZoneInfo("UTC")))
    assert (local.date(), local.hour) == (date(2026, 3, 2), 0)


# --------------------------------------------------------------------------- counter states

COUNTER_ACTIONS = ["open", "pause", "resume", "close", "call", "serve"]
COUNTER_CASES = [(s, a) for s in CounterState for a in COUNTER_ACTIONS]


@pytest.mark.parametrize(("state", "action"), COUNTER_CASES,
                         ids=[f"{s}-{a}" for s, a in COUNTER_CASES])
def test_counter_next_state_follows_the_table(state, action):
    if (state, action) in COUNTER_TRANSITIONS:
        assert counter_next_state(state.value, action) is COUNTER_TRANSITIONS[(state, action)]
    else:
        with pytest.raises(CounterStateError) as info:
            counter_next_state(state.value, action)
        assert (info.value.state, info.value.action) == (state.value, action)
        assert info.value.code == "counter_state"


def test_counter_table_opens_pauses_resumes_and_closes():
    assert counter_next_state("closed", "open") is CounterState.OPEN
    assert counter_next_state("open", "pause") is CounterState.PAUSED
    assert counter_next_state("paused", "resume") is CounterState.OPEN
    assert counter_next_state("open", "close") is CounterState.CLOSED
    assert counter_next_state("paused", "close") is CounterState.CLOSED
    assert len(COUNTER_TRANSITIONS) == 5


def test_unknown_counter_state_is_a_counter_state_error():
    with pytest.raises(CounterStateError):
        counter_next_state("serving", "open")


def test_only_an_open_counter_may_call():
    require_counter_open("open", "call")
    for state in ("paused", "closed"):
        with pytest.raises(CounterStateError) as info:
            require_counter_open(state, "call")
        assert str(info.value) == f"Cannot call while the counter is {state}"


# --------------------------------------------------------------------------- access

STAFF = Actor(kind="staff", id=7, hall_id=1, role="staff", counter_id=3)
SUPERVISOR = Actor(kind="staff", id=8, hall_id=1, role="supervisor", counter_id=None)
ADMIN = Actor(kind="staff", id=9, hall_id=1, role="admin")
KIOSK = Actor(kind="device", id=20, hall_id=1, role="kiosk")
SCREEN = Actor(kind="device", id=21, hall_id=1, role="screen")
PAD = Actor(kind="device", id=22, hall_id=1, role="pad", counter_id=3)
KEYPAD = Actor(kind="device", id=23, hall_id=1, role="keypad", counter_id=3)
AGENT = Actor(kind="device", id=24, hall_id=1, role="agent")
VISITOR = Actor(kind="visitor")

ACCESS_TABLE = [
    # actor, action, counter, allowed
    (STAFF, "call", 3, True),
    (STAFF, "finish", 3, True),
    (STAFF, "pause", 3, True),
    (STAFF, "call", 4, False),
    (STAFF, "finish", 4, False),
    (STAFF, "call", None, False),
    (STAFF, "issue", None, True),
    (STAFF, "issue", 4, True),
    (SUPERVISOR, "call", 4, True),
    (SUPERVISOR, "transfer", 3, True),
    (ADMIN, "close", 5, True),
    (KIOSK, "issue", None, True),
    (KIOSK, "call", None, False),
    (KIOSK, "rate", None, False),
    (SCREEN, "issue", None, False),
    (SCREEN, "call", 3, False),
    (SCREEN, "rate", 3, False),
    (PAD, "rate", 3, True),
    (PAD, "rate", 4, False),
    (PAD, "call", 3, False),
    (PAD, "issue", None, False),
    (KEYPAD, "call", 3, True),
    (KEYPAD, "pause", 3, True),
    (KEYPAD, "call", 4, False),
    (KEYPAD, "rate", 3, False),
    (AGENT, "call", 5, True),
    (AGENT, "issue", None, True),
    (AGENT, "rate", 2, True),
    (VISITOR, "issue", None, False),
    (VISITOR, "rate", 3, False),
    (SYSTEM, "call", 3, True),
    (Actor(kind="device", role="printer"), "issue", None, False),
    (Actor(kind="device", role=None), "issue", None, False),
]


def _access_id(row) -> str:
    actor, action, counter, allowed = row
    return f"{actor.role or actor.kind}-{action}-at-{counter}-{'ok' if allowed else 'refused'}"


@pytest.mark.parametrize(("actor", "action", "counter", "allowed"), ACCESS_TABLE,
                         ids=[_access_id(r) for r in ACCESS_TABLE])
def test_access_table(actor, action, counter, allowed):
    if allowed:
        require(actor, action, counter)
    else:
        with pytest.raises(Forbidden) as info:
            require(actor, action, counter)
        assert info.value.code == "forbidden"


def test_refusals_explain_themselves():
    with pytest.raises(Forbidden, match="signed in at"):
        require(STAFF, "call", 4)
    with pytest.raises(Forbidden, match="may not rate here") as info:
        require(PAD, "rate", 4)
    assert info.value.params == {"action": "rate"}
    with pytest.raises(Forbidden, match="Sign in first"):
        require(VISITOR, "issue")


def test_actor_audit_label():
    assert STAFF.audit() == "staff:staff:7"
    assert PAD.audit() == "device:pad:22"
    assert SYSTEM.audit() == "system"
    assert STAFF.is_staff and not PAD.is_staff


# --------------------------------------------------------------------------- estimates


def test_nobody_ahead_waits_from_zero_up_to_one_visit():
    assert estimate_wait(0, 600, 1) == (0, 600)
    assert estimate_wait(0, 600, 3) == (0, 200)
    assert estimate_wait(-2, 600, 2) == (0, 300)


def test_no_open_window_gives_no_number_at_all():
    """Issue 15: with no window open for a service the screens said 约 5–14 分钟; there is
    no honest number, and every surface says 暂无窗口办理 instead."""
    assert estimate_wait(4, 600, 0) is None
    assert estimate_wait(0, 600, 0) is None


def test_a_window_counts_for_a_service_by_its_share_of_weights():
    assert capacity([]) == 0
    assert capacity([(1, 1)]) == 1  # a window serving this service alone
    assert capacity([(2, 3), (1, 1)]) == 2 / 3 + 1  # one shares 2:1 with another service
    assert capacity([(0, 2)]) == 0  # weight 0: never called for it
    # a shared window serves this line more slowly than a dedicated one
    assert estimate_wait(6, 600, capacity([(1, 2)]))[0] > estimate_wait(6, 600, 1)[0]


def test_estimate_brackets_the_plain_average():
    low, high = estimate_wait(10, 300, 2)
    assert low < 10 * 300 / 2 < high


@settings(max_examples=200, deadline=None)
@given(ahead=st.integers(0, 500), per_visit=st.floats(1, 3600), counters=st.integers(1, 30))
def test_estimate_is_a_range_growing_with_the_queue(ahead, per_visit, counters):
    low, high = estimate_wait(ahead, per_visit, counters)
    assert 0 <= low <= high
    low2, high2 = estimate_wait(ahead + 1, per_visit, counters)
    assert low2 >= low
    assert high2 >= high


@settings(max_examples=200, deadline=None)
@given(ahead=st.integers(1, 500), per_visit=st.floats(1, 3600), counters=st.integers(1, 30))
def test_more_open_counters_never_lengthen_the_estimate(ahead, per_visit, counters):
    low, high = estimate_wait(ahead, per_visit, counters)
    low2, high2 = estimate_wait(ahead, per_visit, counters + 1)
    assert low2 <= low
    assert high2 <= high


def test_a_newcomer_is_behind_the_green_channel_and_its_own_kind_never_appointments():
    line = {"normal": 5, "priority": 2, "appointment": 7}
    assert ahead_of_newcomer(line, "normal") == 7
    assert ahead_of_newcomer(line, "priority") == 2
    assert ahead_of_newcomer(line, "appointment") == 7  # ordered like a walk-in, as before
    assert ahead_of_newcomer({}, "normal") == 0


def test_service_time_without_history_is_the_expected_visit():
    assert service_time_estimate([], 600) == 600


def test_service_time_leans_toward_recent_visits_as_they_accumulate():
    few = service_time_estimate([300] * 2, 600)
    many = service_time_estimate([300] * 200, 600)
    assert 300 < many < few < 600


@settings(max_examples=200, deadline=None)
@given(recent=st.lists(st.floats(0, 7200), max_size=50), expected=st.floats(1, 7200))
def test_service_time_lies_between_history_and_expectation(recent, expected):
    lo = min([*recent, expected])
    hi = max([*recent, expected])
    assert lo - 1e-6 <= service_time_estimate(recent, expected) <= hi + 1e-6


def test_extended_service_day_opens_a_closed_day_within_its_hours():
    """延时服务: a Saturday the hall serves 09:00-12:00 opens a service there, within both its
    own hours and the day's; a Saturday the hall does not serve stays closed."""
    saturday = date(2026, 11, 28)

    def extended(day: date, code: str):
        assert (day, code) == (saturday, "hukou")
        return ((time(9), time(11)),)

    def not_workday(_: date) -> bool:
        return False

    service().check_open(at(10, day=saturday), not_workday, extended)
    with pytest.raises(ServiceUnavailable) as info:
        service().check_open(at(11, 30, day=saturday), not_workday, extended)
    assert info.value.code == "service_outside_hours"
    assert info.value.params["hours"] == "09:00-11:00"
    with pytest.raises(ServiceUnavailable) as info:
        service().check_open(at(10, day=saturday), not_workday, lambda d, c: None)
    assert info.value.code == "service_closed_today"
