"""The one place that emits: domain events → Socket.IO rooms, after commit (DESIGN.md §3).

Rooms a client may ask for (``subscribe``): ``hall:<id>``, ``counter:<id>``,
``screen:<id>``, ``ticket:<token>``, and a device's own ``device:<id>`` (print jobs).
A ticket's public token never travels in events, so a
phone joins the internal room ``tk:<ticket id>`` once its token is checked, plus
``queue:<service id>`` to hear that its line moved. Every event goes out with its ``seq``
from the event log; a client re-subscribing with ``last_seq`` gets what it missed (see
``backlog``) or a snapshot. ``device.revoked`` goes to the device's own room too: each
process drops that room's sockets as the event is delivered there (hall/realtime/live.py).
"""
from __future__ import annotations

import logging
import os
from typing import Any

from hall.domain.events import DomainEvent

log = logging.getLogger(__name__)
NAMESPACE = "/hall"


def rooms_for(hall_id: int, event_type: str, payload: dict[str, Any]) -> list[str]:
    """Internal room names an event is delivered to (also used to filter a backlog)."""
    rooms = [f"hall:{hall_id}"]
    counter_id = payload.get("counter_id")
    if counter_id is not None:
        rooms.append(f"counter:{counter_id}")
    for key in ("ticket_id", "new_ticket_id"):
        if payload.get(key) is not None:
            rooms.append(f"tk:{payload[key]}")
    if "ticket" in payload and isinstance(payload["ticket"], dict):  # ticket.issued
        rooms.append(f"tk:{payload['ticket']['id']}")
        service = payload["ticket"].get("service") or {}
        if service.get("id") is not None:
            rooms.append(f"queue:{service['id']}")
    if payload.get("service_id") is not None:
        rooms.append(f"queue:{payload['service_id']}")
    if payload.get("device_id") is not None:
        rooms.append(f"device:{payload['device_id']}")
    if payload.get("screen_id") is not None:
        rooms.append(f"screen:{payload['screen_id']}")
    return rooms


def message(seq: int | None, event_type: str, at: str | None, payload: dict[str, Any]
            ) -> dict[str, Any]:
    return {"type": event_type, "seq": seq, "at": at, **payload}


class SocketPublisher:
    """Emits committed events to their rooms; through Redis when several processes run.

    Each room list is one ``emit`` with ``to=[…]``: python-socketio sends one packet per
    client however many of its rooms match, and encodes it once for all of them. Under
    gevent and eventlet the packet is also framed once and written straight to each idle
    websocket (hall/realtime/fanout.py), and the emitting happens in one publisher greenlet fed in
    commit order, not in the request: a keypad's call-next answers before the call has
    reached 5,000 screens (a 100–200 ms fan-out, bench/screens.py) instead of after.
    ``HALL_FANOUT=stock`` turns both off (python-socketio as it comes, for comparison).
    """

    def __init__(self, socketio):
        from hall.realtime import fanout

        self.socketio = socketio
        self.fast = None
        if os.environ.get("HALL_FANOUT", "direct") != "stock":
            self.fast = fanout.install(socketio, socketio.server.eio.async_mode)
        self._queue = None  # the publisher greenlet's, made on first use (after patching)

    def __call__(self, events: list[DomainEvent]) -> None:
        if self.fast is None:  # threading mode (tests, `flask run`), or stock
            self.emit(events)
            return
        if self._queue is None:  # nothing yields in here: one queue, one greenlet
            self._queue = self.socketio.server.eio.create_queue()
            self.socketio.start_background_task(self._run)
        self._queue.put(list(events))

    def _run(self) -> None:
        while True:
            events = self._queue.get()
            try:
                self.emit(events)
            except Exception:  # a broken feed must not stop the ones after it
                log.exception("publishing %d event(s) failed", len(events))

    def emit(self, events: list[DomainEvent]) -> None:
        for e in events:
            payload = message(e.seq, e.type, e.at.isoformat() if e.at else None, e.payload)
            self.socketio.emit(e.type, payload, to=rooms_for(e.hall_id, e.type, e.payload),
                               namespace=NAMESPACE)
