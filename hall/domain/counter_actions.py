"""Which commands a counter may take now: the ticket life cycle's allowed actions
(hall/domain/lifecycle.py) for the visitor at the window, bounded by the counter's own state
(hall/domain/hall.py). The server sends these lists with the counter's board
(hall/services/counters/terminal.py), so a terminal enables its buttons and keys from
them and never restates the rules; the services still check every command.

Commands are named as the API names them (``POST /counters/{id}/<command>``): the life
cycle's ``call`` of a waiting ticket is offered as ``call-next`` and ``call`` (by number).
"""
from __future__ import annotations

from hall.domain.hall import COUNTER_TRANSITIONS, CounterState
from hall.domain.lifecycle import Action, allowed_actions

# The life-cycle actions a counter takes on a ticket it holds, the current one or one in
# its held and no-show lists (a held ticket's ``cancel`` is the visitor's, not a counter's).
TICKET_COMMANDS = frozenset({Action.RECALL, Action.START, Action.SKIP, Action.FINISH,
                             Action.TRANSFER, Action.HOLD, Action.UNHOLD, Action.REINSTATE})
CALLS = ("call-next", "call")
# Calling and recalling speak to the hall: only an open counter does (require_counter_open).
NEED_OPEN = frozenset({*CALLS, Action.RECALL.value})
# A counter that has someone at the window finishes, skips or transfers them first.
NEED_FREE = frozenset({*CALLS, "pause", "close"})
NEED_ACTIVE = frozenset({"open", "resume"})  # a window out of service is not reopened


def ticket_commands(ticket_state: str) -> list[str]:
    """What a counter may do with a ticket in ``ticket_state`` (life cycle order)."""
    return [a.value for a in allowed_actions(ticket_state) if a in TICKET_COMMANDS]


def counter_commands(counter_state: str, current_state: str | None,
                     active: bool = True, chained: bool = False) -> list[str]:
    """The commands the counter may take now, given its state, the state of the ticket at
    its window (None: nobody), whether the window is in service and whether the ticket is
    a 多窗联办 number (never transferred: hall/domain/chains.py)."""
    offered = list(CALLS) if current_state is None else ticket_commands(current_state)
    if chained:
        offered = [c for c in offered if c != Action.TRANSFER.value]
    offered += [action for (state, action) in COUNTER_TRANSITIONS
                if state == counter_state]
    return [c for c in offered
            if (c not in NEED_OPEN or counter_state == CounterState.OPEN)
            and (c not in NEED_FREE or current_state is None)
            and (c not in NEED_ACTIVE or active)]
