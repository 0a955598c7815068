"""Staff accounts and device tokens: creation, sign-in with lockout, token lookup.

Wrong passwords lock the pair (login name, address) they came from, with backoff — never
the account for everyone, so nobody can lock another person out — and an unknown login, a
deactivated account and a wrong password answer alike (same refusal, same count and lock,
one scrypt check each).

No default passwords: every password is generated, printed once and stored only as a
scrypt hash; a generated password is a one-time password (``must_change_password``) that
its owner replaces at first sign-in (hall/services/config/passwords.py). Device tokens are
random and stored only as a SHA-256 digest.
"""
from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from hall.domain.access import COUNTER_BOUND, DEVICE_ACTIONS, STAFF_ROLES, SYSTEM, Actor
from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.services import repo
from hall.services.config import audit, password_hash
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.services.counters import signout
from hall.store.models import Counter, Device, Hall, SignInFailure, Staff

LOCK_AFTER = 5  # failed sign-ins in a row (one login, one address) before that pair locks
LOCK_FOR = timedelta(minutes=5)  # the first lock; each further one doubles …
LOCK_MAX = timedelta(hours=1)  # … up to this
FORGET_AFTER = timedelta(days=1)  # a pair's count, this long after its last failure
F = SignInFailure.__table__


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
             hall_code: str | None = None, one_time: bool = False) -> Result:
    """Create or reset a staff account; the value holds the generated password. A reset
    also ends every session of the account (its ``auth_version`` moves on). ``one_time``
    (``hall user add``) makes its owner replace it at first sign-in; without it the account
    is ready to use as it is (demo halls, tests, benchmarks)."""
    if role not in STAFF_ROLES:
        raise DomainError("invalid_role", N_("Unknown role %(role)s"), "role", role=role)

    def command(uow: UnitOfWork) -> dict[str, Any]:
        password = secrets.token_urlsafe(12)
        t = Staff.__table__
        values = {"name": name, "role": role, "password_hash": password_hash.make(password),
                  "failed_logins": 0, "locked_until": None, "active": True,
                  "must_change_password": one_time}
        existing = uow.conn.execute(select(t.c.id).where(t.c.login == login)).scalar_one_or_none()
        if existing is None:
            staff_id = uow.conn.execute(insert(t).values(
                login=login, hall_id=_hall_id(uow, hall_code), **values).returning(t.c.id)
            ).scalar_one()
        else:
            staff_id = existing
            uow.conn.execute(update(t).where(t.c.id == existing).values(
                auth_version=t.c.auth_version + 1, **values))
            signout.end_sessions(uow, existing)
        return {"id": staff_id, "login": login, "role": role, "password": password}

    return run(ctx, command)


def ensure_admins(ctx: Context) -> Result:
    """First run: each hall without an active admin who can sign in (a layout may list
    admins, but never their passwords) gets one, with a random password that the caller
    prints once: there is no default password. The value lists the accounts made (``hall``,
    ``login``, ``password``); it is empty once every hall has such an admin."""

    def command(uow: UnitOfWork) -> list[dict[str, Any]]:
        h, t = Hall.__table__, Staff.__table__
        # locking the halls serialises two servers making their first start together
        halls = uow.conn.execute(select(h.c.id, h.c.code).order_by(h.c.id).with_for_update())
        made = []
        for hall in halls.all():
            if uow.conn.execute(select(t.c.id).where(
                    t.c.hall_id == hall.id, t.c.role == "admin", t.c.active.is_(True),
                    t.c.password_hash.is_not(None))).first():
                continue
            login = _free_login(uow, f"admin-{hall.code}")
            password = secrets.token_urlsafe(12)
            row = {"login": login, "name": "管理员", "role": "admin", "active": True,
                   "must_change_password": True}
            staff_id = uow.conn.execute(insert(t).values(
                hall_id=hall.id, password_hash=password_hash.make(password), **row
            ).returning(t.c.id)).scalar_one()
            audit.record(uow, SYSTEM, "create", "staff", staff_id, after={"id": staff_id, **row},
                         hall_id=hall.id)
            made.append({"hall": hall.code, "login": login, "password": password})
        return made

    return run(ctx, command)


def _free_login(uow: UnitOfWork, fallback: str) -> str:
    """``admin`` if nobody has it, else the hall's own ``admin-<code>`` (numbered if need
    be): an existing account is never taken over."""
    t = Staff.__table__
    taken = set(uow.conn.execute(select(t.c.login).where(t.c.login.like("admin%"))).scalars())
    for login in ("admin", fallback, *(f"{fallback}-{n}" for n in range(2, 1000))):
        if login not in taken:
            return login
    raise DomainError("login_taken", N_("The login %(login)s is already taken"), "login",
                      login=fallback)


@dataclass(frozen=True)
class SignIn:
    """A successful sign-in: who, and the ``auth_version`` their session is bound to."""

    actor: Actor
    auth_version: int


def sign_in(ctx: Context, login: str, password: str, address: str | None = None) -> SignIn:
    """Check a password against its werkzeug scrypt hash (memory-hard; never stored in
    clear). LOCK_AFTER failures in a row of one login name from one ``address`` lock that
    pair for LOCK_FOR, and every further LOCK_AFTER for twice as long as the time before, up
    to LOCK_MAX; while it is locked even the right password is refused there, so guessing
    gains nothing, but the account's owner signs in from anywhere else. Whether the login
    exists or not, the answer, the count and the time taken are the same. A success clears
    the pair's count, stamps ``last_login_at`` and re-hashes a password kept under older
    hash parameters."""
    key, where = login_key(login), address or "-"

    def command(uow: UnitOfWork) -> SignIn | None:
        t = Staff.__table__
        refuse_if_locked(uow, key, where)
        row = uow.conn.execute(select(t).where(t.c.login == login)).first()
        if row is None or not row.active or not row.password_hash:
            password_hash.check_nobody(password)  # same time whether or not it exists
            count_failure(uow, key, where)
            return None
        if not password_hash.matches(row.password_hash, password):
            count_failure(uow, key, where, staff_id=row.id)
            return None
        forget_failures(uow, key, where)
        values: dict[str, Any] = {"failed_logins": 0, "locked_until": None,
                                  "last_login_at": uow.now}
        if not password_hash.is_current(row.password_hash):
            values["password_hash"] = password_hash.make(password)
        uow.conn.execute(update(t).where(t.c.id == row.id).values(**values))
        return SignIn(Actor("staff", row.id, row.hall_id, row.role, None, row.name,
                            bool(row.must_change_password)), row.auth_version)

    done = run(ctx, command).value
    if done is None:
        raise DomainError("bad_credentials", N_("Wrong login or password"), "password")
    return done


def authenticate(ctx: Context, login: str, password: str) -> Actor:
    """The staff member behind a login and password (see ``sign_in``)."""
    return sign_in(ctx, login, password).actor


def login_key(login: str) -> str:
    """What failures are counted under: the login name as typed, folded."""
    return login.strip().lower()[:64]


def refuse_if_locked(uow: UnitOfWork, key: str, address: str, field: str = "login") -> None:
    until = uow.conn.execute(select(F.c.locked_until).where(
        F.c.login == key, F.c.address == address)).scalar()
    if until is not None and until > uow.now:
        raise locked(until - uow.now, field)


def count_failure(uow: UnitOfWork, key: str, address: str, staff_id: int | None = None
                  ) -> None:
    """One more wrong password for login ``key`` from ``address`` (at sign-in, or when
    changing one's own): every LOCK_AFTER-th in a row locks that pair for ``lock_time``.
    The account's own count (``failed_logins``, shown to admins) grows too, but locks
    nothing. The caller returns instead of raising, so that the count commits."""
    ins = (postgresql if uow.conn.dialect.name == "postgresql" else sqlite).insert(F)
    failed = uow.conn.execute(  # counted in SQL: two guesses at once both count
        ins.values(login=key, address=address[:64], failures=1, last_at=uow.now)
        .on_conflict_do_update(index_elements=["login", "address"],
                               set_={"failures": F.c.failures + 1, "last_at": uow.now})
        .returning(F.c.failures)).scalar_one()
    until = uow.now + lock_time(failed) if failed % LOCK_AFTER == 0 else None
    if until is not None:
        uow.conn.execute(update(F).where(F.c.login == key, F.c.address == address[:64])
                         .values(locked_until=until))
    if staff_id is not None:  # what admins see (locked somewhere until); it refuses nothing
        t = Staff.__table__
        uow.conn.execute(update(t).where(t.c.id == staff_id).values(
            failed_logins=t.c.failed_logins + 1,
            **({"locked_until": until} if until is not None else {})))
    uow.conn.execute(delete(F).where(F.c.last_at < uow.now - FORGET_AFTER))


def forget_failures(uow: UnitOfWork, key: str, address: str | None = None) -> None:
    """A success (or an admin's unlock, for every address): the count starts again."""
    stmt = delete(F).where(F.c.login == key)
    if address is not None:
        stmt = stmt.where(F.c.address == address[:64])
    uow.conn.execute(stmt)


def lock_time(failed: int) -> timedelta:
    """How long the lock that ``failed`` failures in a row set lasts: doubling, capped."""
    doublings = min(failed // LOCK_AFTER - 1, 16)
    return min(LOCK_FOR * 2 ** max(doublings, 0), LOCK_MAX)


def locked(remaining: timedelta, field: str = "login") -> DomainError:
    minutes = max(1, math.ceil(remaining.total_seconds() / 60))
    return DomainError("locked", N_("Too many failed attempts: signing in is locked for "
                                    "%(minutes)s more minutes"), field, minutes=minutes)


def staff_actor(ctx: Context, staff_id: int, auth_version: int | None = None
                ) -> Actor | None:
    """The signed-in staff member as an Actor, with the counter they are at. None for an
    unknown or inactive account, and for a session whose ``auth_version`` is no longer the
    account's: a password reset, role change, deactivation or "sign out everywhere" moved
    it on. ``auth_version=None`` skips that check, for in-process callers that hold no
    session (command line, benchmarks); sessions go through ``hall.web.auth``."""

    def query(uow: UnitOfWork) -> Actor | None:
        row = uow.conn.execute(select(Staff.__table__).where(Staff.id == staff_id)).first()
        if row is None or not row.active:
            return None
        if auth_version is not None and row.auth_version != auth_version:
            return None
        counter_id = uow.conn.execute(select(Counter.id).where(Counter.staff_id == staff_id,
                                                                Counter.state != "closed")
                                      ).scalars().first()
        return Actor("staff", row.id, row.hall_id, row.role, counter_id, row.name,
                     bool(row.must_change_password))

    return read(ctx, query)


def sign_out_everywhere(ctx: Context, staff_id: int) -> Result:
    """End every session of the account, on every device, by moving its version on; its
    window closes as for any session that ends by itself (counters/signout.py)."""

    def command(uow: UnitOfWork) -> dict[str, Any]:
        t = Staff.__table__
        version = uow.conn.execute(update(t).where(t.c.id == staff_id).values(
            auth_version=t.c.auth_version + 1).returning(t.c.auth_version)).scalar_one()
        closed = signout.end_sessions(uow, staff_id)
        return {"id": staff_id, "auth_version": version, "closed": closed}

    return run(ctx, command)


def add_device(ctx: Context, *, kind: str, name: str = "", counter_number: int | None = None,
               hall_code: str | None = None, url: str | None = None,
               actor: Actor = SYSTEM) -> Result:
    """Register a device; the value holds its token (shown once)."""

    def command(uow: UnitOfWork) -> dict[str, Any]:
        return insert_device(uow, kind=kind, name=name, counter_number=counter_number,
                             hall_id=_hall_id(uow, hall_code), url=url, actor=actor)

    return run(ctx, command)


def insert_device(uow: UnitOfWork, *, kind: str, name: str, counter_number: int | None,
                  hall_id: int, url: str | None = None, actor: Actor = SYSTEM,
                  ip: str | None = None) -> dict[str, Any]:
    """``add_device`` inside the caller's transaction (a pairing approval is one): checks
    the kind and the counter, keeps only the token's digest, writes the audit entry."""
    if kind not in DEVICE_ACTIONS:
        raise DomainError("invalid_kind", N_("Unknown device kind %(kind)s"), "kind", kind=kind)
    if kind in COUNTER_BOUND and counter_number is None:
        raise DomainError("counter_required", N_("A %(kind)s must be bound to a counter"),
                          "counter", kind=kind)
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
    audit.record(uow, actor, "create", "device", device_id, hall_id=hall_id, ip=ip,
                 after={"id": device_id, "kind": kind, "name": name or kind,
                        "counter": counter_number, "url": url})
    return {"id": device_id, "kind": kind, "token": token, "counter_id": counter_id,
            "hall_id": hall_id}


def device_actor(ctx: Context, token: str, *, cached: bool = True) -> Actor | None:
    """The device behind a token. Cached for a second or two (every kiosk request reads it);
    a revocation clears the cache of every server process as its event arrives there
    (hall/realtime/live.py). ``cached=False`` for the rare checks that must see this instant's row
    (a socket connecting)."""
    if not cached:
        return _device_actor(ctx, token)
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


def revoke_device(ctx: Context, device_id: int, *, actor: Actor = SYSTEM,
                  ip: str | None = None) -> Result:
    """Revoke a device's token: its requests are refused from now on and its ``device.revoked``
    event drops its live connections in every server process (hall/realtime/live.py). Revoking a
    revoked device changes nothing. Staff may revoke only their own hall's devices."""

    def command(uow: UnitOfWork) -> dict[str, Any]:
        row = repo.owned(uow.conn, Device.__table__, device_id, actor, what="device",
                         field="device")
        if row.revoked_at is not None:
            return {"id": device_id, "revoked": True, "revoked_at": row.revoked_at.isoformat()}
        uow.conn.execute(update(Device).where(Device.id == device_id).values(revoked_at=uow.now))
        audit.record(uow, actor, "revoke", "device", device_id, hall_id=row.hall_id, ip=ip,
                     before={"id": device_id, "kind": row.kind, "name": row.name,
                             "revoked_at": None},
                     after={"id": device_id, "kind": row.kind, "name": row.name,
                            "revoked_at": uow.now})
        uow.emit("device.revoked", row.hall_id, device_id=device_id)
        return {"id": device_id, "revoked": True, "revoked_at": uow.now.isoformat()}

    result = run(ctx, command)
    ctx.cache.clear()
    return result
