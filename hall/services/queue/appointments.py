"""Appointments (预约): book a slot, cancel, look up by code, check in at the kiosk.

Personal data: the phone is kept masked (138****1234) plus a keyed hash, the ID number only
as a keyed hash (hall.domain.personal); neither is ever stored plain, logged or put in an
event. The code is the visitor's key to the booking: 8 characters from an alphabet without
look-alikes (no 0/O, 1/I/L), about 8.5·10^11 possibilities.

Slot capacity is taken and given back in ``slot_bookings`` with one atomic statement each
(services/limits.py); the one-booking-per-phone rule is checked under a lock of the
service row, so two phones of one person racing cannot both pass it.
"""
from __future__ import annotations

import hmac
import secrets
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update

from hall.domain.access import Actor, require
from hall.domain.errors import DomainError, ServiceUnavailable
from hall.domain.hall import parse_hours
from hall.domain.i18n import N_
from hall.domain.personal import keyed_hash, mask_name, mask_phone, normalize_phone
from hall.domain.slots import Arrival, BookingRules, arrival, bookable_slot
from hall.services import repo
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.services.queue import limits, tickets
from hall.services.queue.booking_catalog import hall_by_ref, rules_of, service_ref
from hall.services.views import iso
from hall.store.models import Appointment, Service, Ticket

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
A = Appointment.__table__


def phone_hash(secret: bytes, phone: str) -> str:
    return keyed_hash(secret, "phone", normalize_phone(phone))


def book(ctx: Context, *, service: int | str, start: datetime, phone: str,
         id_number: str | None = None, hall: int | str | None = None,
         notify: bool = False, name: str | None = None, title: str = "") -> Result:
    """Book one place of the slot starting at ``start``; the value holds the code. With
    ``notify`` the phone is also kept as such until check-in, when the ticket follows it
    for near-turn messages (hall/services/queue/notify.py), and erased there. ``name``
    (optional, with ``title`` 先生/女士) is kept only masked (张*女士): the check-in's
    ticket carries it, for a hall that calls by name."""
    holder = (mask_name(name) + title)[:20] if name and name.strip() else None
    plain = normalize_phone(phone)
    p_hash = keyed_hash(ctx.secret, "phone", plain)
    person = tickets.person_hash(ctx.secret, id_number) if id_number else None

    def command(uow: UnitOfWork) -> dict[str, Any]:
        conn = uow.conn
        hall_row = hall_by_ref(conn, hall)
        svc = _locked_service(conn, hall_row.id, service)
        rules = _bookable_rules(svc)
        slot = bookable_slot(start, uow.now, parse_hours(svc.hours or []), rules,
                             hall_row.timezone,
                             lambda d: repo.calendar_of(hall_row).serves(d, svc.code))
        if _booked_that_day(conn, svc.id, p_hash, slot.start.date(), hall_row.timezone):
            raise DomainError("already_booked",
                              N_("This phone number already has an appointment for "
                                 "%(service)s that day"), "phone", service=svc.name)
        booked = limits.take_slot(conn, svc.id, slot.start, rules.capacity)
        if booked is None:
            raise DomainError("slot_full", N_("This slot is fully booked; choose another"),
                              "start")
        row = dict(hall_id=hall_row.id, service_id=svc.id, code=_new_code(conn),
                   slot_start=slot.start, slot_end=slot.end, phone_masked=mask_phone(plain),
                   phone_hash=p_hash, person_hash=person, state="booked", created_at=uow.now,
                   notify_phone=plain if notify else None, holder_masked=holder)
        row["id"] = conn.execute(insert(A).values(**row).returning(A.c.id)).scalar_one()
        uow.emit("appointment.booked", hall_row.id, appointment_id=row["id"],
                 service_id=svc.id, slot_start=iso(slot.start), slot_end=iso(slot.end),
                 remaining=rules.capacity - booked)
        return _view(conn, row, hall_row)

    return run(ctx, command)


def cancel(ctx: Context, *, code: str, phone: str | None = None,
           actor: Actor | None = None) -> Result:
    """Cancel a booked appointment and give its place back. The visitor proves it is theirs
    with the phone number; staff of the hall may cancel by code alone."""
    p_hash = phone_hash(ctx.secret, phone) if phone else None

    def command(uow: UnitOfWork) -> dict[str, Any]:
        conn = uow.conn
        row = _by_code(conn, code)
        if p_hash is None:
            if actor is None or not actor.is_staff or actor.hall_id != row.hall_id:
                raise DomainError("phone_required",
                                  N_("Enter the phone number you booked with"), "phone")
        elif not hmac.compare_digest(row.phone_hash or "", p_hash):
            raise DomainError("appointment_not_found",
                              N_("No appointment with this code and phone number"), "phone")
        if row.state != "booked":
            raise DomainError("appointment_used", N_("This appointment was already %(state)s"),
                              "code", state=row.state)
        conn.execute(update(A).where(A.c.id == row.id, A.c.state == "booked")
                     .values(state="cancelled", cancelled_at=uow.now, notify_phone=None))
        limits.release_slot(conn, row.service_id, row.slot_start)
        uow.emit("appointment.cancelled", row.hall_id, appointment_id=row.id,
                 service_id=row.service_id, slot_start=iso(row.slot_start),
                 by="staff" if p_hash is None else "visitor")
        view = row._asdict() | {"state": "cancelled", "cancelled_at": uow.now}
        return _view(conn, view, repo.hall_row(conn, row.hall_id))

    return run(ctx, command)


def by_code(ctx: Context, code: str) -> dict[str, Any]:
    """The visitor's view of their appointment (phone masked, no hashes)."""

    def query(uow: UnitOfWork) -> dict[str, Any]:
        row = _by_code(uow.conn, code, lock=False)
        return _view(uow.conn, row._asdict(), repo.hall_row(uow.conn, row.hall_id))

    return read(ctx, query)


def check_in(ctx: Context, *, hall_id: int, actor: Actor, code: str | None = None,
             phone: str | None = None, id_number: str | None = None) -> Result:
    """At the kiosk: the appointment by code (or today's by phone) becomes a ticket, issued
    exactly as POST /tickets issues one (tickets.issue_in), in the same transaction."""
    if not code and not phone:
        raise DomainError("code_required",
                          N_("Enter the appointment code or the phone number you booked with"),
                          "code")
    p_hash = phone_hash(ctx.secret, phone) if phone and not code else None
    person = tickets.person_hash(ctx.secret, id_number) if id_number else None

    def command(uow: UnitOfWork) -> dict[str, Any]:
        require(actor, "issue")  # before any lookup: a refused device learns nothing
        if code:
            appt, field = tickets.appointment_by_code(uow.conn, hall_id, code, "code"), "code"
        else:
            appt, field = _due_by_phone(uow, hall_id, p_hash), "phone"
        view = tickets.issue_in(uow, hall_id=hall_id, service=appt.service_id, actor=actor,
                                kind="appointment", appointment=appt, person=person,
                                appointment_field=field)
        view["appointment"]["code"] = appt.code
        if appt.notify_phone:  # the ticket's subscription holds the number from now on
            view["notify"] = tickets.follow(uow, view["id"], appt.notify_phone,
                                            actor.id if actor.kind == "device" else None)
            uow.conn.execute(update(A).where(A.c.id == appt.id).values(notify_phone=None))
        return view

    return run(ctx, command)


def _due_by_phone(uow: UnitOfWork, hall_id: int, p_hash: str) -> Any:
    """Today's booked appointment of this phone: the earliest on time, else the earliest
    late one (it becomes a normal ticket); only early ones → too early, with the first."""
    conn = uow.conn
    hall_row = repo.hall_row(conn, hall_id)
    first, last = _day_bounds(uow.now.astimezone(ZoneInfo(hall_row.timezone)).date(),
                              hall_row.timezone)
    rows = conn.execute(select(A).where(
        A.c.hall_id == hall_id, A.c.phone_hash == p_hash, A.c.state == "booked",
        A.c.slot_start >= first, A.c.slot_start < last).order_by(A.c.slot_start, A.c.id)
        .with_for_update()).all()
    if not rows:
        raise DomainError("appointment_not_found",
                          N_("No appointment today for this phone number"), "phone")
    early, late = tickets.check_in_window(hall_row)
    by_arrival: dict[Arrival, list[Any]] = {}
    for r in rows:
        by_arrival.setdefault(arrival(r.slot_start, uow.now, early, late), []).append(r)
    for when in (Arrival.ON_TIME, Arrival.LATE, Arrival.EARLY):
        if by_arrival.get(when):
            return by_arrival[when][0]  # an early one is refused by the check-in itself
    raise AssertionError("unreachable")


def _locked_service(conn, hall_id: int, service: int | str) -> Any:
    """The service row, locked: bookings of one service are serialised (PostgreSQL;
    SQLite's BEGIN IMMEDIATE already serialises every write)."""
    s = Service.__table__
    key = s.c.id == service if isinstance(service, int) else s.c.code == service
    row = conn.execute(select(s).where(s.c.hall_id == hall_id, key).with_for_update()).first()
    if row is None:
        raise DomainError("service_not_found", N_("Not found: %(what)s"), "service",
                          what="service")
    return row


def _bookable_rules(svc: Any) -> BookingRules:
    if not svc.active:
        raise ServiceUnavailable("service_closed", N_("%(service)s is not offered at present"),
                                 service=svc.name)
    return rules_of(svc)


def _day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(timezone)
    first = datetime.combine(day, time(0), zone)
    return first.astimezone(UTC), (first + timedelta(days=1)).astimezone(UTC)


def _booked_that_day(conn, service_id: int, p_hash: str, day: date, timezone: str) -> bool:
    first, last = _day_bounds(day, timezone)
    return conn.execute(select(A.c.id).where(
        A.c.service_id == service_id, A.c.phone_hash == p_hash, A.c.state == "booked",
        A.c.slot_start >= first, A.c.slot_start < last).limit(1)).first() is not None


def _new_code(conn) -> str:
    """A fresh code; a clash (one in ~10^11 per booking) just draws again."""
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        if conn.execute(select(A.c.id).where(A.c.code == code)).first() is None:
            return code


def _by_code(conn, code: str, lock: bool = True) -> Any:
    stmt = select(A).where(A.c.code == tickets.normalize_code(code))
    row = conn.execute(stmt.with_for_update() if lock else stmt).first()
    if row is None:
        raise DomainError("appointment_not_found", N_("No appointment with this code here"),
                          "code")
    return row


def _view(conn, row: dict[str, Any], hall_row: Any) -> dict[str, Any]:
    """What the visitor sees: times in the hall's zone, phone masked, never a hash."""
    zone = ZoneInfo(hall_row.timezone)
    svc = repo.service_row(conn, row["hall_id"], row["service_id"])
    early, late = tickets.check_in_window(hall_row)
    start = row["slot_start"].astimezone(zone)
    view = {"code": row["code"], "state": row["state"],
            "hall": {"id": hall_row.id, "code": hall_row.code, "name": hall_row.name,
                     "name_en": hall_row.name_en},
            "service": service_ref(svc), "start": iso(start),
            "end": iso(row["slot_end"].astimezone(zone)), "phone": row["phone_masked"],
            "holder": row.get("holder_masked"),
            "check_in": {"from": iso(start - timedelta(seconds=early)),
                         "until": iso(start + timedelta(seconds=late))},
            "ticket": None}
    if row.get("ticket_id"):
        t = conn.execute(select(Ticket.number, Ticket.token, Ticket.kind)
                         .where(Ticket.id == row["ticket_id"])).first()
        view["ticket"] = dict(t._mapping) if t else None
    return view

