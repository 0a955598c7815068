"""The region's tree (市 → 区县 → 乡镇), its halls and its accounts, in the region's
database; what an account may see is its place and everything below (domain/region.py)."""
from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import func, select

from hall.domain import region as rules
from hall.domain.errors import DomainError, NotFound
from hall.domain.i18n import N_
from hall.services.config import password_hash
from hall.services.context import UnitOfWork
from hall.services.region.outgoing import check_uid
from hall.store.models import Region, RegionAccount, RegionEvent, RegionHall, RegionMark


def _place(uow: UnitOfWork, code: str, field: str = "region"):
    row = uow.conn.execute(select(Region).where(Region.code == code)).first()
    if row is None:
        raise NotFound("region", field, place=code)
    return row


def add_place(uow: UnitOfWork, code: str, name: str, level: str,
              parent: str | None = None) -> int:
    parent_row = _place(uow, parent, "parent") if parent else None
    rules.check_child(parent_row.level if parent_row else None, level)
    if uow.conn.execute(select(Region.id).where(Region.code == code)).first():
        raise DomainError("region_exists", N_("Region %(code)s exists already"), "code",
                          code=code)
    return uow.conn.execute(Region.__table__.insert().values(
        code=code, name=name, level=level,
        parent_id=parent_row.id if parent_row else None)).inserted_primary_key[0]


def attach_hall(uow: UnitOfWork, hall_uid: str, place: str, name: str, *,
                board_url: str | None = None, timezone: str | None = None,
                target_wait_s: int | None = None) -> None:
    """The hall shipping as ``hall_uid`` serves ``place`` (moved there if it was elsewhere);
    its own board's address, zone and target wait when given (else kept, or the defaults)."""
    region_id = _place(uow, place).id
    check_uid(hall_uid)
    if timezone is not None:
        check_zone(timezone)
    table = RegionHall.__table__
    given = {k: v for k, v in (("board_url", board_url), ("timezone", timezone),
                               ("target_wait_s", target_wait_s)) if v is not None}
    if uow.conn.execute(select(table.c.hall_uid).where(table.c.hall_uid == hall_uid)).first():
        uow.conn.execute(table.update().where(table.c.hall_uid == hall_uid)
                         .values(region_id=region_id, name=name, **given))
    else:
        uow.conn.execute(table.insert().values(hall_uid=hall_uid, region_id=region_id,
                                               name=name, **given))


def check_zone(name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError("invalid_timezone", N_("Unknown time zone %(zone)s"), "timezone",
                          zone=name) from None


def add_account(uow: UnitOfWork, login: str, name: str, role: str, place: str) -> dict:
    """A region supervisor or admin at ``place``; the one-time password is returned once."""
    if role not in rules.ROLES:
        raise DomainError("invalid_role", N_("Unknown role: %(role)s"), "role", role=role)
    region_id = _place(uow, place).id
    if uow.conn.execute(select(RegionAccount.id).where(RegionAccount.login == login)).first():
        raise DomainError("login_taken", N_("Login %(login)s is taken"), "login", login=login)
    password = secrets.token_urlsafe(12)
    uow.conn.execute(RegionAccount.__table__.insert().values(
        region_id=region_id, login=login, name=name, role=role,
        password_hash=password_hash.make(password), must_change_password=True, active=True))
    return {"login": login, "password": password}


def covered(uow: UnitOfWork, login: str) -> set[str]:
    """The uids of the halls under the account's place (its own place included)."""
    account = uow.conn.execute(select(RegionAccount.region_id).where(
        RegionAccount.login == login, RegionAccount.active.is_(True))).first()
    if account is None:
        raise NotFound("account", "login", login=login)
    parents = dict(uow.conn.execute(select(Region.id, Region.parent_id)).all())
    places = rules.below(parents, account.region_id)
    return set(uow.conn.execute(select(RegionHall.hall_uid)
                                .where(RegionHall.region_id.in_(places))).scalars())


def halls(uow: UnitOfWork, login: str) -> list[dict[str, Any]]:
    """The halls the account sees, each with its place and how far the region has it."""
    uids = covered(uow, login)
    counts = dict(uow.conn.execute(
        select(RegionEvent.hall_uid, func.count()).where(RegionEvent.hall_uid.in_(uids))
        .group_by(RegionEvent.hall_uid)).all())
    rows = uow.conn.execute(
        select(RegionHall.hall_uid, RegionHall.name, Region.code, RegionMark.seq)
        .join(Region, Region.id == RegionHall.region_id)
        .outerjoin(RegionMark, RegionMark.hall_uid == RegionHall.hall_uid)
        .where(RegionHall.hall_uid.in_(uids)).order_by(Region.code, RegionHall.hall_uid)).all()
    return [{"hall": r.hall_uid, "name": r.name, "region": r.code, "seq": r.seq or 0,
             "events": counts.get(r.hall_uid, 0)} for r in rows]


def hall_events(uow: UnitOfWork, login: str, hall_uid: str, after: int = 0,
                limit: int = 100) -> list[dict[str, Any]]:
    """One hall's events as the region has them, for an account the hall is under."""
    rules.require_covered(covered(uow, login), hall_uid)
    rows = uow.conn.execute(select(RegionEvent.seq, RegionEvent.type, RegionEvent.payload)
                            .where(RegionEvent.hall_uid == hall_uid, RegionEvent.seq > after)
                            .order_by(RegionEvent.seq).limit(limit)).all()
    return [{"seq": r.seq, "type": r.type, "payload": r.payload} for r in rows]
