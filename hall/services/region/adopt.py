"""A hall adopts the region's catalog or scheme (DESIGN.md §8, issue 23 item 3).

Adopting the newest version received merges it field by field (hall/domain/catalog.py):
base = the version the hall adopted last, theirs = the new one, ours = the hall's values
now. Fields only the region changed are written (audited, ``config.changed``); fields the
hall changed too are recorded as conflicts (``region_config_conflicts``) and left as the hall
has them until an admin chooses the region's value or keeps the hall's. 事项 of the catalog
the hall has no service for are offered to add (closed, at no window). One transaction per
adoption, one audit entry for it besides those of the fields it wrote.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update

from hall.domain.access import SYSTEM, Actor
from hall.domain.catalog import KINDS, Merge, blank, merge, withheld
from hall.domain.errors import DomainError, Forbidden, NotFound
from hall.domain.i18n import N_
from hall.services import repo
from hall.services.config import audit
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.services.region import catalog_side, received, scheme_side
from hall.store.models import ConfigAdoption, ConfigConflict, Hall

SIDES = {"catalog": catalog_side, "scheme": scheme_side}
A, C = ConfigAdoption.__table__, ConfigConflict.__table__
CHOICES = ("region", "local")


def require_admin(actor: Actor) -> None:
    if not (actor.kind == "system" or (actor.is_staff and actor.role == "admin")):
        raise Forbidden(N_("Only administrators change the hall's configuration"),
                        "authorization")


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise DomainError("invalid_kind", N_("Unknown kind: %(kind)s"), "kind", kind=kind)
    return kind


def adopted(uow: UnitOfWork, hall_id: int, kind: str) -> Any | None:
    return uow.conn.execute(select(A).where(A.c.hall_id == hall_id, A.c.kind == kind)).first()


def pending(uow: UnitOfWork, hall_id: int, kind: str) -> Any | None:
    """The newest version received when the hall has not adopted it yet."""
    newest, last = received.newest(uow, kind), adopted(uow, hall_id, kind)
    if newest is None or (last is not None and last.version >= newest.version):
        return None
    return newest


def plan(uow: UnitOfWork, hall_id: int, kind: str, version: Any) -> dict[str, Any]:
    """What adopting ``version`` would do: each entry's merge, the 事项 the hall lacks,
    and the region's and the hall's values merged."""
    side = SIDES[kind]
    last = adopted(uow, hall_id, kind)
    if last is None:
        base = side.initial_base(uow, hall_id)
    else:
        base = side.region_values(received.version_row(uow, kind, last.version).body)
    theirs, ours = side.region_values(version.body), side.local_values(uow, hall_id)
    merges: dict[str, Merge] = {}
    for entity, values in theirs.items():
        if entity in ours:
            merges[entity] = merge(base.get(entity), values, ours[entity],
                                   side.fields(entity, values))
    return {"merges": merges, "new": [e for e in theirs if e not in ours],
            "theirs": theirs, "ours": ours}


def adopt(ctx: Context, *, actor: Actor, hall_id: int, kind: str) -> Result:
    """Adopt the newest version of ``kind`` received; refused when there is none newer."""
    require_admin(actor)
    _kind(kind)

    def command(uow: UnitOfWork) -> dict[str, Any]:
        version = pending(uow, hall_id, kind)
        if version is None:
            raise DomainError("nothing_to_adopt", N_("Nothing newer to adopt"), "kind")
        found = plan(uow, hall_id, kind, version)
        updated, conflicts = [], {}
        for entity, merged in found["merges"].items():
            if merged.updates:
                try:
                    SIDES[kind].apply(uow, actor, hall_id, entity, merged.updates)
                    updated += [{"entity": entity, "field": f} for f in merged.updates]
                except DomainError:  # together they would break the entry: the admin decides
                    merged = withheld(merged, found["ours"][entity])
            for name, values in merged.conflicts.items():
                conflicts[(entity, name)] = values
        _record_conflicts(uow, hall_id, kind, version.version, conflicts, found)
        _mark_adopted(uow, actor, hall_id, kind, version.version)
        summary = {"kind": kind, "version": version.version, "updated": updated,
                   "conflicts": len(conflicts), "new_services": found["new"]}
        audit.record(uow, actor, "adopt", f"region_{kind}", version.version, after=summary,
                     hall_id=hall_id, whole=True)
        return summary

    result = run(ctx, command)
    ctx.cache.clear()  # services and settings changed: the next ticket reads them anew
    return result


def _mark_adopted(uow: UnitOfWork, actor: Actor, hall_id: int, kind: str, version: int) -> None:
    values = {"version": version, "adopted_at": uow.now, "adopted_by": actor.audit()}
    if adopted(uow, hall_id, kind) is None:
        uow.conn.execute(insert(A).values(hall_id=hall_id, kind=kind, **values))
    else:
        uow.conn.execute(update(A).where(A.c.hall_id == hall_id, A.c.kind == kind)
                         .values(**values))


def _record_conflicts(uow: UnitOfWork, hall_id: int, kind: str, version: int,
                      found: dict[tuple[str, str], tuple[Any, Any]], merged: dict) -> None:
    """The open conflicts after adopting ``version``: the ones found now (an open one on the
    same field takes the new values), and the ones still open from before — with the
    region's value of now, or settled when the two sides agree or the entry is gone."""
    open_rows = {(r.entity, r.field): r for r in uow.conn.execute(
        select(C).where(C.c.hall_id == hall_id, C.c.kind == kind, C.c.state == "open"))}
    theirs, ours = merged["theirs"], merged["ours"]
    for key, row in open_rows.items():
        if key in found:
            continue
        entity, name = key
        t = blank(theirs.get(entity, {}).get(name))
        o = blank(ours.get(entity, {}).get(name))
        if entity not in theirs or entity not in ours or t == o:
            uow.conn.execute(update(C).where(C.c.id == row.id).values(
                state="settled", decided_at=uow.now, decided_by="system"))
        else:
            found[key] = (t, o)
    for (entity, name), (t, o) in found.items():
        values = {"version": version, "region_value": t, "local_value": o}
        row = open_rows.get((entity, name))
        if row is None:
            uow.conn.execute(insert(C).values(hall_id=hall_id, kind=kind, entity=entity,
                                              field=name, state="open", created_at=uow.now,
                                              **values))
        else:
            uow.conn.execute(update(C).where(C.c.id == row.id).values(**values))


def decide(ctx: Context, *, actor: Actor, conflict_id: int, choice: str) -> Result:
    """Take the region's value of one conflict (written like an adoption) or keep the
    hall's; either way the choice is audited and the conflict is closed."""
    require_admin(actor)
    if choice not in CHOICES:
        raise DomainError("invalid_choice", N_("Choose region or local"), "choice")

    def command(uow: UnitOfWork) -> dict[str, Any]:
        row = repo.owned(uow.conn, C, conflict_id, actor, what="conflict",
                         field="conflict_id", lock=True)
        if row.state != "open":
            raise DomainError("conflict_decided", N_("This difference was decided already"),
                              "conflict_id")
        if choice == "region":
            SIDES[row.kind].apply(uow, actor, row.hall_id, row.entity,
                                  {row.field: row.region_value}, action="choose_region")
        uow.conn.execute(update(C).where(C.c.id == row.id).values(
            state=choice, decided_at=uow.now, decided_by=actor.audit()))
        view = {"id": row.id, "kind": row.kind, "entity": row.entity, "field": row.field,
                "region": row.region_value, "local": row.local_value, "choice": choice}
        audit.record(uow, actor, "decide", "region_conflict", row.id, after=view,
                     hall_id=row.hall_id, whole=True)
        return view

    result = run(ctx, command)
    ctx.cache.clear()
    return result


def add_service(ctx: Context, *, actor: Actor, code: str, prefix: str,
                expected_visit_minutes: int = 10, time_limit_minutes: int = 20) -> Result:
    """A 事项 of the catalog the hall adopted, added as a service of the hall: closed, at no
    window, until the admin sets its windows and hours and opens it."""
    require_admin(actor)

    def command(uow: UnitOfWork) -> dict[str, Any]:
        last = adopted(uow, actor.hall_id, "catalog")
        body = received.version_row(uow, "catalog", last.version).body if last else {}
        entry = next((e for e in body.get("services", []) if e["code"] == code), None)
        if entry is None:
            raise NotFound("catalog_entry", "code")
        if code in catalog_side.local_values(uow, actor.hall_id):
            raise DomainError("already_exists", N_("%(value)s is already in use"), "code",
                              value=code)
        new_id = catalog_side.add(uow, actor, actor.hall_id, entry, prefix=prefix,
                                  expected_visit_minutes=expected_visit_minutes,
                                  time_limit_minutes=time_limit_minutes)
        return {"id": new_id, "code": code, "active": False}

    result = run(ctx, command)
    ctx.cache.clear()
    return result


def adopt_everywhere(ctx: Context, kind: str) -> list[dict[str, Any]]:
    """Every hall of this database adopts ``kind``'s newest version, as the system (the
    downlink's ``--adopt``): the merge writes only fields no one changed locally."""

    def halls_behind(uow: UnitOfWork) -> list[int]:
        ids = uow.conn.execute(select(Hall.id).order_by(Hall.id)).scalars().all()
        return [i for i in ids if pending(uow, i, kind) is not None]

    return [adopt(ctx, actor=SYSTEM, hall_id=i, kind=kind).value
            for i in read(ctx, halls_behind)]
