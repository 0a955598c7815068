"""Staff accounts as admins manage them: list, create, reset a password, change role, name
or number, deactivate and reactivate, unlock after failed sign-ins.

Passwords an admin gives out are never chosen by people: each is random, returned once (the
admin hands it over), stored only as werkzeug's scrypt hash, exactly as ``accounts.add_user``
does, and one-time: its owner must replace it at first sign-in (``must_change_password``,
hall/services/config/passwords.py).
A reset, a role change or a deactivation bumps ``staff.auth_version``, which ends every
session issued under the old version. An admin cannot demote or deactivate themself, and
the hall's last active admin cannot be demoted or deactivated, so a hall is never left
without someone who can configure it. Every change is audited in its own transaction.
"""
from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import insert, select, update

from hall.domain.access import STAFF_ROLES, Actor
from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.services import repo
from hall.services.config import accounts, audit, password_hash
from hall.services.config.layout.spec import StaffSpec
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.services.counters import signout
from hall.store.models import Department, Staff

ENTITY = "staff"
# what an admin (and the audit log) sees of an account: never the hash
VIEW = ("id", "login", "name", "number", "role", "active", "failed_logins", "locked_until",
        "last_login_at", "auth_version", "must_change_password", "department_id")


def fields(row: Any) -> dict[str, Any]:
    return {k: getattr(row, k) for k in VIEW}


def view(row: Any, now) -> dict[str, Any]:
    """The account as the staff page shows it: ``locked`` while sign-ins from the address
    its failures came from are refused (never from everywhere; an unlock clears them all)."""
    return fields(row) | {"locked": bool(row.locked_until and row.locked_until > now),
                          "has_photo": bool(row.photo)}


def department_id(uow: UnitOfWork, hall_id: int, code: str) -> int:
    """The id of the hall's department ``code`` (every staff member belongs to one)."""
    d = Department.__table__
    found = uow.conn.execute(select(d.c.id).where(d.c.hall_id == hall_id, d.c.code == code)
                             ).scalar()
    if found is None:
        raise DomainError("unknown_department",
                          N_("No department %(department)s in this hall"), "department",
                          department=code)
    return found


def staff_spec(row: Any, department: str | None = None) -> StaffSpec:
    """A ``staff`` row as its layout entry (no secret of any kind); ``department`` is the
    code of its ``department_id``."""
    return StaffSpec(login=row.login, name=row.name, number=row.number or "", role=row.role,
                     active=bool(row.active), department=department)


def new_password() -> tuple[str, str]:
    """(one-time password, its hash): the same generator and hash as accounts.add_user."""
    password = secrets.token_urlsafe(12)
    return password, password_hash.make(password)


def list_staff(ctx: Context, hall_id: int) -> list[dict[str, Any]]:
    def query(uow: UnitOfWork) -> list[dict[str, Any]]:
        t = Staff.__table__
        rows = uow.conn.execute(select(t).where(t.c.hall_id == hall_id).order_by(t.c.id))
        return [view(r, uow.now) for r in rows]

    return read(ctx, query)


def create(ctx: Context, actor: Actor, spec: StaffSpec, *, ip: str | None = None) -> Result:
    """A new account in the actor's hall; the value holds ``password`` (shown once)."""

    def command(uow: UnitOfWork) -> dict[str, Any]:
        t = Staff.__table__
        if uow.conn.execute(select(t.c.id).where(t.c.login == spec.login)).first():
            raise DomainError("login_taken", N_("The login %(login)s is already taken"),
                              "login", login=spec.login)
        password, digest = new_password()
        dept = department_id(uow, actor.hall_id, spec.department) if spec.department else None
        staff_id = uow.conn.execute(insert(t).values(
            hall_id=actor.hall_id, login=spec.login, name=spec.name, number=spec.number,
            role=spec.role, active=spec.active, password_hash=digest, department_id=dept,
            must_change_password=True).returning(t.c.id)
        ).scalar_one()
        row = _row(uow, actor, staff_id)
        audit.record(uow, actor, "create", ENTITY, staff_id,
                     after=fields(row) | {"password_hash": digest}, ip=ip)
        return {"staff": view(row, uow.now), "password": password}

    return run(ctx, command)


def change(ctx: Context, actor: Actor, staff_id: int, *, name: str | None = None,
           number: str | None = None, role: str | None = None,
           department: str | None = None, ip: str | None = None) -> Result:
    """Rename, renumber, change the role or the department (by its code; None leaves a
    field as it is)."""
    if role is not None and role not in STAFF_ROLES:
        raise DomainError("invalid_role", N_("Unknown role %(role)s"), "role", role=role)

    def command(uow: UnitOfWork) -> dict[str, Any]:
        row = _row(uow, actor, staff_id, lock=True)
        dept = department_id(uow, row.hall_id, department) if department else None
        values = {k: v for k, v in (("name", name), ("number", number), ("role", role),
                                    ("department_id", dept))
                  if v is not None and v != getattr(row, k)}
        if "role" in values and row.role == "admin":
            _keep_an_admin(uow, actor, row, N_("You cannot take away your own admin role"))
        if "role" in values:
            values["auth_version"] = row.auth_version + 1
        return _apply(uow, actor, row, values, "update", ip)

    return run(ctx, command)


def reset_password(ctx: Context, actor: Actor, staff_id: int, *,
                   ip: str | None = None) -> Result:
    """A new one-time password; the old one and every open session stop working, a lock
    from failed sign-ins is lifted, and the owner must choose their own at next sign-in."""

    def command(uow: UnitOfWork) -> dict[str, Any]:
        row = _row(uow, actor, staff_id, lock=True)
        password, digest = new_password()
        accounts.forget_failures(uow, accounts.login_key(row.login))  # from every address
        values = {"password_hash": digest, "failed_logins": 0, "locked_until": None,
                  "auth_version": row.auth_version + 1, "must_change_password": True}
        return _apply(uow, actor, row, values, "reset_password", ip) | {"password": password}

    return run(ctx, command)


def set_active(ctx: Context, actor: Actor, staff_id: int, active: bool, *,
               ip: str | None = None) -> Result:
    def command(uow: UnitOfWork) -> dict[str, Any]:
        row = _row(uow, actor, staff_id, lock=True)
        if bool(row.active) == active:
            return {"staff": view(row, uow.now)}
        values: dict[str, Any] = {"active": active}
        if not active:
            if row.role == "admin":
                _keep_an_admin(uow, actor, row, N_("You cannot deactivate your own account"))
            values["auth_version"] = row.auth_version + 1
        return _apply(uow, actor, row, values, "activate" if active else "deactivate", ip)

    return run(ctx, command)


def unlock(ctx: Context, actor: Actor, staff_id: int, *, ip: str | None = None) -> Result:
    """Clear the failed sign-ins and the lock they caused (the password stays)."""

    def command(uow: UnitOfWork) -> dict[str, Any]:
        row = _row(uow, actor, staff_id, lock=True)
        accounts.forget_failures(uow, accounts.login_key(row.login))  # from every address
        if not row.failed_logins and row.locked_until is None:
            return {"staff": view(row, uow.now)}
        return _apply(uow, actor, row, {"failed_logins": 0, "locked_until": None}, "unlock", ip)

    return run(ctx, command)


def _row(uow: UnitOfWork, actor: Actor, staff_id: int, lock: bool = False) -> Any:
    """The account, if it belongs to the actor's hall (another hall's is "not found")."""
    return repo.owned(uow.conn, Staff.__table__, staff_id, actor, what="staff",
                      field="staff_id", lock=lock)


def _apply(uow: UnitOfWork, actor: Actor, row: Any, values: dict[str, Any], action: str,
           ip: str | None) -> dict[str, Any]:
    t = Staff.__table__
    if values:
        uow.conn.execute(update(t).where(t.c.id == row.id).values(**values))
    if "auth_version" in values:  # their sessions end: so does their window
        signout.end_sessions(uow, row.id)
    after = _row(uow, actor, row.id)
    old, new = fields(row), fields(after)
    if "password_hash" in values:  # the log says that the hash changed, never what it is
        old["password_hash"], new["password_hash"] = row.password_hash, values["password_hash"]
    audit.record(uow, actor, action, ENTITY, row.id, before=old, after=new,
                 hall_id=row.hall_id, ip=ip)
    return {"staff": view(after, uow.now)}


def _keep_an_admin(uow: UnitOfWork, actor: Actor, row: Any, self_message: str) -> None:
    """Refuse to demote or deactivate the actor themself or the hall's last active admin.
    The hall's admin rows are locked first, so two admins demoting each other at once
    cannot both succeed."""
    if actor.is_staff and actor.id == row.id:
        raise DomainError("cannot_change_self", self_message, "staff_id")
    if active_admins(uow, row.hall_id, lock=True) - {row.id} == set():
        raise DomainError("last_admin", N_("The hall must keep at least one active admin"),
                          "role")


def active_admins(uow: UnitOfWork, hall_id: int, lock: bool = False) -> set[int]:
    t = Staff.__table__
    stmt = select(t.c.id).where(t.c.hall_id == hall_id, t.c.role == "admin",
                                t.c.active.is_(True))
    return set(uow.conn.execute(stmt.with_for_update() if lock else stmt).scalars())

