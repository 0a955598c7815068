"""Socket.IO namespace /hall: who may connect, which rooms they may join, resync.

A client connects with ``auth={"token": …}`` (a device token or a ticket's public token;
staff pages use their session cookie) and emits ``subscribe`` with
``{"room": …, "last_seq": N}``. The acknowledgement carries what it missed — the events
after ``last_seq`` in order, or a snapshot when it is too far behind — and live events
follow. The server joins the room *before* reading the backlog, so nothing falls between;
a live event can overtake the acknowledgement, so clients hold live events until the ack
has arrived and drop any ``seq`` they have already seen (display/static/hall-live.js).
"""
from __future__ import annotations

import logging
from typing import Any

from flask import request, session
from flask_socketio import join_room
from sqlalchemy import select

from hall.app import hall_context
from hall.domain.access import Actor
from hall.events import NAMESPACE, rooms_for
from hall.services import accounts, queries
from hall.services.context import read
from hall.store.models import Counter, Ticket

log = logging.getLogger(__name__)
ACTOR = "_hall_actor"


def register(socketio) -> None:
    socketio.on_event("connect", on_connect, namespace=NAMESPACE)
    socketio.on_event("subscribe", on_subscribe, namespace=NAMESPACE)


def on_connect(auth: dict[str, Any] | None = None):
    ctx = hall_context()
    token = (auth or {}).get("token") if isinstance(auth, dict) else None
    actor = None
    if isinstance(token, str) and token:
        actor = accounts.device_actor(ctx, token) or _visitor(token)
    elif session.get("staff_id") is not None:
        actor = accounts.staff_actor(ctx, session["staff_id"])
    if actor is None:
        log.info("refused socket %s: no valid token or session", request.sid)
        return False
    session[ACTOR] = actor
    if actor.kind == "device":
        join_room(f"device:{actor.id}")  # so a revoked device can be dropped at once
    return True


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
