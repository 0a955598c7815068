"""What can be booked (read-only): the bookable services of a hall with their working days,
and one day's slots of a service with the places left. The booking page and the API read
these; booking itself is in appointments.py."""
from __future__ import annotations

from datetime import UTC, date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from hall.domain.errors import DomainError
from hall.domain.hall import parse_hours
from hall.domain.i18n import N_
from hall.domain.slots import booking_days, check_day, day_slots, open_slots, parse_booking
from hall.services import repo
from hall.services.context import Context, UnitOfWork, read
from hall.services.queue.tickets import check_in_window
from hall.services.views import iso
from hall.store.models import Department, Hall, Service, SlotBooking


def hall_by_ref(conn, hall: int | str | None) -> Any:
    """A hall by id, by code, or the server's first hall (the usual one-hall server)."""
    h = Hall.__table__
    stmt = select(h).order_by(h.c.id)
    if isinstance(hall, int) or (isinstance(hall, str) and hall.isdigit()):
        stmt = stmt.where(h.c.id == int(hall))
    elif hall:
        stmt = stmt.where(h.c.code == hall)
    row = conn.execute(stmt.limit(1)).first()
    if row is None:
        raise DomainError("hall_not_found", N_("No such hall"), "hall")
    return row


def service_ref(svc: Any) -> dict[str, Any]:
    return {"id": svc.id, "code": svc.code, "name": svc.name, "name_en": svc.name_en}


def rules_of(svc: Any):
    rules = parse_booking(svc.booking) if svc.active else None
    if rules is None:
        raise DomainError("no_appointments", N_("%(service)s takes no appointments"),
                          "service", service=svc.name)
    return rules


def catalog(ctx: Context, hall: int | str | None = None) -> dict[str, Any]:
    """Departments → bookable services, each with the working days open for booking."""

    def query(uow: UnitOfWork) -> dict[str, Any]:
        conn = uow.conn
        hall_row = hall_by_ref(conn, hall)
        calendar = repo.calendar_of(hall_row)
        today = uow.now.astimezone(ZoneInfo(hall_row.timezone)).date()
        d, s = Department.__table__, Service.__table__
        depts: dict[int, dict[str, Any]] = {
            r.id: {"code": r.code, "name": r.name, "name_en": r.name_en, "services": []}
            for r in conn.execute(select(d).where(d.c.hall_id == hall_row.id)
                                  .order_by(d.c.sort, d.c.id))}
        for svc in conn.execute(select(s).where(s.c.hall_id == hall_row.id, s.c.active)
                                .order_by(s.c.sort, s.c.id)):
            rules = parse_booking(svc.booking)
            if rules is None or svc.department_id not in depts:
                continue
            depts[svc.department_id]["services"].append(service_ref(svc) | {
                "slot_minutes": rules.slot_minutes, "capacity": rules.capacity,
                "days_ahead": rules.days_ahead,
                "needs_id_number": bool(svc.per_person_limit),
                "days": [x.isoformat() for x in booking_days(
                    today, rules, lambda d, code=svc.code: calendar.serves(d, code))]})
        early, late = check_in_window(hall_row)
        return {"hall": {"id": hall_row.id, "code": hall_row.code, "name": hall_row.name,
                         "name_en": hall_row.name_en, "timezone": hall_row.timezone},
                "today": today.isoformat(),
                "check_in": {"early_minutes": early // 60, "late_minutes": late // 60},
                "departments": [x for x in depts.values() if x["services"]]}

    return read(ctx, query)


def slots(ctx: Context, *, service: int | str, day: date, hall: int | str | None = None
          ) -> dict[str, Any]:
    """The slots of ``day`` not yet begun, with capacity and places left. A day that is
    past, beyond the booking window or not a working day is refused (naming ``day``)."""

    def query(uow: UnitOfWork) -> dict[str, Any]:
        conn = uow.conn
        hall_row = hall_by_ref(conn, hall)
        svc = repo.service_row(conn, hall_row.id, service)
        rules = rules_of(svc)
        zone = ZoneInfo(hall_row.timezone)
        calendar = repo.calendar_of(hall_row)
        check_day(day, uow.now.astimezone(zone).date(), rules,
                  lambda d: calendar.serves(d, svc.code))
        offered = open_slots(day_slots(day, parse_hours(svc.hours or []), rules,
                                       hall_row.timezone), uow.now)
        sb = SlotBooking.__table__
        booked = {}
        if offered:
            booked = dict(conn.execute(select(sb.c.slot_start, sb.c.booked).where(
                sb.c.service_id == svc.id, sb.c.slot_start >= offered[0].start.astimezone(UTC),
                sb.c.slot_start <= offered[-1].start.astimezone(UTC))).all())
        return {"service": service_ref(svc), "day": day.isoformat(),
                "timezone": hall_row.timezone, "slot_minutes": rules.slot_minutes,
                "slots": [{"start": iso(x.start), "end": iso(x.end), "capacity": rules.capacity,
                           "remaining": max(0, rules.capacity - booked.get(x.start, 0))}
                          for x in offered]}

    return read(ctx, query)
