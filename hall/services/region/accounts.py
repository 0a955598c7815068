"""Region accounts signing in to the region's pages, with the hall's password rules: a
scrypt hash (werkzeug), the lock of a (login, address) pair after repeated failures
(hall/services/config/accounts.py, counted under ``region:<login>``), a one-time password
replaced at first sign-in under the policy of hall/domain/passwords.py, and an
``auth_version`` that moves on at a change, ending every other session."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.domain.passwords import check_new_password
from hall.services.config import accounts, password_hash
from hall.services.context import Context, UnitOfWork, read, run
from hall.store.models import Region, RegionAccount


@dataclass(frozen=True)
class Account:
    id: int
    login: str
    name: str
    role: str
    place: str  # the name of the place the account's rights cover (and below)
    must_change_password: bool
    auth_version: int


def _key(login: str) -> str:
    return "region:" + accounts.login_key(login)


def _account(uow: UnitOfWork, where) -> Account | None:
    a, r = RegionAccount.__table__, Region.__table__
    row = uow.conn.execute(select(a, r.c.name.label("place")).join(r, r.c.id == a.c.region_id)
                           .where(where, a.c.active.is_(True))).first()
    if row is None:
        return None
    return Account(row.id, row.login, row.name, row.role, row.place,
                   bool(row.must_change_password), row.auth_version)


def sign_in(ctx: Context, login: str, password: str, address: str | None = None) -> Account:
    """The account behind a login and password; ``bad_credentials`` (field ``password``)
    alike for an unknown login and a wrong password, ``locked`` while the pair is locked."""
    key, where = _key(login), address or "-"

    def command(uow: UnitOfWork) -> Account | None:
        accounts.refuse_if_locked(uow, key, where)
        a = RegionAccount.__table__
        row = uow.conn.execute(select(a.c.id, a.c.password_hash).where(
            a.c.login == login, a.c.active.is_(True))).first()
        if row is None:
            password_hash.check_nobody(password)  # same time either way
        if row is None or not password_hash.matches(row.password_hash, password):
            accounts.count_failure(uow, key, where)
            return None  # returned, not raised: the count must commit
        accounts.forget_failures(uow, key, where)
        return _account(uow, a.c.id == row.id)

    done = run(ctx, command).value
    if done is None:
        raise DomainError("bad_credentials", N_("Wrong login or password"), "password")
    return done


def account(ctx: Context, account_id: int, auth_version: int) -> Account | None:
    """The signed-in account of a session, None once its version moved on or it left."""
    found = read(ctx, lambda uow: _account(uow, RegionAccount.__table__.c.id == account_id))
    return found if found is not None and found.auth_version == auth_version else None


def change_password(ctx: Context, account_id: int, current: str, new: str,
                    address: str | None = None) -> int:
    """Replace the account's password; its new ``auth_version``. Refusals as the hall's:
    ``wrong_password`` / ``locked`` (field ``current``), the policy's (field ``new``)."""
    def command(uow: UnitOfWork) -> int | None:
        a = RegionAccount.__table__
        row = uow.conn.execute(select(a).where(a.c.id == account_id)).one()
        key, where = _key(row.login), address or "-"
        accounts.refuse_if_locked(uow, key, where, "current")
        if not password_hash.matches(row.password_hash, current):
            accounts.count_failure(uow, key, where)
            return None
        accounts.forget_failures(uow, key, where)
        check_new_password(new, login=row.login, current=current)
        return uow.conn.execute(update(a).where(a.c.id == row.id).values(
            password_hash=password_hash.make(new), must_change_password=False,
            auth_version=a.c.auth_version + 1).returning(a.c.auth_version)).scalar_one()

    done = run(ctx, command).value
    if done is None:
        raise DomainError("wrong_password", N_("The current password is wrong"), "current")
    return done
