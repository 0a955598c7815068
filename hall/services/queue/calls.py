"""Live calls (正在呼叫) of a hall, as the screens' big panel and the LED strip show them.

``live_calls`` reads them: the current ticket of every open counter that is still ``called``
or ``serving`` there (hall/domain/calling.py says why those), newest call first — at most
one row per counter, so a bounded read whatever the day's volume. ``calls_live`` is a
follow-up of the unit of work (hall/services/wiring.py): a command that called, recalled,
started or ended a visit gets a ``calls.live`` event with the whole list, after its own
events, so every screen and sign moves on from the same answer.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, func, select

from hall.domain.calling import LIVE_COUNTER_STATES, LIVE_TICKET_STATES, LiveCall, newest_first
from hall.services import repo
from hall.services.context import UnitOfWork
from hall.services.queue import chains
from hall.store.models import Counter, Ticket, TicketHistory

# Events that can start or end a live call. Not counter.state: a window pauses or closes
# only with nobody called or served at it (counters/state.py refuses it otherwise).
CALL_EVENTS = frozenset({"ticket.called", "ticket.recalled", "ticket.started",
                         "ticket.finished", "ticket.skipped", "ticket.held",
                         "ticket.transferred", "ticket.cancelled"})


def by_name(uow: UnitOfWork, hall_id: int) -> bool:
    """Does the hall call by name (a hall setting, off by default)? From the settings cache
    the issue and call paths read (repo.hall_config): every call asks."""
    return bool((repo.hall_config(uow, hall_id).row.settings or {}).get("call_by_name"))


def live_calls(conn: Connection, hall_id: int, named: bool,
               position: Callable[[Any], dict[str, Any] | None] = lambda row: None
               ) -> list[LiveCall]:
    """``named``: the hall calls by name; ``position``: where a 多窗联办 ticket's row stands
    (queue/chains.py), or nothing."""
    c, t, h = Counter.__table__, Ticket.__table__, TicketHistory.__table__
    rows = conn.execute(
        select(t.c.id, t.c.number, t.c.state, t.c.called_at, t.c.recalls, t.c.holder_masked,
               t.c.hall_id, t.c.service_id, t.c.chain_id, t.c.step,
               c.c.id.label("counter_id"), c.c.number.label("counter_number"))
        .select_from(c.join(t, t.c.id == c.c.current_ticket_id))
        .where(c.c.hall_id == hall_id, c.c.state.in_(LIVE_COUNTER_STATES),
               t.c.state.in_(LIVE_TICKET_STATES), t.c.counter_id == c.c.id)).all()
    recalled = {}
    ids = [r.id for r in rows if r.recalls]
    if ids:  # when each recalled ticket was last called (ix_ticket_history_ticket)
        recalled = dict(conn.execute(
            select(h.c.ticket_id, func.max(h.c.at))
            .where(h.c.ticket_id.in_(ids), h.c.action == "recall")
            .group_by(h.c.ticket_id)).all())
    return newest_first(
        LiveCall(r.id, r.number, r.counter_id, r.counter_number, r.state,
                 max(x for x in (r.called_at, recalled.get(r.id)) if x is not None),
                 r.recalls, r.holder_masked if named else None,
                 position(r) if r.chain_id is not None else None)
        for r in rows if r.called_at is not None)


def view(call: LiveCall) -> dict[str, Any]:
    return {"ticket_id": call.ticket_id, "number": call.number,
            "counter_id": call.counter_id, "counter_number": call.counter_number,
            "state": call.state, "called_at": call.called_at.isoformat(),
            "recalls": call.recalls, **({"holder": call.holder} if call.holder else {}),
            **({"chain": call.chain} if call.chain else {})}


def hall_live_calls(uow: UnitOfWork, hall_id: int) -> list[dict[str, Any]]:
    return [view(c) for c in live_calls(uow.conn, hall_id, by_name(uow, hall_id),
                                        lambda row: chains.position(uow, row))]


def calls_live(uow: UnitOfWork) -> None:
    """Follow-up: one ``calls.live`` per hall whose live calls this command may have moved."""
    halls = sorted({e.hall_id for e in uow.events if e.type in CALL_EVENTS})
    for hall_id in halls:
        uow.emit("calls.live", hall_id, calls=hall_live_calls(uow, hall_id))
