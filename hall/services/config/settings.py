"""The hall's own fields and settings as admins edit them, in the layout's ``[hall]`` shape
(``HallSpec``): name, zone, targets, priority ratio, pause/priority/rating reasons, the
holidays override and make-up workdays, the appointment check-in window, follow-up days,
alert thresholds; and the notices that screens scroll.

``hall_spec`` / ``hall_columns`` convert between a ``halls`` row and its spec (minutes in
the spec, seconds in the table; reason lists and the calendar in ``halls.settings``, dates
as ISO strings as ``repo.calendar_of`` reads them). ``write_hall`` stores a spec and keeps
the settings keys no layout carries (``notices`` unless given, ``ticket_notes``). A change
emits ``config.changed`` and empties this process's cache, so the
next ticket or call reads the new settings.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update

from hall.domain.access import Actor
from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.services import repo
from hall.services.config import audit
from hall.services.config.layout.spec import HALL_SETTINGS, HallSpec, NoticeSpec
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.store.models import Device, Hall

MIN = 60
PLAIN = ("name", "name_en", "timezone", "priority_ratio", "recall_limit")  # same in both
MINUTES = {"target_wait_minutes": "target_wait_s", "max_wait_minutes": "max_wait_s",
           "rating_window_minutes": "rating_window_s"}  # spec minutes → column seconds


def hall_spec(row: Any) -> HallSpec:
    """A ``halls`` row as the layout's ``[hall]`` table."""
    settings = row.settings or {}
    values = {field: getattr(row, field) for field in PLAIN} | {
        field: max(1, round(getattr(row, column) / MIN)) for field, column in MINUTES.items()}
    extra = {k: settings[k] for k in HALL_SETTINGS if settings.get(k) is not None}
    return HallSpec(code=row.code, **values, **extra)


def hall_columns(spec: HallSpec) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the ``halls`` columns, the ``halls.settings`` keys) a spec sets. Unset settings are
    left out: their defaults live in code."""
    data = spec.model_dump(mode="json", exclude_none=True)  # dates → ISO strings
    columns = {field: data[field] for field in PLAIN} | {
        column: data[field] * MIN for field, column in MINUTES.items()}
    settings = {k: data[k] for k in HALL_SETTINGS if data.get(k) is not None}
    return columns, settings


def notices_of(row: Any) -> list[str]:
    return list((row.settings or {}).get("notices") or [])


def write_hall(uow: UnitOfWork, spec: HallSpec, notices: list[str] | None = None) -> int:
    """Create or update the hall with ``spec.code``; ``notices=None`` keeps its notices."""
    columns, settings = hall_columns(spec)
    t = Hall.__table__
    row = uow.conn.execute(select(t).where(t.c.code == spec.code)).first()
    kept = {k: v for k, v in ((row.settings or {}) if row else {}).items()
            if k not in HALL_SETTINGS and (k != "notices" or notices is None)}
    settings = kept | settings | ({"notices": notices} if notices is not None else {})
    if row is None:
        return uow.conn.execute(insert(t).values(code=spec.code, settings=settings, **columns)
                                .returning(t.c.id)).scalar_one()
    uow.conn.execute(update(t).where(t.c.id == row.id).values(settings=settings, **columns))
    return row.id


def get_settings(ctx: Context, hall_id: int) -> HallSpec:
    return read(ctx, lambda uow: hall_spec(repo.hall_row(uow.conn, hall_id)))


def hall_zone(ctx: Context, device_id: int | None = None) -> str | None:
    """The time zone of a device's hall, else of the server's first hall (None without any
    hall): the clock of a page that does not yet know who is asking, such as a kiosk that
    has no token. A zone says nothing about the device, so anyone may read it."""

    def query(uow: UnitOfWork) -> str | None:
        h, d = Hall.__table__, Device.__table__
        zone = None
        if device_id is not None:
            zone = uow.conn.execute(select(h.c.timezone).join(d, d.c.hall_id == h.c.id)
                                    .where(d.c.id == device_id)).scalar()
        return zone or uow.conn.execute(select(h.c.timezone).order_by(h.c.id)).scalar()

    return read(ctx, query)


def public_urls(ctx: Context) -> list[str]:
    """Every hall's ``public_url`` setting (where phones and pages reach it when the server
    sits behind another name), cached briefly: a Socket.IO handshake's Origin is checked
    against them (hall/web/pages.py ``origin_allowed``)."""

    def query(uow: UnitOfWork) -> list[str]:
        rows = uow.conn.execute(select(Hall.settings)).scalars()
        return [str(s["public_url"]) for s in rows if s and s.get("public_url")]

    return ctx.cache.get("public_urls", lambda: read(ctx, query))


def public_url(ctx: Context, hall_id: int | None = None) -> str | None:
    """The hall's ``public_url`` setting (of the server's first hall when none is named), or
    None. ``hall.web.pages.base_url`` is the one reader: the QR codes and the checks of
    where a request comes from both ask it."""

    def query(uow: UnitOfWork) -> str | None:
        hid = hall_id if hall_id is not None else uow.conn.execute(
            select(Hall.__table__.c.id).order_by(Hall.__table__.c.id)).scalar()
        if hid is None:
            return None
        return (repo.hall_config(uow, hid).row.settings or {}).get("public_url") or None

    return read(ctx, query)


def update_settings(ctx: Context, actor: Actor, hall_id: int, spec: HallSpec, *,
                    ip: str | None = None) -> Result:
    """Replace the hall's fields and settings with ``spec`` (its code cannot change: layout
    files and ``hall seed`` find the hall by it). The value is the stored ``HallSpec``."""

    def command(uow: UnitOfWork) -> HallSpec:
        row = repo.hall_row(uow.conn, hall_id)
        if spec.code != row.code:
            raise DomainError("hall_code_fixed", N_("A hall's code cannot change"), "code")
        before = hall_spec(row)
        write_hall(uow, spec)
        after = hall_spec(repo.hall_row(uow.conn, hall_id))
        if after != before:
            audit.record(uow, actor, "update", "hall", hall_id,
                         before=before.model_dump(mode="json"),
                         after=after.model_dump(mode="json"), hall_id=hall_id, ip=ip)
            uow.emit("config.changed", hall_id, what="settings")
        return after

    return _changed(ctx, command)


def get_notices(ctx: Context, hall_id: int) -> list[NoticeSpec]:
    return read(ctx, lambda uow: [NoticeSpec(text=t)
                                  for t in notices_of(repo.hall_row(uow.conn, hall_id))])


def set_notices(ctx: Context, actor: Actor, hall_id: int, notices: list[NoticeSpec], *,
                ip: str | None = None) -> Result:
    """Replace the notices screens show, in this order; the event carries them so a screen
    can show them at once."""
    texts = [n.text for n in notices]

    def command(uow: UnitOfWork) -> list[NoticeSpec]:
        row = repo.hall_row(uow.conn, hall_id)
        before = notices_of(row)
        if texts != before:
            uow.conn.execute(update(Hall).where(Hall.id == hall_id).values(
                settings={**(row.settings or {}), "notices": texts}))
            audit.record(uow, actor, "update", "notices", hall_id, before={"notices": before},
                         after={"notices": texts}, hall_id=hall_id, ip=ip)
            uow.emit("config.changed", hall_id, what="notices", notices=texts)
        return [NoticeSpec(text=t) for t in texts]

    return _changed(ctx, command)


def _changed(ctx: Context, command) -> Result:
    result = run(ctx, command)
    ctx.cache.clear()  # hall_config is cached per process: read the new settings at once
    return result

