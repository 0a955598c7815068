"""The hall's side of configuration down, in the hall's database: the versions of the
region's catalog and scheme the downlink received (``region_config_versions``), kept as
they came — pending until a hall adopts one, then the base of the next merge. Receiving
is idempotent: a version already here is left as it is."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from hall.domain.catalog import KINDS
from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.services.context import UnitOfWork
from hall.services.region.catalog_file import parse
from hall.services.region.published import digest
from hall.store.models import ConfigVersion

V = ConfigVersion.__table__


def receive(uow: UnitOfWork, message: dict[str, Any]) -> bool:
    """Keep ``message`` (a version as ``published.message`` sends it); True when new here.
    A message that is not a well-formed version is refused whole."""
    kind, version = message.get("kind"), message.get("version")
    if kind not in KINDS or not isinstance(version, int) or version < 1:
        raise DomainError("invalid_version", N_("Not a version of the region's catalog or "
                                                "scheme"), "kind")
    if version_row(uow, kind, version) is not None:
        return False
    body = parse(kind, message["body"])  # checked again: a hall trusts no broker blindly
    uow.conn.execute(insert(V).values(
        kind=kind, version=version, digest=digest(body), body=body,
        published_at=datetime.fromisoformat(message["published_at"]), received_at=uow.now))
    return True


def version_row(uow: UnitOfWork, kind: str, version: int) -> Any | None:
    return uow.conn.execute(select(V).where(V.c.kind == kind, V.c.version == version)).first()


def newest(uow: UnitOfWork, kind: str) -> Any | None:
    return uow.conn.execute(select(V).where(V.c.kind == kind)
                            .order_by(V.c.version.desc()).limit(1)).first()
