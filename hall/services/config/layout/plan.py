"""What importing a layout would change, and whether the hall allows it: per section
(hall, departments, services, counters, staff, notices, rota) the entries the file adds,
changes (with before/after of the fields that differ), deactivates (services, counters and
staff it no longer lists; the rota's posts it clears from the weeks it names) and keeps
although missing (departments, which have no active flag, and the importing admin). The
checks run before anything is written, so a dry run reports the same refusals the import
would meet.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from hall.domain.access import Actor
from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.services import repo
from hall.services.config import audit
from hall.services.config.layout.spec import LayoutSpec, RotaSpec, Spec
from hall.services.context import UnitOfWork
from hall.services.staff import rota as rota_posts
from hall.store.models import Counter, Department, Hall, Service, Staff

# section → (table, key column, how an entry is named, can be deactivated)
SECTIONS: dict[str, tuple[Any, str, Callable[[Any], Any], bool]] = {
    "departments": (Department.__table__, "code", lambda s: s.code, False),
    "services": (Service.__table__, "code", lambda s: s.code, True),
    "counters": (Counter.__table__, "number", lambda s: s.number, True),
    "staff": (Staff.__table__, "login", lambda s: s.login, True),
}
ENTITY = {"departments": "department", "services": "service", "counters": "counter",
          "staff": "staff"}


class NoticeList(Spec):
    """All notices as one entry of the plan: they are replaced as a list, in order."""

    texts: list[str]


def plan(uow: UnitOfWork, actor: Actor, spec: LayoutSpec, hall_id: int | None,
         old: LayoutSpec | None) -> dict[str, dict[str, Any]]:
    """Each section's changes (keys and specs, see ``public``); refuses a layout that would
    take away an admin it must not, or a login another hall owns."""
    keep = kept_logins(uow, actor, spec)
    sections = {
        "hall": section([old.hall] if old else [], [spec.hall], lambda h: h.code),
        **{name: section(getattr(old, name) if old else [], getattr(spec, name), key,
                         deactivates=can, keep=keep if name == "staff" else set())
           for name, (_table, _column, key, can) in SECTIONS.items()},
        "notices": section([notice_list(old)] if old else [], [notice_list(spec)],
                           lambda n: "notices"),
        "rota": rota_section(uow, hall_id, spec)}
    check_staff(uow, hall_id, old, spec, sections["staff"])
    return sections


def target_hall(uow: UnitOfWork, actor: Actor, spec: LayoutSpec) -> int | None:
    h = Hall.__table__
    if actor.hall_id is None:
        return uow.conn.execute(select(h.c.id).where(h.c.code == spec.hall.code)).scalar()
    code = repo.hall_row(uow.conn, actor.hall_id).code
    if spec.hall.code != code:
        raise DomainError("hall_mismatch", N_("This layout is for hall %(file)s, not %(hall)s"),
                          "toml", file=spec.hall.code, hall=code)
    return actor.hall_id


def kept_logins(uow: UnitOfWork, actor: Actor, spec: LayoutSpec) -> set[str]:
    """The importing admin stays, listed or not: a file from before their account was made
    must not lock them out. Listed, it may not demote or deactivate them."""
    if not actor.is_staff:
        return set()
    login = uow.conn.execute(select(Staff.login).where(Staff.id == actor.id)).scalar()
    mine = next((s for s in spec.staff if s.login == login), None)
    if mine is not None and (mine.role != "admin" or not mine.active):
        raise DomainError("cannot_change_self",
                          N_("The file would demote or deactivate your own account"), "toml")
    return {login} if mine is None and login else set()


def check_staff(uow: UnitOfWork, hall_id: int | None, old: LayoutSpec | None,
                spec: LayoutSpec, staff: dict[str, Any]) -> None:
    """A login belongs to one hall; the hall keeps an active admin if it had one."""
    st = Staff.__table__
    stmt = select(st.c.login).where(st.c.login.in_([s.login for s in spec.staff]))
    if hall_id is not None:
        stmt = stmt.where(st.c.hall_id != hall_id)
    elsewhere = uow.conn.execute(stmt).scalars().first()
    if elsewhere:
        raise DomainError("login_taken", N_("The login %(login)s is already taken"), "toml",
                          login=elsewhere)
    admins_before = {s.login for s in (old.staff if old else []) if s.role == "admin" and s.active}
    admins_after = ({s.login for s in spec.staff if s.role == "admin" and s.active}
                    | (admins_before & set(staff["kept"])))
    if admins_before and not admins_after:
        raise DomainError("last_admin", N_("The hall must keep at least one active admin"),
                          "toml")


def rota_section(uow: UnitOfWork, hall_id: int | None, spec: LayoutSpec) -> dict[str, Any]:
    """The posts of the weeks the file names, before and after: a post the file no longer
    lists there is cleared ("deactivated"); other weeks are not touched, nor listed."""
    before = []
    if hall_id is not None:
        for monday in sorted({rota_posts.monday_of(p.day) for p in spec.rota}):
            before += rota_from(uow, hall_id, monday, monday + timedelta(days=6))
    out = section(before, spec.rota, lambda p: f"{p.day.isoformat()} {p.shift} {p.counter} "
                                               f"{p.post}")
    out["deactivated"], out["kept"] = out["kept"], []
    return out


def rota_from(uow: UnitOfWork, hall_id: int, start: date, end: date) -> list[RotaSpec]:
    """The rota's posts of [start, end] as layout entries."""
    return [RotaSpec(counter=r.counter, day=r.day, shift=r.shift, post=r.post, login=r.login)
            for r in rota_posts.entries(uow, hall_id, start, end)]


def notice_list(spec: LayoutSpec) -> NoticeList:
    return NoticeList(texts=[n.text for n in spec.notices])


def section(old: list[Any], new: list[Any], key: Callable[[Any], Any],
             deactivates: bool = False, keep: set[Any] = frozenset()) -> dict[str, Any]:
    before = {key(s): s for s in old}
    after = {key(s): s for s in new}
    section: dict[str, Any] = {"added": [], "changed": [], "deactivated": [], "kept": [],
                               "unchanged": 0, "old": before, "new": after}
    for k, s in after.items():
        if k not in before:
            section["added"].append(k)
        elif comparable(before[k]) != comparable(s):
            section["changed"].append(k)
        else:
            section["unchanged"] += 1
    for k, s in before.items():
        if k in after:
            continue
        if deactivates and s.active and k not in keep:
            section["deactivated"].append(k)
        elif not deactivates or k in keep:
            section["kept"].append(k)
        else:
            section["unchanged"] += 1  # already inactive
    return section


def comparable(spec: Any) -> dict[str, Any]:
    """A spec as compared: a counter's services as a set (their order is not stored)."""
    data = spec.model_dump(mode="json")
    if isinstance(data.get("services"), list):
        data["services"] = sorted(data["services"], key=lambda link: link["service"])
    return data


def public(section: dict[str, Any]) -> dict[str, Any]:
    """What a person reads in the preview: keys as text, changes as before/after of the
    fields that differ."""
    old, new = section["old"], section["new"]
    return {"added": [str(k) for k in section["added"]],
            "changed": [{"key": str(k), **dict(zip(("before", "after"), audit.changes(
                comparable(old[k]), comparable(new[k])), strict=True))}
                        for k in section["changed"]],
            "deactivated": [str(k) for k in section["deactivated"]],
            "kept": [str(k) for k in section["kept"]],
            "unchanged": section["unchanged"]}


