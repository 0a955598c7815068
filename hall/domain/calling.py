"""正在呼叫: which calls are still live, for the hall screen's big panel, its LED strip and
anything else that says "A005 请到 1 号窗口".

A call is live while the visitor is still expected at, or being served by, the window that
called them: the ticket is ``called`` or ``serving`` at that counter and the counter is open.
A skip, hold, transfer, finish or cancel ends it (the ticket leaves ``called``/``serving`` or
the window's hands); so does the window pausing or closing (a paused window calls nobody).
The panel shows the newest live call and, when that one ends, the next one, or nothing.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

LIVE_TICKET_STATES = frozenset({"called", "serving"})
LIVE_COUNTER_STATES = frozenset({"open"})


@dataclass(frozen=True, slots=True)
class LiveCall:
    ticket_id: int
    number: str
    counter_id: int
    counter_number: int
    state: str  # called | serving
    called_at: datetime  # the last call of this ticket (a recall brings it forward)
    recalls: int = 0
    holder: str | None = None  # the name masked (张*女士), when the hall calls by name
    # 多窗联办: where the number stands (step, of, the step's service: queue/chains.py's
    # position), shown beside the number; None for a plain ticket
    chain: dict | None = None


def is_live(ticket_state: str, ticket_counter_id: int | None, counter_id: int,
            counter_state: str) -> bool:
    """Whether the call of a ticket by a counter still stands."""
    return (ticket_state in LIVE_TICKET_STATES and ticket_counter_id == counter_id
            and counter_state in LIVE_COUNTER_STATES)


def newest_first(calls: Iterable[LiveCall]) -> list[LiveCall]:
    """The panel's order: the latest call first; ties (one transaction) by ticket."""
    return sorted(calls, key=lambda c: (c.called_at, c.ticket_id), reverse=True)
