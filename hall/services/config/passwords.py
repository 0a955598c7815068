"""Changing one's own password (issue 15): the only thing a one-time password allows.

The current password is asked for again, and a wrong one counts toward the sign-in lock
of the login and address exactly as a failed sign-in does (``accounts.count_failure``), so a
session left open on a window's PC cannot be used to guess it; while that pair is locked the
change is refused too. The new password must pass the policy (hall/domain/passwords.py);
it is stored as a scrypt hash, the one-time flag clears, and ``auth_version`` moves on:
every other session of the account ends, and the caller re-issues its own session under the
new version. The audit log records that the password changed, never what it was or is.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from hall.domain.access import Actor
from hall.domain.errors import DomainError, Forbidden
from hall.domain.i18n import N_
from hall.domain.passwords import check_new_password
from hall.services.config import accounts, audit, password_hash
from hall.services.context import Context, UnitOfWork, run
from hall.services.counters import signout
from hall.store.models import Staff

ACTION = "change_password"


def change_own_password(ctx: Context, actor: Actor, current: str, new: str, *,
                        ip: str | None = None, session: str | None = None) -> dict[str, Any]:
    """Replace the actor's own password; returns the account's new ``auth_version``
    (``{"id", "auth_version"}``). The live connections of the account's other sessions
    are dropped (all but those of ``session``, the one making the change). Refusals:
    ``wrong_password`` (field ``current``, and counted), ``locked`` (field ``current``), or
    the policy's codes (field ``new``)."""
    if not actor.is_staff or actor.id is None:
        raise Forbidden(N_("Only a signed-in staff member changes their password"),
                        "authorization")

    def command(uow: UnitOfWork) -> dict[str, Any] | None:
        t = Staff.__table__
        row = uow.conn.execute(select(t).where(t.c.id == actor.id).with_for_update()).first()
        if row is None or not row.active or not row.password_hash:
            raise Forbidden(N_("Only a signed-in staff member changes their password"),
                            "authorization")
        key, where = accounts.login_key(row.login), ip or "-"
        accounts.refuse_if_locked(uow, key, where, "current")
        if not password_hash.matches(row.password_hash, current):
            accounts.count_failure(uow, key, where, staff_id=row.id)
            return None  # returned, not raised: the failure must commit
        accounts.forget_failures(uow, key, where)
        check_new_password(new, login=row.login, current=current)
        digest = password_hash.make(new)
        version = uow.conn.execute(update(t).where(t.c.id == row.id).values(
            password_hash=digest, must_change_password=False, failed_logins=0,
            locked_until=None, auth_version=t.c.auth_version + 1,
        ).returning(t.c.auth_version)).scalar_one()
        who = {"id": row.id, "login": row.login, "name": row.name}
        audit.record(uow, actor, ACTION, "staff", row.id, hall_id=row.hall_id, ip=ip,
                     before=who | {"password_hash": row.password_hash,
                                   "must_change_password": bool(row.must_change_password),
                                   "auth_version": row.auth_version},
                     after=who | {"password_hash": digest, "must_change_password": False,
                                  "auth_version": version})
        signout.drop_sockets(uow, row.id, keep=session)
        return {"id": row.id, "auth_version": version}

    done = run(ctx, command).value
    if done is None:
        raise DomainError("wrong_password", N_("The current password is wrong"), "current")
    return done
