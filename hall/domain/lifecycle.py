"""The ticket life cycle of DESIGN.md §2 as one explicit transition table.

    waiting ──call──▶ called ──start──▶ serving ──finish──▶ done ──rate──▶ rated
    called ─recall─▶ called     called ─skip─▶ no_show ─reinstate─▶ waiting
    waiting/called ─hold─▶ held ─unhold─▶ waiting     waiting ─cancel─▶ cancelled
    called/serving ─transfer─▶ transferred (a new, linked waiting ticket is issued)
"""
from __future__ import annotations

from enum import StrEnum

from hall.domain.errors import IllegalTransition


class TicketState(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    HELD = "held"
    DONE = "done"
    RATED = "rated"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    TRANSFERRED = "transferred"


class Action(StrEnum):
    CALL = "call"
    RECALL = "recall"
    START = "start"
    FINISH = "finish"
    SKIP = "skip"
    REINSTATE = "reinstate"
    HOLD = "hold"
    UNHOLD = "unhold"
    CANCEL = "cancel"
    TRANSFER = "transfer"
    RATE = "rate"


S, A = TicketState, Action

TRANSITIONS: dict[tuple[TicketState, Action], TicketState] = {
    (S.WAITING, A.CALL): S.CALLED,
    (S.WAITING, A.HOLD): S.HELD,
    (S.WAITING, A.CANCEL): S.CANCELLED,
    (S.CALLED, A.RECALL): S.CALLED,
    (S.CALLED, A.START): S.SERVING,
    (S.CALLED, A.SKIP): S.NO_SHOW,
    (S.CALLED, A.HOLD): S.HELD,
    (S.CALLED, A.TRANSFER): S.TRANSFERRED,
    # A held ticket (visitor fetching a missing paper) returns to the queue head by its
    # original arrival time, so it is not punished for stepping aside.
    (S.HELD, A.UNHOLD): S.WAITING,
    (S.HELD, A.CANCEL): S.CANCELLED,
    (S.SERVING, A.FINISH): S.DONE,
    (S.SERVING, A.TRANSFER): S.TRANSFERRED,
    (S.SERVING, A.HOLD): S.HELD,
    (S.NO_SHOW, A.REINSTATE): S.WAITING,
    (S.DONE, A.RATE): S.RATED,
}

# States in which a ticket still occupies a place in a queue or at a counter.
OPEN_STATES = frozenset({S.WAITING, S.CALLED, S.SERVING, S.HELD})
# States in which a counter is attending the ticket.
AT_COUNTER_STATES = frozenset({S.CALLED, S.SERVING})


def next_state(state: str, action: str) -> TicketState:
    """The state after ``action``; raises IllegalTransition naming the current state."""
    try:
        return TRANSITIONS[(TicketState(state), Action(action))]
    except (KeyError, ValueError):
        raise IllegalTransition(str(state), str(action)) from None


def allowed_actions(state: str) -> list[Action]:
    return [a for (s, a) in TRANSITIONS if s == state]
