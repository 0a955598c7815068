"""Which commands a counter may take now (hall/domain/counter_actions.py): the life cycle's
allowed actions within the counter's state, as the terminal's board sends them."""
from __future__ import annotations

import pytest

from hall.domain.counter_actions import TICKET_COMMANDS, counter_commands, ticket_commands
from hall.domain.hall import COUNTER_TRANSITIONS, CounterState
from hall.domain.lifecycle import AT_COUNTER_STATES, TicketState, allowed_actions

STEPS = {a.value for a in TICKET_COMMANDS}


@pytest.mark.parametrize("state", sorted(AT_COUNTER_STATES))
def test_an_open_counters_steps_for_its_visitor_are_the_life_cycles(state):
    offered = counter_commands("open", state)
    assert set(offered) & STEPS == {a.value for a in allowed_actions(state)} & STEPS
    assert not {"call-next", "call", "pause", "close"} & set(offered)  # finish them first


@pytest.mark.parametrize("state", list(TicketState))
def test_a_listed_ticket_offers_exactly_its_allowed_counter_steps(state):
    assert ticket_commands(state) == [a.value for a in allowed_actions(state)
                                      if a.value in STEPS]


def test_held_and_missed_tickets_are_brought_back_and_nothing_else():
    assert ticket_commands("held") == ["unhold"]  # cancelling is the visitor's
    assert ticket_commands("no_show") == ["reinstate"]
    assert ticket_commands("done") == []


@pytest.mark.parametrize(("counter", "expected"), [
    ("open", ["call-next", "call", "pause", "close"]),
    ("paused", ["resume", "close"]),
    ("closed", ["open"]),
])
def test_a_free_counter_calls_only_when_open_and_moves_as_its_state_allows(counter, expected):
    assert counter_commands(counter, None) == expected
    assert {c for c in expected if c not in ("call-next", "call")} == {
        action for (state, action) in COUNTER_TRANSITIONS if state == CounterState(counter)}


def test_recalling_needs_an_open_counter_and_a_window_out_of_service_stays_shut():
    assert "recall" in counter_commands("open", "called")
    assert "recall" not in counter_commands("paused", "called")
    assert counter_commands("closed", None, active=False) == []
    assert counter_commands("paused", None, active=False) == ["close"]
