"""The region's side of configuration down, in the region's database: each publish of the
catalog or the scheme is a new version (``region_publications``), unless the file says
exactly what the latest version says — then that version is sent again, so a publish that
could not reach the broker is repeated by running the same command again."""
from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import insert, select

from hall.services.context import UnitOfWork
from hall.store.models import RegionPublication

P = RegionPublication.__table__


def digest(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def message(row: Any) -> dict[str, Any]:
    """A version as it goes down to the halls."""
    return {"kind": row.kind, "version": row.version, "digest": row.digest,
            "published_at": row.published_at.isoformat(), "body": row.body}


def latest(uow: UnitOfWork, kind: str) -> Any | None:
    return uow.conn.execute(select(P).where(P.c.kind == kind)
                            .order_by(P.c.version.desc()).limit(1)).first()


def publish(uow: UnitOfWork, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """The version to send: a new one for a changed body, else the latest again
    (``new``: whether it was made now)."""
    last, sha = latest(uow, kind), digest(body)
    if last is not None and last.digest == sha:
        return {**message(last), "new": False}
    version = (last.version if last is not None else 0) + 1
    uow.conn.execute(insert(P).values(kind=kind, version=version, digest=sha, body=body,
                                      published_at=uow.now))
    return {**message(latest(uow, kind)), "new": True}
