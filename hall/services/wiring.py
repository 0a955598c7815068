"""How a hall's Context is put together: the follow-up events every command gets.

The unit of work (context.py) knows nothing of queues; it runs whatever follow-ups its
Context was given. Everything that builds a Context for real work (the app, the CLI, the
benches, test fixtures) builds it here, so none of them can forget one.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from hall.services.context import Context, Followup
from hall.services.queue import calls, notify, standing

# in the order they run: each sees the events of the command and of those before it
# (queue.stats right after the command's own events, as screens have always had it; then
# calls.live, the calls still standing after it)
# notify.near_turn writes the messages (near-turn SMS, called, passed) that the command's
# events make due into the outbox, in the same transaction
FOLLOWUPS: tuple[Followup, ...] = (standing.queue_stats, calls.calls_live, notify.near_turn)


def make_context(engine: Engine, **options: Any) -> Context:
    """A Context with the hall's follow-ups; ``options`` are Context's other fields."""
    return Context(engine=engine, followups=list(FOLLOWUPS), **options)
