"""The one place that emits: domain events → Socket.IO rooms, after commit (DESIGN.md §3).

Rooms a client may ask for (``subscribe``): ``hall:<id>``, ``counter:<id>``,
``screen:<id>``, ``ticket:<token>``, and a device's own ``device:<id>`` (print jobs).
A ticket's public token never travels in events, so a
phone joins the internal room ``tk:<ticket id>`` once its token is checked, plus
``queue:<service id>`` to hear that its line moved. Every event goes out with its ``seq``
from the event log; a client re-subscribing with ``last_seq`` gets what it missed (see
``backlog``) or a snapshot. ``device.revoked`` goes to the device's own room too: each
process drops that room's sockets as the event is delivered there (hall/realtime/live.py);
``staff.sessions_ended`` likewise drops a staff member's sockets (logout, reset, …).

Each event type has an audience (``AUDIENCE``, the one table): the public, a window, the
staff at a window, or supervisors. A room is kept once per audience (``hall:1``,
``hall:1#window``, ``hall:1#window_staff``, ``hall:1#supervisors``); a reader joins the one
of its own audience (``tier``) and an event goes to the rooms of its audience and of every
narrower one. So the live rooms, the direct fan-out (hall/realtime/fanout.py writes to a
room's members), a re-subscription's backlog and GET /api/v1/events (``readable``) all
filter alike: a kiosk never hears a follow-up's reasons, nor a pad a window's alerts.
"""
from __future__ import annotations

import logging
import os
from typing import Any

from hall.domain.access import Actor
from hall.domain.events import DomainEvent

log = logging.getLogger(__name__)
NAMESPACE = "/hall"


# Who may hear an event, from the widest audience to the narrowest. Each feed — a room, the
# backlog of a room, GET /api/v1/events — gives a reader only the events of its audience or
# a wider one, as HTTP gives the same reader the same facts:
PUBLIC = "public"  # anyone in the hall: kiosks, screens, signs, visitors (their line, ticket)
WINDOW = "window"  # a window's devices (keypad, pad, agent) and the staff signed in there
WINDOW_STAFF = "window_staff"  # the staff signed in at the window (GET /alerts), not devices
SUPERVISORS = "supervisors"  # supervisors and administrators (follow-ups, cases, devices)
AUDIENCES = (PUBLIC, WINDOW, WINDOW_STAFF, SUPERVISORS)

# Every event type Hall emits, with its audience. A type missing here reaches supervisors
# only (``audience``): a new event is private until someone decides otherwise.
AUDIENCE: dict[str, str] = {
    # the queue as screens, signs, kiosks and phones show it
    "ticket.issued": PUBLIC, "ticket.called": PUBLIC, "ticket.recalled": PUBLIC,
    "ticket.started": PUBLIC, "ticket.finished": PUBLIC, "ticket.skipped": PUBLIC,
    "ticket.held": PUBLIC, "ticket.unheld": PUBLIC, "ticket.reinstated": PUBLIC,
    "ticket.cancelled": PUBLIC, "ticket.transferred": PUBLIC, "counter.state": PUBLIC,
    "ticket.carried": PUBLIC,  # the overnight queue kept it for the next service day
    # 多窗联办: the same number queued at the chain's next step (ticket_id: the step done,
    # new_ticket_id: the row of the next; service_id: the line it joins)
    "ticket.step": PUBLIC,
    "queue.stats": PUBLIC, "calls.live": PUBLIC, "config.changed": PUBLIC,
    "appointment.booked": PUBLIC, "appointment.cancelled": PUBLIC,  # places left, no one named
    # a visit's rating: its window (pad, keypad, terminal) and the visitor who gave it
    "ticket.rated": WINDOW,
    "print.requested": WINDOW,  # to the printing device (its own room)
    "device.test": WINDOW,  # the test button of /admin/devices, to the device's bridge
    # alerts name staff, visitors' ratings and reasons: the window's staff, as GET /alerts
    "alert": WINDOW_STAFF,
    # 催办 and 效能告诫 reach the window they name (and supervisors), never its devices or
    # the hall; a window handed to its B post tells that window and the B person
    "urge": WINDOW_STAFF, "admonition": WINDOW_STAFF, "rota.cover": WINDOW_STAFF,
    # 差评整改, 办件, devices, sessions: supervisors (GET /followups, /cases, /devices)
    "followup.opened": SUPERVISORS, "followup.updated": SUPERVISORS,
    "followup.closed": SUPERVISORS, "case.accepted": SUPERVISORS, "case.updated": SUPERVISORS,
    "device.health": SUPERVISORS, "device.revoked": SUPERVISORS,
    "staff.sessions_ended": SUPERVISORS,
    # the settings the region judges the hall by, written by the hall's uplink
    "hall.settings": SUPERVISORS,
}
# Events that also reach their subject's own room whatever their audience: a revoked device
# and a staff member whose sessions ended hear why as their sockets are dropped
# (hall/realtime/live.py ``drop_ended``); the B person hears the window they now cover.
SUBJECT: dict[str, tuple[str, str]] = {
    "device.revoked": ("device", "device_id"),
    "device.test": ("device", "device_id"),  # the test button, to the device's own bridge
    "staff.sessions_ended": ("staff", "staff_id"),
    # the person asking for leave hears the decision; the B post hears it covers a window
    "leave.decided": ("staff", "staff_id"), "leave.returned": ("staff", "staff_id"),
    "rota.cover": ("staff", "cover_staff_id"),
}


def audience(event_type: str) -> str:
    return AUDIENCE.get(event_type, SUPERVISORS)


def room(base: str, tier: str) -> str:
    """The internal room of ``base`` (``hall:1``, ``counter:5``) for readers of ``tier``;
    a reader joins exactly one tier of a base room, so hears each event once."""
    return base if tier == PUBLIC else f"{base}#{tier}"


def rooms_for(hall_id: int, event_type: str, payload: dict[str, Any]) -> list[str]:
    """Internal room names an event is delivered to (also used to filter a backlog): the
    tiers of its audience and narrower of each room it concerns, plus its subject's room."""
    narrowest = AUDIENCES.index(audience(event_type))
    tiers = AUDIENCES[narrowest:]
    rooms = [room(base, tier) for base in _bases(hall_id, payload) for tier in tiers]
    subject = SUBJECT.get(event_type)
    if subject is not None and payload.get(subject[1]) is not None:
        rooms.append(f"{subject[0]}:{payload[subject[1]]}")
    return rooms


def _bases(hall_id: int, payload: dict[str, Any]) -> list[str]:
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


def tier(actor: Actor, kind: str, ident: int | None) -> str:
    """The audience ``actor`` belongs to in room ``kind:ident`` of its own hall (the caller
    has checked that the actor may join the room at all)."""
    if actor.kind == "staff":
        if actor.role in ("supervisor", "admin"):
            return SUPERVISORS
        return WINDOW_STAFF if kind == "counter" and ident == actor.counter_id else PUBLIC
    if actor.kind == "visitor":  # their own ticket's room; their line's is public
        return WINDOW if kind == "tk" else PUBLIC
    if actor.kind == "device":
        if kind == "device" and ident == actor.id:
            return WINDOW
        if actor.role == "agent" and kind in ("hall", "counter"):  # every window's bridges
            return WINDOW
        if actor.role in ("keypad", "pad") and kind == "counter" and ident == actor.counter_id:
            return WINDOW
    return PUBLIC


def readable_rooms(actor: Actor) -> set[str]:
    """The rooms whose events ``actor`` may read from the hall's log (GET /api/v1/events):
    the hall's room, and its own window's and device's, at its tier in each."""
    rooms = {room(f"hall:{actor.hall_id}", tier(actor, "hall", actor.hall_id))}
    if actor.counter_id is not None:
        rooms.add(room(f"counter:{actor.counter_id}",
                       tier(actor, "counter", actor.counter_id)))
    if actor.kind == "device" and actor.id is not None:
        rooms.add(room(f"device:{actor.id}", tier(actor, "device", actor.id)))
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
