"""The catalog's side of an adoption: the hall's services by 事项 code, each as the fields
the region's catalog speaks for (hall/domain/catalog.CATALOG_FIELDS), and writing those
fields — and only those: a hall's windows, hours, quotas and prefixes are its own.

A write is checked as the whole service (the layout's ``ServiceSpec``), audited with the
service before and after, and announced as ``config.changed`` like an admin's edit.
"""
from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, insert, select, update

from hall.domain.access import Actor
from hall.domain.catalog import CATALOG_FIELDS, blank
from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.services.config import audit
from hall.services.config.layout.rows import GUIDE_KEYS, service_row, service_spec
from hall.services.config.layout.spec import ServiceSpec
from hall.services.context import UnitOfWork
from hall.store.models import Department, Service

S, D = Service.__table__, Department.__table__
COLUMNS = ("name", "name_en", "kind", "legal_days", "promised_days")
EVENT = "config.changed"


def fields(_entity: str, _theirs: dict[str, Any]) -> tuple[str, ...]:
    return tuple(CATALOG_FIELDS)


def region_values(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The catalog's entries by code, each with every catalog field (missing: none)."""
    return {e["code"]: {f: blank(e.get(f)) for f in CATALOG_FIELDS}
            for e in body.get("services", [])}


def initial_base(_uow: UnitOfWork, _hall_id: int) -> dict[str, dict[str, Any]]:
    """No base before the first adoption: a hall's services were its own, so whatever
    differs from the catalog is asked about."""
    return {}


def _values(row: Any) -> dict[str, Any]:
    guide = row.guide or {}
    return {**{c: blank(getattr(row, c)) for c in COLUMNS},
            **{k: blank(guide.get(k)) for k in CATALOG_FIELDS if k not in COLUMNS}}


def local_values(uow: UnitOfWork, hall_id: int) -> dict[str, dict[str, Any]]:
    """The hall's services by code, as the catalog's fields."""
    return {r.code: _values(r) for r in uow.conn.execute(select(S).where(S.c.hall_id == hall_id))}


def _row(uow: UnitOfWork, hall_id: int, code: str) -> Any:
    stmt = (select(S, D.c.code.label("department_code")).join(D, D.c.id == S.c.department_id)
            .where(S.c.hall_id == hall_id, S.c.code == code))
    if uow.conn.dialect.name == "postgresql":  # an admin saving the same service waits
        stmt = stmt.with_for_update(of=S)
    row = uow.conn.execute(stmt).first()
    if row is None:
        raise DomainError("service_not_found", N_("No such service: %(service)s"), "service",
                          service=code)
    return row


def _checked(data: dict[str, Any]) -> ServiceSpec:
    try:
        return ServiceSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "service"
        raise DomainError("invalid_service", N_("The service would not be valid: %(problem)s"),
                          where, problem=first["msg"].removeprefix("Value error, ")) from None


def apply(uow: UnitOfWork, actor: Actor, hall_id: int, code: str, values: dict[str, Any],
          action: str = "adopt") -> None:
    """Set the catalog ``values`` of the service ``code``; nothing else of it changes."""
    row = _row(uow, hall_id, code)
    before = service_spec(row, row.department_code)
    after = _checked({**before.model_dump(), **values})
    guide = {k: v for k, v in (row.guide or {}).items()}
    for key in GUIDE_KEYS:
        if key in values:
            if values[key] is None:
                guide.pop(key, None)
            else:
                guide[key] = values[key]
    columns = {c: getattr(after, c) for c in COLUMNS if c in values}
    uow.conn.execute(update(S).where(S.c.id == row.id).values(guide=guide, **columns))
    audit.record(uow, actor, action, "service", code, before=before.model_dump(),
                 after=after.model_dump(), hall_id=hall_id)
    uow.emit(EVENT, hall_id, entity="service", id=row.id)


def add(uow: UnitOfWork, actor: Actor, hall_id: int, entry: dict[str, Any], *, prefix: str,
        expected_visit_minutes: int, time_limit_minutes: int) -> int:
    """The catalog's ``entry`` as a new service of the hall, closed (inactive, at no window)
    until the admin gives it windows and hours and opens it; its department is the hall's
    of the same code, made from the catalog when the hall has none."""
    department_id = uow.conn.execute(select(D.c.id).where(
        D.c.hall_id == hall_id, D.c.code == entry["department"])).scalar()
    if department_id is None:
        sort = uow.conn.execute(select(func.count()).where(D.c.hall_id == hall_id)).scalar()
        department_id = uow.conn.execute(insert(D).values(
            hall_id=hall_id, code=entry["department"], sort=sort,
            name=entry.get("department_name") or entry["department"], name_en="")
            .returning(D.c.id)).scalar_one()
    spec = _checked({**{k: v for k, v in entry.items() if k != "department_name"},
                     "prefix": prefix, "expected_visit_minutes": expected_visit_minutes,
                     "time_limit_minutes": time_limit_minutes, "active": False})
    sort = uow.conn.execute(select(func.max(S.c.sort)).where(S.c.hall_id == hall_id)).scalar()
    new_id = uow.conn.execute(insert(S).values(
        hall_id=hall_id, sort=0 if sort is None else sort + 1,
        **service_row(spec, department_id)).returning(S.c.id)).scalar_one()
    audit.record(uow, actor, "create", "service", spec.code, after=spec.model_dump(),
                 hall_id=hall_id)
    uow.emit(EVENT, hall_id, entity="service", id=new_id)
    return new_id
