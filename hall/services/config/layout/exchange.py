"""The whole hall layout out of the database and back in: the TOML file ``hall seed`` reads.

``export_layout`` reads a hall into a ``LayoutSpec`` (the hall, its departments, services
with their guides, counters with the services they serve and weights, staff without any
secret, notices, devices, the rota from this week on) and ``dump_toml`` writes it.
``import_layout`` applies a whole layout the way ``hall seed`` does — rows are matched by
code (number for counters, login for staff) and updated in place — and also deactivates the
services, counters and staff the file no longer lists (rows are never deleted: tickets,
cases and reports point at them); the rota's posts replace those of the weeks the file
names, other weeks are left as they are. With ``dry_run`` it only says what would change.
The round trip is exact: export, import into an empty database, export again gives an
equal ``LayoutSpec``.

A counter's services have no order column, so they are listed by weight (heaviest first),
then in the services' own order: a file in that order reads back as it was written.
"""
from __future__ import annotations

import tomllib
from datetime import date, timedelta
from typing import Any

import tomli_w
from pydantic import ValidationError
from sqlalchemy import delete, insert, select, update

from hall.domain.access import Actor
from hall.domain.errors import DomainError, NotFound
from hall.domain.i18n import N_
from hall.services import repo
from hall.services.config import accounts, audit
from hall.services.config.layout import plan as layout_plan
from hall.services.config.layout import rows as layout_rows
from hall.services.config.layout.spec import LayoutSpec, NoticeSpec, describe
from hall.services.config.settings import hall_spec, notices_of, write_hall
from hall.services.config.staff_admin import staff_spec
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.services.counters import signout
from hall.services.devices import transport
from hall.services.staff import rota as rota_posts
from hall.store.models import (
    Counter,
    CounterService,
    Department,
    Device,
    Hall,
    RotaEntry,
    Service,
    Staff,
)

HEADER = ("# Hall layout, exported from the admin console.\n"
          "# Load it with `hall seed FILE` or import it on /admin/settings. No secrets here:\n"
          "# new staff get their passwords from an admin.\n\n")


# --- export ---------------------------------------------------------------------------

def export_layout(ctx: Context, hall_id: int) -> LayoutSpec:
    return read(ctx, lambda uow: current(uow, hall_id))


def current(uow: UnitOfWork, hall_id: int) -> LayoutSpec:
    """The hall as it is now, in the layout's shape."""
    conn = uow.conn
    hall = repo.hall_row(conn, hall_id)
    d, s, c, cs, st = (Department.__table__, Service.__table__, Counter.__table__,
                       CounterService.__table__, Staff.__table__)
    departments = conn.execute(select(d).where(d.c.hall_id == hall_id)
                               .order_by(d.c.sort, d.c.id)).all()
    dept_code = {r.id: r.code for r in departments}
    services = conn.execute(select(s).where(s.c.hall_id == hall_id)
                            .order_by(s.c.sort, s.c.id)).all()
    links: dict[int, list[tuple[str, int]]] = {}
    for counter_id, code, weight in conn.execute(
            select(cs.c.counter_id, s.c.code, cs.c.weight).join(s, s.c.id == cs.c.service_id)
            .where(s.c.hall_id == hall_id).order_by(cs.c.weight.desc(), s.c.sort, s.c.id)):
        links.setdefault(counter_id, []).append((code, weight))
    counters = conn.execute(select(c).where(c.c.hall_id == hall_id).order_by(c.c.number))
    staff = conn.execute(select(st).where(st.c.hall_id == hall_id).order_by(st.c.id))
    dv = Device.__table__
    numbers = dict(conn.execute(select(c.c.id, c.c.number).where(c.c.hall_id == hall_id)).all())
    devices = conn.execute(select(dv.c.name, dv.c.kind, dv.c.counter_id, dv.c.url).where(
        dv.c.hall_id == hall_id, dv.c.revoked_at.is_(None)).order_by(dv.c.id)).all()
    return LayoutSpec(
        hall=hall_spec(hall),
        departments=[layout_rows.department_spec(r) for r in departments],
        services=[layout_rows.service_spec(r, dept_code[r.department_id]) for r in services],
        counters=[layout_rows.counter_spec(r, links.get(r.id, [])) for r in counters],
        staff=[staff_spec(r, dept_code.get(r.department_id)) for r in staff],
        notices=[NoticeSpec(text=t) for t in notices_of(hall)],
        devices=[layout_rows.device_spec(r, numbers.get(r.counter_id)) for r in devices],
        rota=layout_plan.rota_from(uow, hall_id, rota_posts.monday_of(
            repo.settings_of(hall).local(uow.now).date()), date.max))


def dump_toml(spec: LayoutSpec) -> str:
    """The layout as a file laid out like hall/seed/demo_hall.toml: ``[hall]``, then one
    ``[[section]]`` table per entry (tomli_w alone would squeeze short entries into inline
    arrays above ``[hall]``), with a service's booking as an inline table."""
    data = spec.to_toml_dict()
    hall = data.pop("hall")
    for key in ("holidays", "workdays"):  # as text: `hall seed` stores them as they are
        if key in hall:  # (in a JSON column, which takes no TOML date)
            hall[key] = [day.isoformat() for day in hall[key]]
    parts = [HEADER + tomli_w.dumps({"hall": hall})]
    for name, entries in data.items():
        parts += [_entry(name, entry) for entry in entries]
    return "\n".join(parts)


def _entry(name: str, entry: dict[str, Any]) -> str:
    lines = [f"[[{name}]]"]
    for key, value in entry.items():
        if isinstance(value, dict):
            pairs = ", ".join(tomli_w.dumps({k: v}).strip() for k, v in value.items())
            lines.append(f"{key} = {{ {pairs} }}" if pairs else f"{key} = {{}}")
        else:
            lines.append(tomli_w.dumps({key: value}).strip())
    return "\n".join(lines) + "\n"


def parse_toml(text: str) -> LayoutSpec:
    """A layout file's text as a spec; a broken file is a DomainError naming the entry."""
    try:
        data = tomllib.loads(text)
        return LayoutSpec.model_validate(data)
    except tomllib.TOMLDecodeError as exc:
        problem = str(exc)
    except ValidationError as exc:
        unreadable = [e for e in exc.errors() if e["type"] == "control_character"]
        if unreadable:  # as a request's text would be (hall/web/inputs.py): a 400
            raise DomainError("control_character", N_(
                "The layout file holds a control character or other invisible code that "
                "is not text in %(entry)s"), "toml", entry=unreadable[0]["ctx"]["where"]
            ) from None
        problem = describe(exc, data)
    raise DomainError("invalid_layout", N_("The layout file is not valid: %(problem)s"),
                      "toml", problem=problem)


def hall_id_by_code(ctx: Context, code: str | None = None) -> int:
    """The hall with ``code``, or the first hall."""

    def query(uow: UnitOfWork) -> int:
        h = Hall.__table__
        stmt = select(h.c.id).order_by(h.c.id)
        hall_id = uow.conn.execute(stmt.where(h.c.code == code) if code else stmt).scalar()
        if hall_id is None:
            raise NotFound("hall", "hall")
        return hall_id

    return read(ctx, query)


# --- import ---------------------------------------------------------------------------

def import_layout(ctx: Context, actor: Actor, spec: LayoutSpec, dry_run: bool = False, *,
                  ip: str | None = None, check: transport.Check | None = None) -> Result:
    """Apply ``spec`` as the hall's whole layout (or, with ``dry_run``, only say what would
    change). An admin imports into their own hall; the system (``hall`` CLI, tests) into
    the hall the file names, created if new. The value lists, per section, what is added,
    changed (before/after), deactivated, kept although missing, and how much is unchanged."""
    if dry_run:
        return Result(read(ctx, lambda uow: _import(uow, actor, spec, False, ip)), [])
    result = run(ctx, lambda uow: _import(uow, actor, spec, True, ip, check))
    ctx.cache.clear()  # services, counters and settings changed: no stale copy here
    return result


def _import(uow: UnitOfWork, actor: Actor, spec: LayoutSpec, apply: bool,
            ip: str | None, check: transport.Check | None = None) -> dict[str, Any]:
    hall_id = layout_plan.target_hall(uow, actor, spec)
    old = current(uow, hall_id) if hall_id is not None else None
    plan = layout_plan.plan(uow, actor, spec, hall_id, old)
    if apply:
        hall_id = _apply(uow, actor, spec, plan, ip, old, check)
    return {"hall": spec.hall.code, "hall_id": hall_id, "dry_run": not apply,
            "changes": {name: layout_plan.public(section) for name, section in plan.items()}}


def write(uow: UnitOfWork, spec: LayoutSpec, check: transport.Check | None = None
          ) -> tuple[int, dict[str, Any]]:
    """Create or update every entry of ``spec`` (the hall by code, departments and services
    by code, counters by number, staff by login), leaving rows the file does not list as
    they are; returns the hall's id and each section's ``key → (id, row)``. ``hall seed``
    is exactly this; an import adds the deactivations and the audit."""
    hall_id = write_hall(uow, spec.hall, [n.text for n in spec.notices])
    ids = {name: _ids(uow, name, hall_id) for name in layout_plan.SECTIONS}
    for i, d in enumerate(spec.departments):
        _put(uow, ids, "departments", d.code, hall_id, layout_rows.department_row(d) | {"sort": i})
    for i, s in enumerate(spec.services):
        _put(uow, ids, "services", s.code, hall_id,
             layout_rows.service_row(s, ids["departments"][s.department][0]) | {"sort": i})
    service_ids = {code: row_id for code, (row_id, _) in ids["services"].items()}
    for c in spec.counters:
        counter_id = _put(uow, ids, "counters", c.number, hall_id, layout_rows.counter_row(c))
        uow.conn.execute(delete(CounterService).where(CounterService.counter_id == counter_id))
        links = layout_rows.counter_links(c, service_ids)
        if links:
            uow.conn.execute(insert(CounterService),
                             [{"counter_id": counter_id, **link} for link in links])
    for s in spec.staff:
        department_id = ids["departments"][s.department][0] if s.department else None
        values = _staff_values(s, ids["staff"].get(s.login)) | {"department_id": department_id}
        staff_id = _put(uow, ids, "staff", s.login, hall_id, values)
        if "auth_version" in values:  # their sessions end, as on the staff page
            signout.end_sessions(uow, staff_id)
    _write_devices(uow, spec, hall_id, check)
    _write_rota(uow, spec, hall_id, ids)
    return hall_id, ids


def _write_rota(uow: UnitOfWork, spec: LayoutSpec, hall_id: int,
                ids: dict[str, dict[Any, tuple[int, Any]]]) -> None:
    """The weeks the layout's rota names hold its posts and no others (checked as a whole
    by the spec: known windows, logins and shifts, nobody on overlapping shifts)."""
    if not spec.rota:
        return
    r = RotaEntry.__table__
    for monday in sorted({rota_posts.monday_of(p.day) for p in spec.rota}):
        uow.conn.execute(delete(r).where(r.c.hall_id == hall_id, r.c.day >= monday,
                                         r.c.day < monday + timedelta(days=7)))
    uow.conn.execute(insert(r), [
        {"hall_id": hall_id, "counter_id": ids["counters"][p.counter][0], "day": p.day,
         "shift": p.shift, "post": p.post, "staff_id": ids["staff"][p.login][0]}
        for p in spec.rota])
    uow.emit("rota.changed", hall_id, day=None)


def _write_devices(uow: UnitOfWork, spec: LayoutSpec, hall_id: int,
                   check: transport.Check | None) -> None:
    """The layout's devices, matched by kind and name among the hall's live ones (the
    n-th of a name to the n-th, as the export lists them): an
    address or window that differs is updated (and heard by the device's bridge as
    ``config.changed``); a device new here is registered with a token nobody holds (pair
    it, or give it one with ``hall device add``). Each address passes the drivers' check."""
    d, c = Device.__table__, Counter.__table__
    live: dict[tuple[str, str], list[Any]] = {}  # devices may share a name: in id order
    for r in uow.conn.execute(select(d.c.id, d.c.kind, d.c.name, d.c.url, d.c.counter_id)
                              .where(d.c.hall_id == hall_id, d.c.revoked_at.is_(None))
                              .order_by(d.c.id)):
        live.setdefault((r.kind, r.name), []).append(r)
    counters = dict(uow.conn.execute(select(c.c.number, c.c.id).where(
        c.c.hall_id == hall_id)).all())
    for dev in spec.devices:
        if dev.url is not None:
            try:
                transport.check_url(dev.url, dev.kind, check)
            except DomainError as exc:
                raise DomainError(exc.code, N_("Device %(name)s: %(problem)s"), "devices",
                                  name=dev.name, problem=str(exc)) from None
        same = live.get((dev.kind, dev.name))
        row = same.pop(0) if same else None
        counter_id = counters.get(dev.counter) if dev.counter is not None else None
        if row is None:
            accounts.insert_device(uow, kind=dev.kind, name=dev.name, hall_id=hall_id,
                                   counter_number=dev.counter, url=dev.url)
        elif (row.url, row.counter_id) != (dev.url, counter_id):
            uow.conn.execute(update(d).where(d.c.id == row.id).values(
                url=dev.url, counter_id=counter_id))
            uow.emit("config.changed", hall_id, what="devices", device_id=row.id)


def _apply(uow: UnitOfWork, actor: Actor, spec: LayoutSpec, plan: dict[str, Any],
           ip: str | None, old: LayoutSpec | None, check: transport.Check | None) -> int:
    hall_id, ids = write(uow, spec, check)
    for name in ("services", "counters", "staff"):
        table = layout_plan.SECTIONS[name][0]
        for key in plan[name]["deactivated"]:
            row_id, row = ids[name][key]
            values = {"active": False} | ({"auth_version": row.auth_version + 1}
                                          if name == "staff" else {})
            uow.conn.execute(update(table).where(table.c.id == row_id).values(**values))
            if name == "staff":  # their sessions end: so does their window
                signout.end_sessions(uow, row_id)
    _audit(uow, actor, hall_id, plan, ids, ip)
    audit.record(uow, actor, "import", "layout", hall_id, hall_id=hall_id, ip=ip, whole=True,
                 before=old.model_dump(mode="json", exclude_none=True) if old else None,
                 after=spec.model_dump(mode="json", exclude_none=True))
    uow.emit("config.changed", hall_id, what="layout")
    return hall_id


def _staff_values(s: Any, existing: tuple[int, Any] | None) -> dict[str, Any]:
    """Seed's columns of a staff entry; a role change or deactivation ends their sessions,
    as it does on the staff page. New accounts have no password until an admin sets one."""
    values = {"name": s.name, "number": s.number, "role": s.role, "active": s.active}
    if existing is not None:
        row = existing[1]
        if row.role != s.role or (row.active and not s.active):
            values["auth_version"] = row.auth_version + 1
    return values


def _ids(uow: UnitOfWork, name: str, hall_id: int) -> dict[Any, tuple[int, Any]]:
    """key → (id, row) of a section's existing rows (staff by login, in any hall: the
    login is unique across halls and was checked to be free or this hall's)."""
    table, column, _key, _ = layout_plan.SECTIONS[name]
    stmt = select(table) if name == "staff" else select(table).where(table.c.hall_id == hall_id)
    return {getattr(r, column): (r.id, r) for r in uow.conn.execute(stmt)}


def _put(uow: UnitOfWork, ids: dict[str, dict[Any, tuple[int, Any]]], name: str, key: Any,
         hall_id: int, values: dict[str, Any]) -> int:
    table, column, _key, _ = layout_plan.SECTIONS[name]
    found = ids[name].get(key)
    if found is None:
        row_id = uow.conn.execute(insert(table).values(
            hall_id=hall_id, **({column: key} | values)).returning(table.c.id)).scalar_one()
        ids[name][key] = (row_id, None)
        return row_id
    uow.conn.execute(update(table).where(table.c.id == found[0]).values(**values))
    return found[0]


def _audit(uow: UnitOfWork, actor: Actor, hall_id: int, plan: dict[str, Any],
           ids: dict[str, dict[Any, tuple[int, Any]]], ip: str | None) -> None:
    """One entry per entity the import created, changed or deactivated."""
    def dump(spec: Any) -> dict[str, Any]:
        return spec.model_dump(mode="json", exclude_none=True)

    def record(action: str, entity: str, entity_id: Any, before: Any, after: Any) -> None:
        audit.record(uow, actor, action, entity, entity_id, before=before, after=after,
                     hall_id=hall_id, ip=ip)

    hall, notices = plan["hall"], plan["notices"]
    if hall["added"] or hall["changed"]:
        key = (hall["added"] + hall["changed"])[0]
        record("create" if hall["added"] else "update", "hall", hall_id,
               dump(hall["old"][key]) if hall["changed"] else None, dump(hall["new"][key]))
    if notices["changed"] or (notices["added"] and notices["new"]["notices"].texts):
        old = notices["old"].get("notices")
        record("update", "notices", hall_id, {"notices": old.texts if old else []},
               {"notices": notices["new"]["notices"].texts})
    for name, entity in layout_plan.ENTITY.items():
        section = plan[name]
        for key in section["added"]:
            record("create", entity, ids[name][key][0], None, dump(section["new"][key]))
        for key in section["changed"]:
            record("update", entity, ids[name][key][0], dump(section["old"][key]),
                   dump(section["new"][key]))
        for key in section["deactivated"]:
            before = dump(section["old"][key])
            record("deactivate", entity, ids[name][key][0], before, before | {"active": False})
