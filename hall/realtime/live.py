"""Socket.IO namespace /hall: who may connect, which rooms they may join, resync.

A client connects with ``auth={"token": …}`` (a device token or a ticket's public token;
staff pages use their session cookie) and emits ``subscribe`` with
``{"room": …, "last_seq": N}``. The acknowledgement carries what it missed — the events
after ``last_seq`` in order, or a snapshot when it is too far behind — and live events
follow. The server joins the room *before* reading the backlog, so nothing falls between;
a live event can overtake the acknowledgement, so clients hold live events until the ack
has arrived and drop any ``seq`` they have already seen (display/static/hall-live.js).

A device's sockets join ``device:<id>``. When the device is revoked, every server process
drops its own members of that room as the ``device.revoked`` event reaches it, and forgets
its cached actors (``drop_ended``): the device's next request is refused too. A staff
member's sockets join ``staff:<id>`` and ``session:<tag of the session>`` and are dropped
the same way when ``staff.sessions_ended`` reaches a process (logout: that session's;
a password change: the other sessions'; a reset, role change, deactivation or sign-out
everywhere: all); a subscription checks the session again, as an HTTP request would.

Which rooms a reader joins, and so what it hears, follows the audience of each event
(hall/realtime/events.py ``AUDIENCE``, ``tier``).
"""
from __future__ import annotations

import logging
from typing import Any

from flask import request, session
from flask_socketio import join_room
from socketio import PubSubManager
from socketio.exceptions import ConnectionRefusedError as SocketRefused
from sqlalchemy import select

from hall.domain.access import Actor
from hall.realtime.events import NAMESPACE, room, rooms_for, tier
from hall.services.config import accounts
from hall.services.context import Context, read
from hall.services.counters import signout
from hall.services.queue import chains, queries
from hall.store.models import Counter, Device, Ticket
from hall.web.auth import session_staff
from hall.web.context import hall_context

log = logging.getLogger(__name__)
ACTOR = "_hall_actor"
REVOKED = "device.revoked"
SESSIONS_ENDED = signout.SESSIONS_ENDED
REFUSED = "unauthenticated"  # the refusal's message: clients tell it from a network error


def register(socketio, app) -> None:
    socketio.on_event("connect", on_connect, namespace=NAMESPACE)
    socketio.on_event("subscribe", on_subscribe, namespace=NAMESPACE)
    drop_ended(socketio.server, hall_context(app))


def on_connect(auth: dict[str, Any] | None = None):
    ctx = hall_context()
    token = (auth or {}).get("token") if isinstance(auth, dict) else None
    actor = None
    if isinstance(token, str) and token:
        # not from the cache: a device revoked a moment ago in another process stays out
        actor = accounts.device_actor(ctx, token, cached=False) or _visitor(token)
    elif session.get("staff_id") is not None:
        actor = session_staff()  # expiry, idle time, logout and auth_version as over HTTP
    if actor is None or actor.must_change_password:  # a one-time password allows no more
        log.info("refused socket %s: no valid token or session", request.sid)
        raise SocketRefused(REFUSED)
    session[ACTOR] = actor
    if actor.kind == "device":
        join_room(f"device:{actor.id}")  # so a revoked device can be dropped at once
    elif actor.kind == "staff":  # so the person's sockets end with their sessions
        join_room(f"staff:{actor.id}")
        join_room(f"session:{signout.session_tag(ctx, session['sid'])}")
    return True


def drop_ended(server, ctx: Context) -> None:
    """Have this process drop the sockets of a revoked device (``device.revoked``) or of a
    staff member's ended sessions (``staff.sessions_ended``) when that event is delivered
    here, right after the event itself (so the client hears why).

    python-socketio's pub/sub managers disconnect a single sid in whichever process holds it,
    but know a room's members only in their own process. Each process does receive every
    event, to deliver it to its own members of the event's rooms: the pub/sub manager's
    ``_handle_emit`` runs for this process's emits and for those published by others. That
    is where each process drops its own members of ``device:<id>`` or ``staff:<id>``. The
    in-process manager (no message queue) delivers in ``emit``.
    """
    manager = server.manager

    def delivered(event: Any, namespace: Any, data: Any) -> None:
        if event not in (REVOKED, SESSIONS_ENDED) or namespace != NAMESPACE:
            return
        payload = data[0] if isinstance(data, list) and data else data
        if not isinstance(payload, dict):
            return
        if event == REVOKED and isinstance(payload.get("device_id"), int):
            drop_device(server, ctx, payload["device_id"])
        elif event == SESSIONS_ENDED and isinstance(payload.get("staff_id"), int):
            drop_staff(server, payload["staff_id"], payload.get("session"),
                       payload.get("keep"))

    if isinstance(manager, PubSubManager):
        handle_emit = manager._handle_emit

        def handle_emit_and_drop(message: dict[str, Any]) -> None:
            handle_emit(message)
            delivered(message.get("event"), message.get("namespace"), message.get("data"))

        manager._handle_emit = handle_emit_and_drop
    else:
        emit = manager.emit

        def emit_and_drop(event, data, namespace, *args, **kwargs):
            emit(event, data, namespace, *args, **kwargs)
            delivered(event, namespace, data)

        manager.emit = emit_and_drop


def drop_device(server, ctx: Context, device_id: int) -> None:
    """Disconnect this process's sockets of a revoked device and forget cached actors."""
    ctx.cache.clear()
    _drop(server, _members(server, f"device:{device_id}"), f"revoked device {device_id}")


def drop_staff(server, staff_id: int, ended: str | None, keep: str | None) -> None:
    """Disconnect this process's sockets of staff member ``staff_id``: those of the session
    tagged ``ended`` only (a logout), or all but those of the session ``keep`` (a password
    change made in it), or all (a reset, role change, deactivation, sign-out everywhere)."""
    sids = _members(server, f"staff:{staff_id}")
    if isinstance(ended, str):
        sids &= _members(server, f"session:{ended}")
    if isinstance(keep, str):
        sids -= _members(server, f"session:{keep}")
    _drop(server, sids, f"ended session of staff {staff_id}")


def _members(server, name: str) -> set[str]:
    return {sid for sid, _ in server.manager.get_participants(NAMESPACE, name)}


def _drop(server, sids: set[str], why: str) -> None:
    for sid in sorted(sids):
        log.info("dropping socket %s of %s", sid, why)
        server.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)


def _visitor(token: str) -> Actor | None:
    def query(uow):
        row = uow.conn.execute(select(Ticket.__table__)
                               .where(Ticket.token == token)).first()
        if row is None:
            return None
        # a chain ticket's token is its first step's: the phone follows the step it is at
        row = chains.current(uow.conn, row)
        return Actor("visitor", row.id, row.hall_id, "holder", None, token)

    return read(hall_context(), query)


def _error(code: str, field: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "field": field, "message": message}}


def on_subscribe(data: Any = None):
    actor: Actor | None = session.get(ACTOR)
    if actor is not None and actor.kind == "staff" and session_staff() is None:
        actor = None  # the session ended (idle, lifetime) since the socket connected
    if actor is None:
        return _error("unauthenticated", "auth", "connect with a token first")
    if not isinstance(data, dict) or not isinstance(data.get("room"), str):
        return _error("invalid", "room", "send {room: 'hall:<id>', last_seq: N}")
    last_seq = data.get("last_seq") or 0
    if not isinstance(last_seq, int) or isinstance(last_seq, bool) or last_seq < 0:
        return _error("invalid", "last_seq", "last_seq must be a non-negative integer")
    kind, _, key = data["room"].partition(":")
    target = _authorise(actor, kind, key)
    if target is None:
        return _error("forbidden", "room", f"you may not join {data['room']}")
    internal, hall_id, ident = target
    for name in internal:
        join_room(name)
    ctx = hall_context()
    missed = queries.backlog(ctx, hall_id, last_seq, set(internal), rooms_for)
    if missed["snapshot"]:
        return {"ok": True, "room": data["room"], "last_seq": missed["last_seq"],
                "snapshot": _snapshot(kind, ident, hall_id, actor), "events": []}
    return {"ok": True, "room": data["room"], "last_seq": missed["last_seq"],
            "snapshot": None, "events": missed["events"]}


def _authorise(actor: Actor, kind: str, key: str) -> tuple[list[str], int, int | None] | None:
    """The internal rooms to join (each at the actor's audience, ``events.tier``), the hall
    and the room's id; or None when the actor may not join."""
    if kind == "ticket":
        if actor.kind == "visitor" and key == actor.label:
            service_id = _ticket_service(actor.id)
            return [room(f"tk:{actor.id}", tier(actor, "tk", actor.id)),
                    room(f"queue:{service_id}", tier(actor, "queue", service_id))
                    ], actor.hall_id, None
        return None
    ident = _ident(key)
    if actor.kind == "visitor" or ident is None:
        return None
    if kind == "hall":
        if ident != actor.hall_id:
            return None
        return [room(f"hall:{ident}", tier(actor, "hall", ident))], ident, ident
    if kind == "screen":  # a supervisor's preview of a screen of their own hall
        allowed = (actor.kind == "device" and actor.role == "screen" and actor.id == ident) \
            or (actor.role in ("supervisor", "admin") and _device_hall(ident) == actor.hall_id)
        if not allowed:
            return None
        return [room(f"screen:{ident}", tier(actor, "screen", ident)),
                room(f"hall:{actor.hall_id}", tier(actor, "hall", actor.hall_id))
                ], actor.hall_id, ident
    if kind == "device":  # a device's own room: print jobs and commands addressed to it
        if actor.kind == "device" and actor.id == ident:
            return [room(f"device:{ident}", tier(actor, "device", ident))], actor.hall_id, ident
        return None
    if kind == "counter":
        if _counter_hall(ident) != actor.hall_id:
            return None
        bound = actor.role in ("keypad", "pad") or (actor.role == "staff")
        if bound and actor.counter_id != ident:
            return None
        return [room(f"counter:{ident}", tier(actor, "counter", ident))], actor.hall_id, ident
    return None


MAX_ID = 2**31 - 1  # the id columns' range (PostgreSQL integer)


def _ident(key: str) -> int | None:
    """A room's id as written (ASCII digits, within the id columns' range), else None."""
    if not (key.isascii() and key.isdigit()) or len(key) > len(str(MAX_ID)):
        return None
    ident = int(key)
    return ident if 0 < ident <= MAX_ID else None


def _ticket_service(ticket_id: int) -> int:
    return read(hall_context(), lambda uow: uow.conn.execute(
        select(Ticket.service_id).where(Ticket.id == ticket_id)).scalar_one())


def _device_hall(device_id: int) -> int | None:
    return read(hall_context(), lambda uow: uow.conn.execute(
        select(Device.hall_id).where(Device.id == device_id)).scalar())


def _counter_hall(counter_id: int) -> int | None:
    return read(hall_context(), lambda uow: uow.conn.execute(
        select(Counter.hall_id).where(Counter.id == counter_id)).scalar())


def _snapshot(kind: str, ident: int | None, hall_id: int, actor: Actor) -> dict[str, Any]:
    ctx = hall_context()
    if kind == "ticket":
        return queries.ticket_by_token(ctx, actor.label)
    snap = queries.hall_snapshot(ctx, hall_id)
    if kind == "counter":
        snap["counter"] = next((c for c in snap["counters"] if c["id"] == ident), None)
    return snap
