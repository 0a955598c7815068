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
its cached actors (``drop_revoked_devices``): the device's next request is refused too.
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
from hall.realtime.events import NAMESPACE, rooms_for
from hall.services.config import accounts
from hall.services.context import Context, read
from hall.services.queue import queries
from hall.store.models import Counter, Ticket
from hall.web.auth import session_staff
from hall.web.context import hall_context

log = logging.getLogger(__name__)
ACTOR = "_hall_actor"
REVOKED = "device.revoked"
REFUSED = "unauthenticated"  # the refusal's message: clients tell it from a network error


def register(socketio, app) -> None:
    socketio.on_event("connect", on_connect, namespace=NAMESPACE)
    socketio.on_event("subscribe", on_subscribe, namespace=NAMESPACE)
    drop_revoked_devices(socketio.server, hall_context(app))


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
    return True


def drop_revoked_devices(server, ctx: Context) -> None:
    """Have this process drop a revoked device's sockets when its ``device.revoked`` event
    is delivered here, right after the event itself (so the device hears why).

    python-socketio's pub/sub managers disconnect a single sid in whichever process holds it,
    but know a room's members only in their own process. Each process does receive every
    event, to deliver it to its own members of the event's rooms: the pub/sub manager's
    ``_handle_emit`` runs for this process's emits and for those published by others. That
    is where each process drops its own members of ``device:<id>``. The in-process manager
    (no message queue) delivers in ``emit``.
    """
    manager = server.manager

    def delivered(event: Any, namespace: Any, data: Any) -> None:
        if event != REVOKED or namespace != NAMESPACE:
            return
        payload = data[0] if isinstance(data, list) and data else data
        if isinstance(payload, dict) and isinstance(payload.get("device_id"), int):
            drop_device(server, ctx, payload["device_id"])

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
    for sid, _ in list(server.manager.get_participants(NAMESPACE, f"device:{device_id}")):
        log.info("dropping socket %s of revoked device %s", sid, device_id)
        server.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)


def _visitor(token: str) -> Actor | None:
    def query(uow):
        row = uow.conn.execute(select(Ticket.id, Ticket.hall_id, Ticket.service_id)
                               .where(Ticket.token == token)).first()
        if row is None:
            return None
        return Actor("visitor", row.id, row.hall_id, "holder", None, token)

    return read(hall_context(), query)


def _error(code: str, field: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "field": field, "message": message}}


def on_subscribe(data: Any = None):
    actor: Actor | None = session.get(ACTOR)
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
    internal, hall_id = target
    for room in internal:
        join_room(room)
    ctx = hall_context()
    missed = queries.backlog(ctx, hall_id, last_seq, set(internal), rooms_for)
    if missed["snapshot"]:
        return {"ok": True, "room": data["room"], "last_seq": missed["last_seq"],
                "snapshot": _snapshot(kind, internal[0], hall_id, actor), "events": []}
    return {"ok": True, "room": data["room"], "last_seq": missed["last_seq"],
            "snapshot": None, "events": missed["events"]}


def _authorise(actor: Actor, kind: str, key: str) -> tuple[list[str], int] | None:
    """The internal rooms to join and the hall, or None when the actor may not."""
    if kind == "ticket":
        if actor.kind == "visitor" and key == actor.label:
            service_id = _ticket_service(actor.id)
            return [f"tk:{actor.id}", f"queue:{service_id}"], actor.hall_id
        return None
    if actor.kind == "visitor" or not key.isdigit():
        return None
    ident = int(key)
    if kind == "hall":
        return ([f"hall:{ident}"], ident) if ident == actor.hall_id else None
    if kind == "screen":
        allowed = (actor.kind == "device" and actor.role == "screen" and actor.id == ident) \
            or actor.role in ("supervisor", "admin")
        return ([f"screen:{ident}", f"hall:{actor.hall_id}"], actor.hall_id) if allowed else None
    if kind == "device":  # a device's own room: print jobs and commands addressed to it
        if actor.kind == "device" and actor.id == ident:
            return [f"device:{ident}"], actor.hall_id
        return None
    if kind == "counter":
        if _counter_hall(ident) != actor.hall_id:
            return None
        bound = actor.role in ("keypad", "pad") or (actor.role == "staff")
        if bound and actor.counter_id != ident:
            return None
        return [f"counter:{ident}"], actor.hall_id
    return None


def _ticket_service(ticket_id: int) -> int:
    return read(hall_context(), lambda uow: uow.conn.execute(
        select(Ticket.service_id).where(Ticket.id == ticket_id)).scalar_one())


def _counter_hall(counter_id: int) -> int | None:
    return read(hall_context(), lambda uow: uow.conn.execute(
        select(Counter.hall_id).where(Counter.id == counter_id)).scalar())


def _snapshot(kind: str, room: str, hall_id: int, actor: Actor) -> dict[str, Any]:
    ctx = hall_context()
    if kind == "ticket":
        return queries.ticket_by_token(ctx, actor.label)
    snap = queries.hall_snapshot(ctx, hall_id)
    if kind == "counter":
        ident = int(room.split(":")[1])
        snap["counter"] = next((c for c in snap["counters"] if c["id"] == ident), None)
    return snap
