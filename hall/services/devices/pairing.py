"""Device pairing (issue 9): a new kiosk, screen, pad or agent asks to join and shows a short
code; an admin standing at it types that code to approve it; the device then claims its own
token, once.

What each secret proves:
- the **code** (6 digits, unique among pending requests) proves the admin is looking at this
  device: the pending list never shows codes, approving needs the one on the device's screen.
  Codes are short, so a request lives ``REQUEST_TTL``. So that no one can fill the queue
  for everyone, at most ``MAX_PER_ADDRESS`` wait from one address and ``MAX_PER_HALL`` for
  one hall (a device may name its hall; those that do not share one queue), and at most
  ``MAX_PENDING`` in all, which keeps the code space sparse;
- the **claim secret** proves the claimant is the device that asked: random, given to the
  asker once, stored only as its SHA-256 (reading the table is not enough to claim);
- the **token** is made at the claim and returned once; only its digest is stored. Approval
  creates the device with a token nobody keeps, so until the claim it can do nothing.

Requests expired for longer than ``KEEP`` are deleted by the next request or decision; a
device approved but never claimed is revoked then (no one holds its token).
"""
from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from hall.domain.access import SYSTEM, Actor
from hall.domain.errors import DomainError, Forbidden
from hall.domain.i18n import N_
from hall.services.config import accounts, audit
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.store.models import Counter, Device, Hall, Pairing

# devices with a screen, agents, and a window's printer (paired by the agent PC it hangs off)
PAIRABLE = ("kiosk", "screen", "pad", "agent", "printer")
REQUEST_TTL = timedelta(minutes=10)  # a code shown on a device is good this long
CLAIM_TTL = timedelta(minutes=10)  # after approval, the device claims within this
KEEP = timedelta(hours=1)  # an expired request still answers "expired"/"rejected" this long
MAX_PER_ADDRESS = 3  # requests waiting from one address (a device asks once at a time)
MAX_PER_HALL = 50  # requests waiting for one hall (or for none named): the list stays short
MAX_PENDING = 500  # requests waiting at once in all: the code space stays sparse
POLL_S = 3  # how often a waiting device asks again
PAIRING_LOCK = 0x4841_5052  # "HAPR": pg advisory lock, so a new code is unique among pending

P = Pairing.__table__


def request_pairing(ctx: Context, kind: str, name: str = "",
                    info: dict[str, Any] | None = None, *, address: str | None = None,
                    hall: str | None = None) -> Result:
    """A device asks to join (from ``address``; for the hall whose code is ``hall``, if it
    names one): its id, code and claim secret (returned only here)."""
    if kind not in PAIRABLE:
        raise DomainError("invalid_kind", N_("Unknown device kind %(kind)s"), "kind", kind=kind)

    def command(uow: UnitOfWork) -> dict[str, Any]:
        _one_at_a_time(uow)
        _clean_up(uow)
        hall_id = _named_hall(uow, hall)
        _room_for(uow, address, hall_id)
        taken = set(uow.conn.execute(select(P.c.code).where(
            P.c.state == "pending", P.c.expires_at > uow.now)).scalars())
        if len(taken) >= MAX_PENDING:
            raise DomainError("pairing_busy", N_("Too many devices are waiting to be paired; "
                                                 "try again in a few minutes"), "kind")
        code = _new_code(taken)
        secret = secrets.token_urlsafe(24)
        expires_at = uow.now + REQUEST_TTL
        pairing_id = uow.conn.execute(insert(P).values(
            code=code, claim_hash=accounts.token_digest(secret), kind=kind, name=name,
            info=info or {}, state="pending", created_at=uow.now, expires_at=expires_at,
            hall_id=hall_id, address=address[:64] if address else None,
        ).returning(P.c.id)).scalar_one()
        return {"id": pairing_id, "code": code, "secret": secret,
                "expires_at": expires_at.isoformat(), "poll_s": POLL_S}

    return run(ctx, command)


def _named_hall(uow: UnitOfWork, code: str | None) -> int | None:
    if not code:
        return None
    hall_id = uow.conn.execute(select(Hall.id).where(
        func.lower(Hall.code) == code.strip().lower())).scalar()
    if hall_id is None:
        raise DomainError("hall_not_found", N_("No hall has the code %(hall)s"), "hall",
                          hall=code)
    return hall_id


def _room_for(uow: UnitOfWork, address: str | None, hall_id: int | None) -> None:
    """Refuse a request past the per-address or the per-hall cap of waiting requests."""
    waiting = (P.c.state == "pending") & (P.c.expires_at > uow.now)
    if address and uow.conn.execute(select(func.count()).where(
            waiting, P.c.address == address[:64])).scalar_one() >= MAX_PER_ADDRESS:
        raise DomainError("pairing_busy", N_("Devices at this address are already waiting "
                                             "to be paired; pair those first, or try again "
                                             "in a few minutes"), "kind")
    same_hall = P.c.hall_id.is_(None) if hall_id is None else P.c.hall_id == hall_id
    if uow.conn.execute(select(func.count()).where(
            waiting, same_hall)).scalar_one() >= MAX_PER_HALL:
        raise DomainError("pairing_busy", N_("Too many devices are waiting to be paired; "
                                             "try again in a few minutes"), "kind")


def pending(ctx: Context, hall_id: int) -> list[dict[str, Any]]:
    """Requests waiting for a decision, oldest first; never their codes."""

    def query(uow: UnitOfWork) -> list[dict[str, Any]]:
        rows = uow.conn.execute(
            select(P.c.id, P.c.kind, P.c.name, P.c.info, P.c.created_at, P.c.expires_at)
            .where(P.c.state == "pending", P.c.expires_at > uow.now,
                   (P.c.hall_id.is_(None)) | (P.c.hall_id == hall_id))
            .order_by(P.c.created_at, P.c.id)).all()
        return [{"id": r.id, "kind": r.kind, "name": r.name, "info": r.info or {},
                 "created_at": r.created_at.isoformat(),
                 "expires_at": r.expires_at.isoformat()} for r in rows]

    return read(ctx, query)


def approve(ctx: Context, actor: Actor, pairing_id: int, code: str, kind: str | None = None,
            name: str | None = None, counter_number: int | None = None,
            ip: str | None = None) -> Result:
    """The admin read ``code`` off the device: create the device (in the admin's hall, as
    ``kind``, named ``name``, bound to window ``counter_number``); the device claims next."""
    _require_admin(actor)

    def command(uow: UnitOfWork) -> dict[str, Any]:
        _clean_up(uow)
        row = _pending_row(uow, actor, pairing_id)
        if not secrets.compare_digest(row.code, code):
            raise DomainError("wrong_code", N_("That is not the code this device shows"),
                              "code")
        as_kind = kind or row.kind
        if as_kind not in PAIRABLE:
            raise DomainError("invalid_kind", N_("Unknown device kind %(kind)s"), "kind",
                              kind=as_kind)
        device = accounts.insert_device(  # its token is dropped: the claim makes the real one
            uow, kind=as_kind, name=(name or row.name or "").strip(),
            counter_number=counter_number, hall_id=actor.hall_id, actor=actor, ip=ip)
        uow.conn.execute(update(P).where(P.c.id == pairing_id).values(
            state="approved", hall_id=actor.hall_id, device_id=device["id"], decided_by=actor.id,
            decided_at=uow.now, expires_at=uow.now + CLAIM_TTL))
        audit.record(uow, actor, "approve", "pairing", pairing_id, ip=ip,
                     before={"id": pairing_id, "kind": row.kind, "state": "pending"},
                     after={"id": pairing_id, "kind": as_kind, "state": "approved",
                            "device_id": device["id"], "code": row.code})
        return {"id": pairing_id, "state": "approved",
                "device": {"id": device["id"], "kind": as_kind,
                           "counter_id": device["counter_id"]}}

    return run(ctx, command)


def reject(ctx: Context, actor: Actor, pairing_id: int, ip: str | None = None) -> Result:
    """Turn a request down; its device hears so on its next claim."""
    _require_admin(actor)

    def command(uow: UnitOfWork) -> dict[str, Any]:
        _clean_up(uow)
        row = _pending_row(uow, actor, pairing_id, expired_too=True)
        uow.conn.execute(update(P).where(P.c.id == pairing_id).values(
            state="rejected", hall_id=actor.hall_id, decided_by=actor.id, decided_at=uow.now))
        audit.record(uow, actor, "reject", "pairing", pairing_id, ip=ip,
                     before={"id": pairing_id, "kind": row.kind, "state": "pending"},
                     after={"id": pairing_id, "kind": row.kind, "state": "rejected"})
        return {"id": pairing_id, "state": "rejected"}

    return run(ctx, command)


def claim(ctx: Context, pairing_id: int, secret: str, ip: str | None = None) -> Result:
    """The asking device, with its secret: ``{"state": "pending", …}`` while it waits; once
    approved, its new token (exactly once). Rejected, expired or already claimed requests
    are refused with their own error code."""

    def command(uow: UnitOfWork) -> dict[str, Any]:
        row = uow.conn.execute(select(P).where(
            P.c.id == pairing_id, P.c.claim_hash == accounts.token_digest(secret))).first()
        if row is None:
            raise DomainError("pairing_not_found", N_("No such pairing request; ask again"),
                              "id")
        if row.state == "pending" and row.expires_at > uow.now:
            return {"state": "pending", "expires_at": row.expires_at.isoformat(),
                    "poll_s": POLL_S}
        if row.state == "rejected":
            raise DomainError("pairing_rejected",
                              N_("An administrator turned this device down"), "id")
        if row.state == "claimed":
            raise DomainError("pairing_claimed",
                              N_("This device has already received its token"), "id")
        if row.expires_at <= uow.now:
            raise DomainError("pairing_expired",
                              N_("This pairing code has expired; ask for a new one"), "id")
        return _hand_over(uow, row, ip)

    return run(ctx, command)


def _hand_over(uow: UnitOfWork, row: Any, ip: str | None) -> dict[str, Any]:
    """Approved → claimed, guarded by state so two claims cannot both win; the device's
    token is made now and only its digest kept."""
    won = uow.conn.execute(update(P).where(P.c.id == row.id, P.c.state == "approved")
                           .values(state="claimed").returning(P.c.id)).scalar()
    if won is None:
        raise DomainError("pairing_claimed", N_("This device has already received its token"),
                          "id")
    token = secrets.token_urlsafe(24)
    d = Device.__table__
    device = uow.conn.execute(
        update(d).where(d.c.id == row.device_id, d.c.revoked_at.is_(None))
        .values(token_hash=accounts.token_digest(token))
        .returning(d.c.id, d.c.kind, d.c.hall_id, d.c.counter_id, d.c.name)).first()
    if device is None:  # revoked between approval and claim
        raise DomainError("pairing_rejected", N_("An administrator turned this device down"),
                          "id")
    counter_number = None
    if device.counter_id is not None:
        counter_number = uow.conn.execute(select(Counter.number).where(
            Counter.id == device.counter_id)).scalar()
    who = Actor("device", device.id, device.hall_id, device.kind, device.counter_id, device.name)
    audit.record(uow, who, "claim", "device", device.id, hall_id=device.hall_id, ip=ip,
                 after={"id": device.id, "kind": device.kind, "pairing": row.id,
                        "token": "new"})
    return {"state": "claimed", "token": token, "device_id": device.id, "kind": device.kind,
            "name": device.name, "hall_id": device.hall_id, "counter_id": device.counter_id,
            "counter_number": counter_number}


def _require_admin(actor: Actor) -> None:
    if not (actor.is_staff and actor.role == "admin"):
        raise Forbidden(N_("Your role may not do this"), "authorization")


def _pending_row(uow: UnitOfWork, actor: Actor, pairing_id: int, expired_too: bool = False):
    """The request to decide on, locked; refused unless it still waits for a decision."""
    stmt = select(P).where(P.c.id == pairing_id,
                           (P.c.hall_id.is_(None)) | (P.c.hall_id == actor.hall_id))
    row = uow.conn.execute(stmt.with_for_update()).first()
    if row is None:
        raise DomainError("pairing_not_found", N_("No such pairing request; ask again"), "id")
    if row.state != "pending":
        raise DomainError("pairing_decided", N_("This request has already been decided"),
                          "id")
    if row.expires_at <= uow.now and not expired_too:
        raise DomainError("pairing_expired",
                          N_("This pairing code has expired; ask for a new one"), "id")
    return row


def _new_code(taken: set[str]) -> str:
    while True:
        code = f"{secrets.randbelow(1_000_000):06d}"
        if code not in taken:
            return code


def _one_at_a_time(uow: UnitOfWork) -> None:
    """New requests one after another, so two never draw the same code unseen. SQLite's
    ``BEGIN IMMEDIATE`` already serialises writers; PostgreSQL takes an advisory lock."""
    if uow.conn.dialect.name == "postgresql":
        uow.conn.execute(select(func.pg_advisory_xact_lock(PAIRING_LOCK)))


def _clean_up(uow: UnitOfWork) -> None:
    """Delete requests expired longer than KEEP ago; revoke devices approved but never
    claimed (nobody holds their token)."""
    stale = P.c.expires_at < uow.now - KEEP
    d = Device.__table__
    orphans = uow.conn.execute(select(d.c.id, d.c.hall_id, d.c.kind, d.c.name).where(
        d.c.revoked_at.is_(None), d.c.id.in_(select(P.c.device_id).where(
            stale, P.c.state == "approved")))).all()
    for device in orphans:
        uow.conn.execute(update(d).where(d.c.id == device.id).values(revoked_at=uow.now))
        audit.record(uow, SYSTEM, "revoke", "device", device.id, hall_id=device.hall_id,
                     before={"id": device.id, "kind": device.kind, "revoked_at": None},
                     after={"id": device.id, "kind": device.kind, "revoked_at": uow.now,
                            "reason": "never claimed"})
        uow.emit("device.revoked", device.hall_id, device_id=device.id)
    uow.conn.execute(delete(P).where(stale))
