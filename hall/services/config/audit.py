"""The configuration audit log (issue 9): who changed what, when, before and after.

``record`` is called inside the command that makes the change, so the entry commits or
rolls back with it: there is no change without its entry and no entry without its change.
Only the keys that changed are kept (plus ``id``/``code``/``name``/``login``/``number`` so an
entry stays readable after the row is renamed or gone). Secrets never reach the log:
password hashes and token digests are replaced by a marker saying they changed.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from hall.domain.access import Actor
from hall.services.context import Context, UnitOfWork, read
from hall.store.models import AuditEntry

SECRET_KEYS = frozenset({"password_hash", "token_hash", "claim_hash", "password", "token"})
IDENTITY_KEYS = ("id", "code", "name", "login", "number", "kind")
REDACTED = "••••••"


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (REDACTED if k in SECRET_KEYS else _clean(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None
            ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The parts of ``before`` and ``after`` that differ, plus identifying keys."""
    if before is None or after is None:
        return _clean(before), _clean(after)
    keys = [k for k in {**before, **after} if before.get(k) != after.get(k)]
    keep = [k for k in IDENTITY_KEYS if k in before or k in after]
    pick = dict.fromkeys(keep + keys)
    return (_clean({k: before.get(k) for k in pick if k in before}),
            _clean({k: after.get(k) for k in pick if k in after}))


def record(uow: UnitOfWork, actor: Actor, action: str, entity: str,
           entity_id: Any = None, *, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None, hall_id: int | None = None,
           ip: str | None = None, whole: bool = False) -> None:
    """Append one entry in the caller's transaction. ``whole=True`` keeps both sides whole
    (imports, deletions); by default only what changed is kept. An update that changes
    nothing writes nothing."""
    if action == "update" and not whole and before is not None and before == after:
        return
    old, new = (_clean(before), _clean(after)) if whole else changes(before, after)
    uow.conn.execute(insert(AuditEntry).values(
        hall_id=hall_id if hall_id is not None else actor.hall_id, at=uow.now,
        actor=actor.audit(), actor_name=actor.label or "", action=action, entity=entity,
        entity_id=None if entity_id is None else str(entity_id), before=old, after=new,
        ip=ip))


def entries(ctx: Context, hall_id: int, *, entity: str | None = None,
            entity_id: str | None = None, actor: str | None = None,
            since: datetime | None = None, until: datetime | None = None,
            before_id: int | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Newest first; page with ``before_id`` (the last id of the previous page)."""

    def query(uow: UnitOfWork) -> list[dict[str, Any]]:
        a = AuditEntry.__table__
        stmt = select(a).where(a.c.hall_id == hall_id)
        if entity:
            stmt = stmt.where(a.c.entity == entity)
        if entity_id is not None:
            stmt = stmt.where(a.c.entity_id == str(entity_id))
        if actor:
            stmt = stmt.where(a.c.actor == actor)
        if since is not None:
            stmt = stmt.where(a.c.at >= since)
        if until is not None:
            stmt = stmt.where(a.c.at < until)
        if before_id is not None:
            stmt = stmt.where(a.c.id < before_id)
        rows = uow.conn.execute(stmt.order_by(a.c.id.desc()).limit(limit)).mappings().all()
        return [{**row, "at": row["at"].isoformat()} for row in rows]

    return read(ctx, query)
