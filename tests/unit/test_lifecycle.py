"""The ticket life cycle table (hall/domain/lifecycle.py, DESIGN.md §2)."""
from __future__ import annotations

import itertools

import pytest

from hall.domain.errors import DomainError, IllegalTransition
from hall.domain.lifecycle import (
    AT_COUNTER_STATES,
    OPEN_STATES,
    TRANSITIONS,
    Action,
    TicketState,
    allowed_actions,
    next_state,
)

S, A = TicketState, Action

ALLOWED = sorted(TRANSITIONS.items())
FORBIDDEN = sorted(pair for pair in itertools.product(S, A) if pair not in TRANSITIONS)


def _id(pair) -> str:
    return "-".join(str(x) for x in pair)


@pytest.mark.parametrize(("pair", "target"), ALLOWED, ids=[_id(p) for p, _ in ALLOWED])
def test_allowed_transition_yields_the_tables_state(pair, target):
    state, action = pair
    assert next_state(state, action) is target
    # plain strings, as read from the store, work the same
    assert next_state(state.value, action.value) is target


@pytest.mark.parametrize("pair", FORBIDDEN, ids=[_id(p) for p in FORBIDDEN])
def test_action_not_in_the_table_is_refused_naming_the_current_state(pair):
    state, action = pair
    with pytest.raises(IllegalTransition) as info:
        next_state(state, action)
    err = info.value
    assert err.state == state.value
    assert err.action == action.value
    assert err.code == "illegal_transition"
    assert err.field == "state"
    assert err.params == {"state": state.value, "action": action.value}
    assert str(err) == f"Cannot {action.value} a ticket that is {state.value}"
    assert isinstance(err, DomainError)


def test_the_cross_product_is_fully_covered():
    assert len(ALLOWED) + len(FORBIDDEN) == len(S) * len(A)


@pytest.mark.parametrize(("state", "action"), [("lost", "call"), ("waiting", "teleport"),
                                               ("", "")])
def test_unknown_state_or_action_is_an_illegal_transition(state, action):
    with pytest.raises(IllegalTransition) as info:
        next_state(state, action)
    assert (info.value.state, info.value.action) == (state, action)


@pytest.mark.parametrize(
    ("state", "action", "target"),
    [
        ("waiting", "call", "called"),
        ("called", "start", "serving"),
        ("serving", "finish", "done"),
        ("done", "rate", "rated"),
        ("called", "recall", "called"),
        ("called", "skip", "no_show"),
        ("no_show", "reinstate", "waiting"),
        ("called", "hold", "held"),
        ("held", "unhold", "waiting"),
        ("waiting", "cancel", "cancelled"),
        ("serving", "transfer", "transferred"),
    ],
)
def test_design_diagram_transitions_are_in_the_table(state, action, target):
    assert next_state(state, action) == target


def test_a_visit_runs_from_waiting_to_rated():
    state = S.WAITING
    for action in (A.CALL, A.RECALL, A.START, A.FINISH, A.RATE):
        state = next_state(state, action)
    assert state is S.RATED


@pytest.mark.parametrize("state", list(S), ids=str)
def test_allowed_actions_lists_exactly_the_tables_actions(state):
    expected = {a for (s, a) in TRANSITIONS if s is state}
    actions = allowed_actions(state)
    assert set(actions) == expected
    assert len(actions) == len(expected)
    assert allowed_actions(state.value) == actions
    for action in actions:
        assert isinstance(action, Action)
        next_state(state, action)  # does not raise


def test_allowed_actions_per_state():
    assert set(allowed_actions("waiting")) == {A.CALL, A.HOLD, A.CANCEL}
    assert set(allowed_actions("called")) == {A.RECALL, A.START, A.SKIP, A.HOLD, A.TRANSFER}
    assert set(allowed_actions("serving")) == {A.FINISH, A.TRANSFER, A.HOLD}
    assert set(allowed_actions("held")) == {A.UNHOLD, A.CANCEL}
    assert allowed_actions("no_show") == [A.REINSTATE]
    assert allowed_actions("done") == [A.RATE]


@pytest.mark.parametrize("state", [S.RATED, S.CANCELLED, S.TRANSFERRED], ids=str)
def test_final_states_allow_nothing(state):
    assert allowed_actions(state) == []
    assert state not in OPEN_STATES


def test_allowed_actions_of_an_unknown_state_is_empty():
    assert allowed_actions("lost") == []


def test_open_and_at_counter_states():
    assert OPEN_STATES == {S.WAITING, S.CALLED, S.SERVING, S.HELD}
    assert AT_COUNTER_STATES == {S.CALLED, S.SERVING}
    assert AT_COUNTER_STATES <= OPEN_STATES
    # a ticket still in a queue or at a counter can always move on
    assert all(allowed_actions(s) for s in OPEN_STATES)
