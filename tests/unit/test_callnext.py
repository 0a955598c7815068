"""Call-next policy (hall/domain/callnext.py, DESIGN.md §2).

One example test per precedence rule of the module docstring (hand-built candidates, the
expected ticket and reason code), then Hypothesis properties: determinism, the green-channel
ratio cap, a fairness bound for a counter calling at a steady pace, and aging order.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hall.domain.callnext import (
    APPOINTMENT,
    NORMAL,
    PRIORITY,
    Candidate,
    Choice,
    Policy,
    choose,
)

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Monday
POLICY = Policy(priority_ratio=2, max_wait=timedelta(minutes=45),
                appointment_early=timedelta(minutes=10))
MIN = timedelta(minutes=1)


def normal(tid: int, waited_min: float, weight: int = 1, **kw) -> Candidate:
    return Candidate(tid, f"A{tid:03d}", NORMAL, NOW - waited_min * MIN, weight, **kw)


def priority(tid: int, waited_min: float, weight: int = 1, reason: str | None = "老年人",
             **kw) -> Candidate:
    return Candidate(tid, f"L{tid:03d}", PRIORITY, NOW - waited_min * MIN, weight,
                     priority_reason=reason, **kw)


def appointment(tid: int, waited_min: float, slot_in_min: float | None, weight: int = 1,
                **kw) -> Candidate:
    slot = None if slot_in_min is None else NOW + slot_in_min * MIN
    return Candidate(tid, f"Y{tid:03d}", APPOINTMENT, NOW - waited_min * MIN, weight,
                     appointment_at=slot, **kw)


def pick(candidates, streak: int = 0, policy: Policy = POLICY, now: datetime = NOW) -> Choice:
    choice = choose(candidates, now, policy, streak)
    assert choice is not None
    choice.text()  # every reason renders without a missing parameter
    return choice


# --------------------------------------------------------------------------- examples


def test_nobody_waiting_gives_no_choice():
    assert choose([], NOW, POLICY) is None
    assert choose(iter(()), NOW, POLICY, priority_streak=5) is None


# Rule 1: the green-channel cap.

def test_after_ratio_green_channel_calls_a_waiting_normal_ticket_gets_the_turn():
    cands = [priority(1, 30, weight=5), priority(2, 20), normal(3, 5)]
    choice = pick(cands, streak=2)
    assert (choice.candidate.ticket_id, choice.reason) == (3, "ratio")
    assert choice.params == {"ratio": 2}
    assert choice.text() == "2 green-channel calls in a row: a normal ticket's turn"
    assert choice.next_streak(2) == 0


def test_below_the_ratio_the_green_channel_still_goes_first():
    cands = [priority(1, 5), normal(2, 30, weight=5)]
    choice = pick(cands, streak=1)
    assert (choice.candidate.ticket_id, choice.reason) == (1, "priority")
    assert choice.next_streak(1) == 2


def test_cap_does_not_apply_when_only_green_channel_tickets_wait():
    cands = [priority(1, 5), priority(2, 10)]
    choice = pick(cands, streak=7)
    assert (choice.candidate.ticket_id, choice.reason) == (2, "priority")
    assert choice.next_streak(7) == 8


def test_cap_holds_back_an_aged_green_channel_ticket_for_one_call_only():
    cands = [priority(1, 60), normal(2, 1)]
    first = pick(cands, streak=2)
    assert (first.candidate.ticket_id, first.reason) == (2, "ratio")
    second = pick([cands[0]], streak=first.next_streak(2))
    assert (second.candidate.ticket_id, second.reason) == (1, "aged")
    # ...and had the normal ticket still been waiting, the aged one would win right away.
    assert pick(cands, streak=first.next_streak(2)).candidate.ticket_id == 1


def test_capped_call_of_an_aged_normal_ticket_says_aged():
    cands = [priority(1, 90), normal(2, 50), normal(3, 1, weight=5)]
    choice = pick(cands, streak=2)
    assert (choice.candidate.ticket_id, choice.reason) == (2, "aged")


def test_capped_call_takes_the_heaviest_then_oldest_normal_ticket():
    cands = [priority(1, 10), normal(2, 20), normal(3, 5, weight=3), normal(4, 8, weight=3)]
    choice = pick(cands, streak=3)
    assert (choice.candidate.ticket_id, choice.reason) == (4, "ratio")


def test_ratio_cap_never_hands_the_turn_to_an_appointment_before_its_slot():
    """Rule 7: an early appointment is called only if nothing else waits.

    After ``priority_ratio`` green-channel calls, with only a green-channel visitor and an
    appointment for 11:00 checked in at 10:00 waiting, the counter must call the green-channel
    visitor (the cap protects *normal* tickets, DESIGN.md §2: "while normal tickets wait"),
    not the 11:00 appointment an hour early — even less so when that visitor is aged.
    """
    cands = [priority(1, 50), appointment(2, 0, 60)]
    choice = pick(cands, streak=2)
    assert (choice.candidate.ticket_id, choice.reason) == (1, "aged")


# Rule 2: appointments whose slot is due.

def test_due_appointment_comes_before_transferred_aged_and_green_channel_tickets():
    cands = [normal(1, 90), priority(2, 50), normal(3, 1, directed=True),
             appointment(4, 2, 5)]
    choice = pick(cands)
    assert (choice.candidate.ticket_id, choice.reason) == (4, "appointment")
    # the slot is 02:05 UTC; staff read it in the hall's time (Asia/Shanghai)
    assert choice.params == {"time": "10:05"}
    assert choice.text() == "Appointment for 10:05 is due"


def test_due_appointment_comes_first_even_under_the_cap():
    cands = [priority(1, 5), normal(2, 60), appointment(3, 0, 0)]
    assert pick(cands, streak=2).reason == "appointment"


def test_appointment_is_due_from_appointment_early_before_its_slot():
    at_window = [normal(1, 5), appointment(2, 0, 10)]
    assert pick(at_window).candidate.ticket_id == 2
    just_before = [normal(1, 5), appointment(2, 0, 10 + 1 / 60)]
    choice = pick(just_before)
    assert (choice.candidate.ticket_id, choice.reason) == (1, "fifo")


def test_appointment_past_its_slot_is_still_due():
    choice = pick([priority(1, 10), appointment(2, 40, -30)])
    assert (choice.candidate.ticket_id, choice.reason) == (2, "appointment")


def test_due_appointments_go_by_slot_then_heavier_weight_then_arrival():
    assert pick([appointment(1, 5, 5), appointment(2, 1, -5)]).candidate.ticket_id == 2
    assert pick([appointment(1, 5, 0), appointment(2, 1, 0, weight=2)]).candidate.ticket_id == 2
    assert pick([appointment(1, 1, 0), appointment(2, 5, 0)]).candidate.ticket_id == 2


# Rule 3: tickets transferred to this counter by name.

def test_transferred_ticket_comes_before_aged_and_green_channel_tickets():
    cands = [normal(1, 90), priority(2, 50, weight=5), normal(3, 1, directed=True)]
    choice = pick(cands)
    assert (choice.candidate.ticket_id, choice.reason) == (3, "directed")
    assert choice.text() == "Transferred to this counter"


def test_transferred_tickets_go_oldest_first_whatever_their_weight():
    cands = [normal(1, 2, weight=5, directed=True), normal(2, 3, directed=True)]
    assert pick(cands).candidate.ticket_id == 2


# Rule 4: aging.

def test_aged_normal_ticket_jumps_ahead_of_green_channel():
    cands = [priority(1, 5, weight=5), normal(2, 45)]
    choice = pick(cands)
    assert (choice.candidate.ticket_id, choice.reason) == (2, "aged")
    assert choice.params == {"minutes": 45, "limit": 45}
    assert choice.text() == "Waited 45 min, over the 45 min limit"


def test_ticket_ages_exactly_at_max_wait():
    almost = [priority(1, 5), normal(2, 45 - 1 / 60)]
    assert pick(almost).reason == "priority"
    assert pick([priority(1, 5), normal(2, 45)]).reason == "aged"


def test_aged_tickets_go_oldest_first_whatever_their_kind_and_weight():
    cands = [priority(1, 50, weight=5), normal(2, 70), normal(3, 60, weight=5)]
    choice = pick(cands)
    assert (choice.candidate.ticket_id, choice.reason) == (2, "aged")


def test_aged_ticket_beats_a_heavier_weighted_service():
    choice = pick([normal(1, 1, weight=5), normal(2, 46, weight=1)])
    assert (choice.candidate.ticket_id, choice.reason) == (2, "aged")


def test_appointment_checked_in_early_never_counts_as_aged():
    cands = [appointment(1, 120, 60), normal(2, 5)]
    assert (pick(cands).candidate.ticket_id, pick(cands).reason) == (2, "fifo")


# Rule 5: the green channel.

def test_green_channel_goes_before_older_normal_tickets():
    choice = pick([normal(1, 40, weight=5), priority(2, 1, reason="孕妇")])
    assert (choice.candidate.ticket_id, choice.reason) == (2, "priority")
    assert choice.params == {"reason": "孕妇"}
    assert choice.text() == "Green channel: 孕妇"


def test_green_channel_goes_by_heavier_weight_then_oldest():
    cands = [priority(1, 30), priority(2, 5, weight=3), priority(3, 10, weight=3)]
    assert pick(cands).candidate.ticket_id == 3


def test_green_channel_without_a_reason_says_dash():
    assert pick([priority(1, 5, reason=None)]).params == {"reason": "-"}


# Rule 6: everything else.

def test_normal_tickets_go_by_heavier_weight_then_oldest():
    cands = [normal(1, 30), normal(2, 5, weight=2), normal(3, 10, weight=2)]
    choice = pick(cands)
    assert (choice.candidate.ticket_id, choice.reason) == (3, "fifo")
    assert choice.params == {"weight": 2}


def test_same_arrival_time_breaks_the_tie_on_ticket_id():
    assert pick([normal(9, 10), normal(4, 10)]).candidate.ticket_id == 4
    assert pick([priority(9, 10), priority(4, 10)]).candidate.ticket_id == 4
    assert pick([normal(9, 50), normal(4, 50)]).candidate.ticket_id == 4


def test_normal_ticket_goes_before_an_early_appointment():
    choice = pick([appointment(1, 30, 20), normal(2, 1)])
    assert (choice.candidate.ticket_id, choice.reason) == (2, "fifo")


# Rule 7: an early appointment, only if nothing else waits.

def test_appointment_before_its_slot_is_called_only_when_nobody_else_waits():
    choice = pick([appointment(1, 0, 60), appointment(2, 5, 30)])
    assert (choice.candidate.ticket_id, choice.reason) == (2, "early")
    assert choice.text() == "Nobody else waits: appointment called early"
    assert choice.next_streak(2) == 0


def test_early_appointment_without_a_slot_goes_by_arrival():
    choice = pick([appointment(1, 5, 30), appointment(2, 10, None)])
    assert (choice.candidate.ticket_id, choice.reason) == (2, "early")


@pytest.mark.parametrize(
    ("cands", "reason"),
    [
        ([appointment(1, 0, 0)], "appointment"),
        ([normal(1, 0, directed=True)], "directed"),
        ([normal(1, 60)], "aged"),
        ([priority(1, 0)], "priority"),
        ([normal(1, 0)], "fifo"),
        ([appointment(1, 0, 60)], "early"),
    ],
)
def test_green_channel_streak_grows_only_on_green_channel_calls(cands, reason):
    choice = pick(cands)
    assert choice.reason == reason
    assert choice.is_priority == (reason == "priority")
    assert choice.next_streak(1) == (2 if reason == "priority" else 0)


# --------------------------------------------------------------------------- properties

KINDS = st.sampled_from([NORMAL, PRIORITY])


@st.composite
def candidate_lists(draw, kinds=(NORMAL, PRIORITY, APPOINTMENT), directed=True, due=True):
    """Unique ids; arrival times on a coarse grid so that ties on arrival happen."""
    n = draw(st.integers(0, 12))
    ids = draw(st.lists(st.integers(1, 10_000), min_size=n, max_size=n, unique=True))
    out = []
    for tid in ids:
        kind = draw(st.sampled_from(kinds))
        issued = NOW - draw(st.integers(0, 24)) * 5 * MIN
        slot = None
        if kind == APPOINTMENT:
            lo = -30 if due else 21  # policies are at most 20 min early
            slot = draw(st.none() | st.integers(lo, 90).map(lambda m: NOW + m * MIN))
        out.append(Candidate(
            tid, f"X{tid}", kind, issued, draw(st.integers(1, 5)),
            priority_reason=draw(st.sampled_from([None, "老年人"])) if kind == PRIORITY else None,
            appointment_at=slot,
            directed=draw(st.booleans()) if directed and draw(st.integers(0, 4)) == 0 else False,
        ))
    return out


policies = st.builds(
    Policy,
    priority_ratio=st.integers(1, 4),
    max_wait=st.integers(1, 90).map(lambda m: m * MIN),
    appointment_early=st.integers(0, 20).map(lambda m: m * MIN),
)


@settings(max_examples=300, deadline=None)
@given(cands=candidate_lists(), policy=policies, streak=st.integers(0, 5), data=st.data())
def test_same_input_in_any_order_gives_the_same_choice_and_reason(cands, policy, streak, data):
    expected = choose(cands, NOW, policy, streak)
    shuffled = data.draw(st.permutations(cands))
    again = choose(shuffled, NOW, policy, streak)
    assert again == expected
    if expected is not None:
        assert expected.candidate in cands
        assert expected.reason in {"appointment", "directed", "aged", "priority", "fifo",
                                   "ratio", "early"}


arrival_steps = st.lists(
    st.tuples(
        st.lists(st.tuples(KINDS, st.integers(1, 5)), max_size=3),  # arrivals before the call
        st.integers(0, 20),  # minutes until the next call
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(steps=arrival_steps, ratio=st.integers(1, 4), max_wait_min=st.integers(1, 60))
def test_never_more_than_ratio_green_channel_calls_in_a_row_while_a_normal_ticket_waits(
    steps, ratio, max_wait_min
):
    """One counter calls after every batch of arrivals; the streak is kept by next_streak.

    Checked in its strong form: a green-channel call made while a normal ticket waits is
    never more than the ``ratio``-th priority call in a row (so a fortiori no more than
    ``ratio`` such calls in a row).
    """
    policy = Policy(priority_ratio=ratio, max_wait=max_wait_min * MIN)
    now, waiting, streak, run, next_id = NOW, [], 0, 0, 1
    for arrivals, gap in steps:
        for kind, weight in arrivals:
            waiting.append(Candidate(next_id, str(next_id), kind, now, weight))
            next_id += 1
        choice = choose(waiting, now, policy, streak)
        if choice is not None:
            normal_waiting = any(c.kind == NORMAL for c in waiting)
            run = run + 1 if choice.is_priority else 0
            assert not (choice.is_priority and normal_waiting and run > ratio), (
                f"priority call #{run} in a row while a normal ticket waits: {choice}")
            streak = choice.next_streak(streak)
            assert streak == run
            waiting.remove(choice.candidate)
        now += gap * MIN


def _simulate_steady_counter(arrivals, delta_s: int, policy: Policy):
    """One counter calling every ``delta_s`` seconds from NOW; returns {ticket: called_at}."""
    tickets = [
        Candidate(i + 1, str(i + 1), kind, NOW + timedelta(seconds=offset), weight)
        for i, (offset, kind, weight) in enumerate(sorted(arrivals))
    ]
    delta = timedelta(seconds=delta_s)
    pending, waiting, called = list(tickets), [], {}
    k, streak = 0, 0
    while pending or waiting:
        now = NOW + k * delta
        while pending and pending[0].issued_at <= now:
            waiting.append(pending.pop(0))
        if not waiting:  # idle: jump to the first call at or after the next arrival
            k = -(-(pending[0].issued_at - NOW) // delta)
            continue
        choice = choose(waiting, now, policy, streak)
        assert choice is not None
        called[choice.candidate] = now
        streak = choice.next_streak(streak)
        waiting.remove(choice.candidate)
        k += 1
    return tickets, called


steady_arrivals = st.lists(
    st.tuples(st.integers(0, 7200), KINDS, st.integers(1, 5)), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(arrivals=steady_arrivals, delta_s=st.integers(30, 900),
       max_wait_s=st.integers(60, 3600), ratio=st.integers(1, 4))
def test_every_normal_ticket_is_called_within_max_wait_plus_one_slot_per_earlier_ticket(
    arrivals, delta_s, max_wait_s, ratio
):
    """Fairness bound: wait(T) ≤ max_wait + N(T)·Δ for every normal ticket T.

    Setting: one counter calls every Δ seconds (at NOW + kΔ), arbitrary arrivals of normal
    and priority tickets with weights 1–5, no appointments, no transfers. N(T) is the number
    of tickets issued no later than T, T included.

    Derivation. T arrives at t0 and is aged from a = t0 + max_wait on. While T waits, every
    grid instant is a call, and the first one at or after a comes at c1 ≤ a + Δ. From then
    on each call, until T's, picks an aged ticket oldest-first (rule 4), because nothing
    ranks above aging here (no due appointments, no transfers); the only other rule that can
    interfere is the ratio cap, and the cap never excludes a *normal* ticket: a capped call
    still takes the oldest aged non-priority ticket, which is T or older than T. So every
    call from c1 on takes T or a ticket that arrived no later than T (ordered by arrival
    time, then id). There are at most N(T) − 1 of those besides T, so T is called by the
    N(T)-th call from c1: at c1 + (N(T) − 1)Δ ≤ t0 + max_wait + N(T)·Δ.

    The cap matters only to aged *priority* tickets: a capped call may take a younger normal
    ticket, but it resets the streak, so it holds an aged priority ticket back by one call
    only; see the next test for that bound.
    """
    policy = Policy(priority_ratio=ratio, max_wait=timedelta(seconds=max_wait_s))
    tickets, called = _simulate_steady_counter(arrivals, delta_s, policy)
    assert len(called) == len(tickets)
    for t in tickets:
        if t.kind != NORMAL:
            continue
        n = sum(1 for u in tickets if u.issued_at <= t.issued_at)
        bound = timedelta(seconds=max_wait_s + n * delta_s)
        assert called[t] - t.issued_at <= bound, (
            f"normal ticket {t.ticket_id} issued at +{t.issued_at - NOW} called at "
            f"+{called[t] - NOW}: waited {called[t] - t.issued_at} > bound {bound} "
            f"(N={n}, Δ={delta_s}s, max_wait={max_wait_s}s, ratio={ratio})")


@settings(max_examples=200, deadline=None)
@given(arrivals=steady_arrivals, delta_s=st.integers(30, 900),
       max_wait_s=st.integers(60, 3600), ratio=st.integers(1, 4))
def test_aged_green_channel_ticket_is_held_back_by_the_cap_only_one_call_at_a_time(
    arrivals, delta_s, max_wait_s, ratio
):
    """wait(T) ≤ max_wait + (N(T) + 1 + ⌊(N(T) − 1)/ratio⌋)·Δ for every priority ticket T.

    Same setting and argument as the previous test, except that a capped call may take a
    younger normal ticket instead of T. A capped call needs ``ratio`` priority calls right
    before it and resets the streak, so after T has aged there is at most one capped call
    inherited from before, plus one per ``ratio`` calls of older priority tickets (at most
    N(T) − 1 of them).
    """
    policy = Policy(priority_ratio=ratio, max_wait=timedelta(seconds=max_wait_s))
    tickets, called = _simulate_steady_counter(arrivals, delta_s, policy)
    for t in tickets:
        if t.kind != PRIORITY:
            continue
        n = sum(1 for u in tickets if u.issued_at <= t.issued_at)
        slots = n + 1 + (n - 1) // ratio
        assert called[t] - t.issued_at <= timedelta(seconds=max_wait_s + slots * delta_s)


@settings(max_examples=300, deadline=None)
@given(cands=candidate_lists(directed=False, due=False), policy=policies,
       streak=st.integers(0, 5))
def test_aged_tickets_are_called_oldest_first_before_younger_ones_of_any_kind(
    cands, policy, streak
):
    """With no due appointment and no transfer, an aged ticket is always the oldest one of
    the eligible tickets that are not early appointments; outside the cap that is the oldest
    of them all, normal or priority, whatever its weight."""
    present = [c for c in cands if c.kind != APPOINTMENT]
    aged = [c for c in present if NOW - c.issued_at >= policy.max_wait]
    capped = streak >= policy.priority_ratio and any(c.kind != PRIORITY for c in cands)
    if capped:
        present = [c for c in present if c.kind != PRIORITY]
        aged = [c for c in aged if c.kind != PRIORITY]
    if not aged:
        return
    choice = choose(cands, NOW, policy, streak)
    assert choice is not None
    assert choice.reason == "aged"
    assert choice.candidate == min(aged, key=lambda c: (c.issued_at, c.ticket_id))
    assert all((choice.candidate.issued_at, choice.candidate.ticket_id)
               <= (c.issued_at, c.ticket_id) for c in present)
