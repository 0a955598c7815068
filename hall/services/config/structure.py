"""Configuring a hall from the admin console: departments, services with their guides, and
counters with the services each serves (issue 9).

Requests are the layout file's own specs (``layout_spec``), converted to rows by
``layout_rows`` like ``hall seed`` does, so the console, the seed file and the export agree
on every field. Each change is one command that writes the row, its audit entry (before and
after, in the layout's shape) and a ``config.changed`` event ``{"entity", "id"}`` (the row
id) so kiosks and screens reload; afterwards this process's cache is cleared, so the next
ticket and the next call already see the change (other processes within the cache's TTL).

Services and counters are never deleted — tickets, cases and reports point at them — only
deactivated. A department can be deleted once no service belongs to it.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from hall.domain import chains
from hall.domain.access import Actor
from hall.domain.errors import DomainError, Forbidden, NotFound
from hall.domain.i18n import N_
from hall.domain.lifecycle import AT_COUNTER_STATES
from hall.services import repo
from hall.services.config import audit
from hall.services.config.layout.rows import (
    counter_links,
    counter_row,
    counter_spec,
    department_row,
    department_spec,
    service_row,
    service_spec,
)
from hall.services.config.layout.spec import CounterSpec, DepartmentSpec, ServiceSpec
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.services.counters.state import switch_state as switch_counter_state
from hall.store.models import Counter, CounterService, Department, Service

D, S, C, CS = (Department.__table__, Service.__table__, Counter.__table__,
               CounterService.__table__)
EVENT = "config.changed"


def _require_admin(actor: Actor) -> None:
    if not (actor.is_staff and actor.role == "admin"):
        raise Forbidden(N_("Only administrators change the hall's configuration"),
                        "authorization")


def _change(ctx: Context, actor: Actor, command: Callable[[UnitOfWork], Any]) -> Result:
    """Run a configuration command; a race with another admin that a constraint catches (a
    code taken meanwhile) is a conflict, not a crash. Then the cache goes, so the next
    ticket or call reads the new rows."""
    _require_admin(actor)
    try:
        result = run(ctx, command)
    except IntegrityError:
        raise DomainError("conflict",
                          N_("Someone changed the configuration meanwhile; reload and try "
                             "again")) from None
    ctx.cache.clear()
    return result


def _log(uow: UnitOfWork, actor: Actor, ip: str | None, action: str, entity: str, key: Any,
         row_id: int, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    """Audit and announce one change; a change that changes nothing leaves no trace."""
    if before is not None and before == after:
        return
    audit.record(uow, actor, action, entity, key, before=before, after=after,
                 hall_id=actor.hall_id, ip=ip)
    uow.emit(EVENT, actor.hall_id, entity=entity, id=row_id)


def _same_key(given: Any, expected: Any, field: str) -> None:
    """A body naming another entry than its URL (codes and numbers are how layouts, kiosks
    and devices refer to entries, so they never change)."""
    if given != expected:
        raise DomainError("key_changed", N_("The %(key)s of an existing entry cannot change"),
                          field, key=field)


def _taken(uow: UnitOfWork, table, column: str, value: Any, hall_id: int) -> None:
    found = uow.conn.execute(select(table.c.id).where(
        table.c.hall_id == hall_id, table.c[column] == value)).first()
    if found is not None:
        raise DomainError("already_exists", N_("%(value)s is already in use"), column,
                          value=str(value))


def _next_sort(uow: UnitOfWork, table, hall_id: int) -> int:
    last = uow.conn.execute(select(func.max(table.c.sort)).where(
        table.c.hall_id == hall_id)).scalar()
    return 0 if last is None else last + 1


# --- departments --------------------------------------------------------------------------

def _department(uow: UnitOfWork, hall_id: int, code: str, lock: bool = False) -> Any:
    return repo.owned(uow.conn, D, code, hall_id, what="department", field="department",
                      column=D.c.code, lock=lock)


def _department_view(row: Any, services: int) -> dict[str, Any]:
    return {"id": row.id, **department_spec(row).model_dump(), "services": services}


def _service_count(uow: UnitOfWork, department_id: int) -> int:
    return uow.conn.execute(select(func.count()).where(
        S.c.department_id == department_id)).scalar_one()


def list_departments(ctx: Context, *, actor: Actor) -> list[dict[str, Any]]:
    """The hall's departments in order, each with how many services belong to it."""
    _require_admin(actor)

    def query(uow: UnitOfWork) -> list[dict[str, Any]]:
        counts = dict(uow.conn.execute(select(S.c.department_id, func.count()).where(
            S.c.hall_id == actor.hall_id).group_by(S.c.department_id)).all())
        rows = uow.conn.execute(select(D).where(D.c.hall_id == actor.hall_id)
                                .order_by(D.c.sort, D.c.id))
        return [_department_view(r, counts.get(r.id, 0)) for r in rows]

    return read(ctx, query)


def create_department(ctx: Context, *, actor: Actor, spec: DepartmentSpec,
                      ip: str | None = None) -> Result:
    def command(uow: UnitOfWork) -> dict[str, Any]:
        _taken(uow, D, "code", spec.code, actor.hall_id)
        new_id = uow.conn.execute(insert(D).values(
            hall_id=actor.hall_id, sort=_next_sort(uow, D, actor.hall_id),
            **department_row(spec)).returning(D.c.id)).scalar_one()
        _log(uow, actor, ip, "create", "department", spec.code, new_id, None, spec.model_dump())
        return _department_view(_department(uow, actor.hall_id, spec.code), 0)

    return _change(ctx, actor, command)


def update_department(ctx: Context, *, actor: Actor, code: str, spec: DepartmentSpec,
                      ip: str | None = None) -> Result:
    def command(uow: UnitOfWork) -> dict[str, Any]:
        row = _department(uow, actor.hall_id, code, lock=True)
        _same_key(spec.code, row.code, "code")
        uow.conn.execute(update(D).where(D.c.id == row.id).values(**department_row(spec)))
        _log(uow, actor, ip, "update", "department", code, row.id,
             department_spec(row).model_dump(), spec.model_dump())
        return _department_view(_department(uow, actor.hall_id, code),
                                _service_count(uow, row.id))

    return _change(ctx, actor, command)


def delete_department(ctx: Context, *, actor: Actor, code: str,
                      ip: str | None = None) -> Result:
    """Refused (``department_in_use``) while any service, active or not, belongs to it."""

    def command(uow: UnitOfWork) -> None:
        row = _department(uow, actor.hall_id, code, lock=True)
        used = _service_count(uow, row.id)
        if used:
            raise DomainError(
                "department_in_use",
                N_("%(department)s still has %(count)d services; move them to another "
                   "department first"), "department", department=row.name, count=used)
        uow.conn.execute(delete(D).where(D.c.id == row.id))
        _log(uow, actor, ip, "delete", "department", code, row.id,
             department_spec(row).model_dump(), None)

    return _change(ctx, actor, command)


# --- services -----------------------------------------------------------------------------

def _services(uow: UnitOfWork, hall_id: int, code: str | None = None,
              lock: bool = False) -> list[Any]:
    stmt = (select(S, D.c.code.label("department_code"))
            .join(D, D.c.id == S.c.department_id).where(S.c.hall_id == hall_id))
    if code is not None:
        stmt = stmt.where(S.c.code == code)
    if lock:  # two admins saving one service: the second reads the first one's "after"
        stmt = stmt.with_for_update(of=S)
    return list(uow.conn.execute(stmt.order_by(S.c.sort, S.c.id)))


def _service(uow: UnitOfWork, hall_id: int, code: str, lock: bool = False) -> Any:
    rows = _services(uow, hall_id, code, lock)
    if not rows:
        raise NotFound("service", "service")
    return rows[0]


def _service_view(row: Any) -> dict[str, Any]:
    return {"id": row.id, **service_spec(row, row.department_code).model_dump()}


def _department_id(uow: UnitOfWork, hall_id: int, code: str) -> int:
    found = uow.conn.execute(select(D.c.id).where(D.c.hall_id == hall_id,
                                                  D.c.code == code)).scalar()
    if found is None:
        raise DomainError("department_not_found", N_("No such department: %(department)s"),
                          "department", department=code)
    return found


def _check_chain(uow: UnitOfWork, hall_id: int, spec: ServiceSpec) -> None:
    """The hall's chains stay valid with ``spec`` saved (hall.domain.chains.problem): its
    own chain, and its place as a step of another chain."""
    hall_chains = {code: list(chain or []) for code, chain in uow.conn.execute(
        select(S.c.code, S.c.chain).where(S.c.hall_id == hall_id))}
    hall_chains[spec.code] = list(spec.chain or [])
    found = chains.problem(spec.code, hall_chains[spec.code], hall_chains)
    if found is not None:
        raise DomainError("invalid_chain", found.message, "chain", **found.params)


def list_services(ctx: Context, *, actor: Actor) -> list[dict[str, Any]]:
    """Every service of the hall, inactive ones included, with its guide and booking."""
    _require_admin(actor)
    return read(ctx, lambda uow: [_service_view(r) for r in _services(uow, actor.hall_id)])


def get_service(ctx: Context, *, actor: Actor, code: str) -> dict[str, Any]:
    _require_admin(actor)
    return read(ctx, lambda uow: _service_view(_service(uow, actor.hall_id, code)))


def create_service(ctx: Context, *, actor: Actor, spec: ServiceSpec,
                   ip: str | None = None) -> Result:
    def command(uow: UnitOfWork) -> dict[str, Any]:
        department_id = _department_id(uow, actor.hall_id, spec.department)
        _taken(uow, S, "code", spec.code, actor.hall_id)
        _check_chain(uow, actor.hall_id, spec)
        new_id = uow.conn.execute(insert(S).values(
            hall_id=actor.hall_id, sort=_next_sort(uow, S, actor.hall_id),
            **service_row(spec, department_id)).returning(S.c.id)).scalar_one()
        _log(uow, actor, ip, "create", "service", spec.code, new_id, None, spec.model_dump())
        return _service_view(_service(uow, actor.hall_id, spec.code))

    return _change(ctx, actor, command)


def _save_service(uow: UnitOfWork, actor: Actor, ip: str | None, action: str, row: Any,
                  spec: ServiceSpec) -> dict[str, Any]:
    _same_key(spec.code, row.code, "code")
    department_id = _department_id(uow, actor.hall_id, spec.department)
    _check_chain(uow, actor.hall_id, spec)
    uow.conn.execute(update(S).where(S.c.id == row.id).values(**service_row(spec, department_id)))
    _log(uow, actor, ip, action, "service", row.code, row.id,
         service_spec(row, row.department_code).model_dump(), spec.model_dump())
    return _service_view(_service(uow, actor.hall_id, row.code))


def update_service(ctx: Context, *, actor: Actor, code: str, spec: ServiceSpec,
                   ip: str | None = None) -> Result:
    """Replace the whole service (guide, limits, hours, booking, active) with ``spec``."""
    return _change(ctx, actor, lambda uow: _save_service(
        uow, actor, ip, "update", _service(uow, actor.hall_id, code, lock=True), spec))


def set_service_active(ctx: Context, *, actor: Actor, code: str, active: bool,
                       ip: str | None = None) -> Result:
    """Stop (or resume) issuing tickets for a service. Its waiting tickets stay in line and
    its counters keep calling them."""

    def command(uow: UnitOfWork) -> dict[str, Any]:
        row = _service(uow, actor.hall_id, code, lock=True)
        spec = service_spec(row, row.department_code).model_copy(update={"active": active})
        return _save_service(uow, actor, ip, "activate" if active else "deactivate", row, spec)

    return _change(ctx, actor, command)


# --- counters -----------------------------------------------------------------------------

def _counter(uow: UnitOfWork, hall_id: int, number: int, lock: bool = True) -> Any:
    """The counter, locked (for a change) the way every counter command locks it first
    (repo.counter_row), so a change never interleaves with a call at that window."""
    return repo.owned(uow.conn, C, number, hall_id, what="counter", field="counter",
                      column=C.c.number, lock=lock)


def _links(uow: UnitOfWork, counter_ids: list[int]) -> dict[int, list[tuple[str, int]]]:
    out: dict[int, list[tuple[str, int]]] = {i: [] for i in counter_ids}
    for r in uow.conn.execute(
            select(CS.c.counter_id, S.c.code, CS.c.weight).join(S, S.c.id == CS.c.service_id)
            .where(CS.c.counter_id.in_(counter_ids)).order_by(S.c.sort, S.c.id)):
        out[r.counter_id].append((r.code, r.weight))
    return out


def _counter_view(row: Any, links: list[tuple[str, int]]) -> dict[str, Any]:
    return {"id": row.id, "state": row.state, **counter_spec(row, links).model_dump()}


def _service_ids(uow: UnitOfWork, hall_id: int, spec: CounterSpec) -> dict[str, int]:
    codes = [s.service for s in spec.services]
    found = dict(uow.conn.execute(select(S.c.code, S.c.id).where(
        S.c.hall_id == hall_id, S.c.code.in_(codes))).all()) if codes else {}
    for i, code in enumerate(codes):
        if code not in found:
            raise DomainError("service_not_found", N_("No such service: %(service)s"),
                              f"services.{i}.service", service=code)
    return found


def _replace_links(uow: UnitOfWork, counter_id: int, spec: CounterSpec,
                   service_ids: dict[str, int]) -> None:
    uow.conn.execute(delete(CS).where(CS.c.counter_id == counter_id))
    links = counter_links(spec, service_ids)
    if links:
        uow.conn.execute(insert(CS), [{"counter_id": counter_id, **link} for link in links])


def _retire(uow: UnitOfWork, counter: Any) -> None:
    """Take a window out of service: refused while a visitor is at it; an open or paused
    window is closed (its interval ends, screens hear counter.state)."""
    if counter.current_ticket_id is not None:
        ticket = repo.ticket_row(uow.conn, counter.current_ticket_id, counter.hall_id,
                                 lock=False)
        if ticket.state in AT_COUNTER_STATES:
            raise DomainError("counter_busy", N_("Finish, skip or transfer %(number)s first"),
                              "active", number=ticket.number)
    if counter.state != "closed":
        switch_counter_state(uow, counter, "closed", None, None)


def list_counters(ctx: Context, *, actor: Actor) -> list[dict[str, Any]]:
    """Every counter of the hall by number, with its live state and weighted services."""
    _require_admin(actor)

    def query(uow: UnitOfWork) -> list[dict[str, Any]]:
        rows = list(uow.conn.execute(select(C).where(C.c.hall_id == actor.hall_id)
                                     .order_by(C.c.number)))
        links = _links(uow, [r.id for r in rows])
        return [_counter_view(r, links[r.id]) for r in rows]

    return read(ctx, query)


def create_counter(ctx: Context, *, actor: Actor, spec: CounterSpec,
                   ip: str | None = None) -> Result:
    def command(uow: UnitOfWork) -> dict[str, Any]:
        _taken(uow, C, "number", spec.number, actor.hall_id)
        service_ids = _service_ids(uow, actor.hall_id, spec)
        new_id = uow.conn.execute(insert(C).values(
            hall_id=actor.hall_id, state="closed", **counter_row(spec)).returning(C.c.id)
        ).scalar_one()
        _replace_links(uow, new_id, spec, service_ids)
        _log(uow, actor, ip, "create", "counter", spec.number, new_id, None, spec.model_dump())
        return _counter_view(_counter(uow, actor.hall_id, spec.number),
                             _links(uow, [new_id])[new_id])

    return _change(ctx, actor, command)


def _save_counter(uow: UnitOfWork, actor: Actor, ip: str | None, action: str, row: Any,
                  spec: CounterSpec) -> dict[str, Any]:
    _same_key(spec.number, row.number, "number")
    service_ids = _service_ids(uow, actor.hall_id, spec)
    before = counter_spec(row, _links(uow, [row.id])[row.id]).model_dump()
    if row.active and not spec.active:
        _retire(uow, row)
    uow.conn.execute(update(C).where(C.c.id == row.id).values(**counter_row(spec)))
    _replace_links(uow, row.id, spec, service_ids)
    _log(uow, actor, ip, action, "counter", row.number, row.id, before, spec.model_dump())
    return _counter_view(_counter(uow, actor.hall_id, row.number),
                         _links(uow, [row.id])[row.id])


def update_counter(ctx: Context, *, actor: Actor, number: int, spec: CounterSpec,
                   ip: str | None = None) -> Result:
    """Replace name, LED address, active and the weighted services of a counter; the next
    call at that window uses the new weights."""
    return _change(ctx, actor, lambda uow: _save_counter(
        uow, actor, ip, "update", _counter(uow, actor.hall_id, number), spec))


def set_counter_active(ctx: Context, *, actor: Actor, number: int, active: bool,
                       ip: str | None = None) -> Result:
    """Take a counter out of the hall (refused while a ticket is at it) or back in."""

    def command(uow: UnitOfWork) -> dict[str, Any]:
        row = _counter(uow, actor.hall_id, number)
        spec = counter_spec(row, _links(uow, [row.id])[row.id])
        return _save_counter(uow, actor, ip, "activate" if active else "deactivate", row,
                             spec.model_copy(update={"active": active}))

    return _change(ctx, actor, command)
