"""What the hall's admin sees of the region's catalog and scheme (``GET /api/v1/catalog``
and /admin/catalog): per kind, the newest version received and the one adopted; when a newer
one waits, what adopting it would do (fields taken, conflicts, 事项 to add); the open
conflicts, each with the region's value and the hall's; the 事项 of the adopted catalog the
hall may add. Read-only."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hall.domain.access import Actor
from hall.domain.catalog import KINDS
from hall.services.context import Context, UnitOfWork, read
from hall.services.region import adopt, catalog_side, received
from hall.store.models import ConfigConflict

C = ConfigConflict.__table__


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _preview(uow: UnitOfWork, hall_id: int, kind: str) -> dict[str, Any] | None:
    version = adopt.pending(uow, hall_id, kind)
    if version is None:
        return None
    found = adopt.plan(uow, hall_id, kind, version)
    updates, conflicts = [], []
    for entity, merged in found["merges"].items():
        updates += [{"entity": entity, "field": f, "region": v,
                     "local": found["ours"][entity].get(f)} for f, v in merged.updates.items()]
        conflicts += [{"entity": entity, "field": f, "region": t, "local": o}
                      for f, (t, o) in merged.conflicts.items()]
    return {"version": version.version, "published_at": _iso(version.published_at),
            "updates": updates, "conflicts": conflicts, "new_services": found["new"]}


def _conflicts(uow: UnitOfWork, hall_id: int, kind: str) -> list[dict[str, Any]]:
    rows = uow.conn.execute(select(C).where(C.c.hall_id == hall_id, C.c.kind == kind,
                                            C.c.state == "open").order_by(C.c.id))
    return [{"id": r.id, "entity": r.entity, "field": r.field, "version": r.version,
             "region": r.region_value, "local": r.local_value} for r in rows]


def _addable(uow: UnitOfWork, hall_id: int) -> list[dict[str, Any]]:
    last = adopt.adopted(uow, hall_id, "catalog")
    if last is None:
        return []
    have = catalog_side.local_values(uow, hall_id)
    body = received.version_row(uow, "catalog", last.version).body
    return [{k: e.get(k) for k in ("code", "name", "department", "department_name", "kind",
                                   "legal_days", "promised_days")}
            for e in body.get("services", []) if e["code"] not in have]


def _kind(uow: UnitOfWork, hall_id: int, kind: str) -> dict[str, Any]:
    newest, last = received.newest(uow, kind), adopt.adopted(uow, hall_id, kind)
    return {
        "received": newest.version if newest is not None else None,
        "received_at": _iso(newest.received_at) if newest is not None else None,
        "adopted": last.version if last is not None else None,
        "adopted_at": _iso(last.adopted_at) if last is not None else None,
        "pending": _preview(uow, hall_id, kind),
        "conflicts": _conflicts(uow, hall_id, kind),
        "addable": _addable(uow, hall_id) if kind == "catalog" else [],
    }


def status(ctx: Context, *, actor: Actor, hall_id: int | None = None) -> dict[str, Any]:
    adopt.require_admin(actor)
    hall = hall_id if hall_id is not None else actor.hall_id
    return read(ctx, lambda uow: {kind: _kind(uow, hall, kind) for kind in KINDS})
