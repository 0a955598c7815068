"""Staff accounts and device tokens: creation, sign-in with lockout, token lookup.

No default passwords: every password is generated, printed once and stored only as a
scrypt hash. Device tokens are random and stored only as a SHA-256 digest.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from hall.domain.access import DEVICE_ACTIONS, STAFF_ROLES, Actor
from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.store.models import Counter, Device, Hall, Staff

LOCK_AFTER = 5  # failed logins before the account is locked for a while
LOCK_FOR = timedelta(minutes=5)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _hall_id(uow: UnitOfWork, hall_code: str | None) -> int:
    h = Hall.__table__
    stmt = select(h.c.id).order_by(h.c.id)
    if hall_code:
        stmt = stmt.where(h.c.code == hall_code)
    hall_id = uow.conn.execute(stmt).scalars().first()
    if hall_id is None:
        raise DomainError("hall_not_found", N_("No such hall; seed one first"), "hall")
    return hall_id


def add_user(ctx: Context, *, login: str, name: str, role: str = "staff",
             hall_code: str | None = None) -> Result:
    """Create or reset a staff account; the value holds the one-time password."""
    if role not in STAFF_ROLES:
        raise DomainError("invalid_role", N_("Unknown role %(role)s"), "role", role=role)

    def command(uow: UnitOfWork) -> dict[str, Any]:
        password = secrets.token_urlsafe(12)
        t = Staff.__table__
        values = {"name": name, "role": role, "password_hash": generate_password_hash(password),
                  "failed_logins": 0, "locked_until": None, "active": True}
        existing = uow.conn.execute(select(t.c.id).where(t.c.login == login)).scalar_one_or_none()
        if existing is None:
            staff_id = uow.conn.execute(insert(t).values(
                login=login, hall_id=_hall_id(uow, hall_code), **values).returning(t.c.id)
            ).scalar_one()
        else:
            staff_id = existing
            uow.conn.execute(update(t).where(t.c.id == existing).values(**values))
        return {"id": staff_id, "login": login, "role": role, "password": password}

    return run(ctx, command)


def authenticate(ctx: Context, login: str, password: str) -> Actor:
    """Check a password; after LOCK_AFTER failures the account waits LOCK_FOR."""

    def command(uow: UnitOfWork) -> Actor | None:
        t = Staff.__table__
        row = uow.conn.execute(select(t).where(t.c.login == login)).first()
        if row is None or not row.active or not row.password_hash:
            check_password_hash(_DUMMY_HASH, password)  # same time whether or not it exists
            return None
        if row.locked_until and row.locked_until > uow.now:
            raise DomainError("locked", N_("Too many failed attempts; try again later"),
                              "login")
        if not check_password_hash(row.password_hash, password):
            failed = row.failed_logins + 1
            uow.conn.execute(update(t).where(t.c.id == row.id).values(
                failed_logins=failed,
                locked_until=uow.now + LOCK_FOR if failed >= LOCK_AFTER else None))
            return None
        uow.conn.execute(update(t).where(t.c.id == row.id).values(failed_logins=0,
                                                                  locked_until=None))
        return Actor("staff", row.id, row.hall_id, row.role, None, row.name)

    actor = run(ctx, command).value
    if actor is None:
        raise DomainError("bad_credentials", N_("Wrong login or password"), "password")
    return actor


_DUMMY_HASH = generate_password_hash("timing-equaliser")


def staff_actor(ctx: Context, staff_id: int) -> Actor | None:
    """The signed-in staff member as an Actor, with the counter they are at."""

    def query(uow: UnitOfWork) -> Actor | None:
        row = uow.conn.execute(select(Staff.__table__).where(Staff.id == staff_id)).first()
        if row is None or not row.active:
            return None
        counter_id = uow.conn.execute(select(Counter.id).where(Counter.staff_id == staff_id,
                                                                Counter.state != "closed")
                                      ).scalars().first()
        return Actor("staff", row.id, row.hall_id, row.role, counter_id, row.name)

    return read(ctx, query)


def add_device(ctx: Context, *, kind: str, name: str = "", counter_number: int | None = None,
               hall_code: str | None = None, url: str | None = None) -> Result:
    """Register a device; the value holds its token (shown once)."""
    if kind not in DEVICE_ACTIONS:
        raise DomainError("invalid_kind", N_("Unknown device kind %(kind)s"), "kind", kind=kind)
    if kind in ("keypad", "pad") and counter_number is None:
        raise DomainError("counter_required", N_("A %(kind)s must be bound to a counter"),
                          "counter", kind=kind)

    def command(uow: UnitOfWork) -> dict[str, Any]:
        hall_id = _hall_id(uow, hall_code)
        counter_id = None
        if counter_number is not None:
            counter_id = uow.conn.execute(select(Counter.id).where(
                Counter.hall_id == hall_id, Counter.number == counter_number)).scalar_one_or_none()
            if counter_id is None:
                raise DomainError("counter_not_found", N_("No counter %(number)s"), "counter",
                                  number=counter_number)
        token = secrets.token_urlsafe(24)
        device_id = uow.conn.execute(insert(Device).values(
            hall_id=hall_id, kind=kind, name=name or kind, token_hash=token_digest(token),
            counter_id=counter_id, url=url, health={}).returning(Device.id)).scalar_one()
        return {"id": device_id, "kind": kind, "token": token, "counter_id": counter_id,
                "hall_id": hall_id}

    return run(ctx, command)


def device_actor(ctx: Context, token: str) -> Actor | None:
    """The device behind a token. Cached for a second or two (every kiosk request reads it);
    a revocation made in this process applies at once, in another within that time."""
    return ctx.cache.get(("device", token_digest(token)), lambda: _device_actor(ctx, token))


def _device_actor(ctx: Context, token: str) -> Actor | None:
    def query(uow: UnitOfWork) -> Actor | None:
        d = Device.__table__
        row = uow.conn.execute(select(d.c.id, d.c.hall_id, d.c.kind, d.c.counter_id, d.c.name)
                               .where(d.c.token_hash == token_digest(token),
                                      d.c.revoked_at.is_(None))).first()
        if row is None:
            return None
        return Actor("device", row.id, row.hall_id, row.kind, row.counter_id, row.name)

    return read(ctx, query)


def revoke_device(ctx: Context, device_id: int) -> Result:
    def command(uow: UnitOfWork) -> dict[str, Any]:
        uow.conn.execute(update(Device).where(Device.id == device_id).values(revoked_at=uow.now))
        uow.emit("device.revoked", _device_hall(uow, device_id), device_id=device_id)
        return {"id": device_id, "revoked": True}

    result = run(ctx, command)
    ctx.cache.clear()
    return result


def _device_hall(uow: UnitOfWork, device_id: int) -> int:
    hall_id = uow.conn.execute(select(Device.hall_id).where(Device.id == device_id)).scalar()
    if hall_id is None:
        raise DomainError("device_not_found", N_("No such device"), "device")
    return hall_id
