"""Complaint intake from every channel a hall has (issue 19 item 1).

- the visitor's phone page of a ticket (``/t/<token>``, its QR) or of a case
  (``/case/<number>``): the ticket or case names the window, the staff member who
  served, the service and its department;
- the kiosk's 我要投诉建议 button (a kiosk device): the visitor names the target if known;
- staff entering a phone call, the 意见簿 (comment book) or a 12345 work order (its number
  kept).

The complaint gets a number (TS-yyyymmdd-nnnn), a private token for the complainant's page,
a handler (the hall's first supervisor) and a due date in working days (the hall setting
``complaint_days``, default 5). A contact phone is optional and kept masked plus a keyed
hash; ``anonymous`` drops it altogether. Filing raises ``complaint.received`` in the hall
room, where supervisors see it at once.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select

from hall.domain import complaints as domain
from hall.domain.access import Actor
from hall.domain.cases import lookup_code_matches
from hall.domain.errors import DomainError, Forbidden, NotFound
from hall.domain.i18n import N_
from hall.domain.personal import keyed_hash, mask_phone, normalize_phone
from hall.services import repo
from hall.services.complaints import views
from hall.services.context import Context, Result, UnitOfWork, run
from hall.store.models import Case, Complaint, Counter, Department, Service, Staff, Ticket

NUMBER_PREFIX = "#ts"  # number_counters key (never a ticket prefix)


@dataclass(frozen=True)
class Target:
    """Who or what the complaint is about, where known (ids of the hall's rows)."""

    counter_id: int | None = None
    staff_id: int | None = None
    department_id: int | None = None
    service_id: int | None = None


def complaint_days(hall_row: Any) -> int:
    try:
        days = int((hall_row.settings or {}).get("complaint_days", domain.DEFAULT_DAYS))
    except (TypeError, ValueError):
        return domain.DEFAULT_DAYS
    return days if days > 0 else domain.DEFAULT_DAYS


def from_ticket(ctx: Context, *, token: str, text: str, category: str | None = None,
                phone: str | None = None, anonymous: bool = False) -> Result:
    """From the ticket's phone page: the token proves the visit; its window, staff and
    service become the target."""
    def command(uow: UnitOfWork) -> dict[str, Any]:
        t = Ticket.__table__
        row = uow.conn.execute(select(t.c.id, t.c.hall_id, t.c.counter_id, t.c.staff_id,
                                      t.c.service_id).where(t.c.token == token)).first()
        if row is None:
            raise NotFound("ticket", "token")
        target = Target(row.counter_id, row.staff_id, None, row.service_id)
        return _file(uow, row.hall_id, "ticket_page", text, category, phone, anonymous,
                     target, ticket_id=row.id, case_id=_case_of(uow, row.id))

    return run(ctx, command)


def from_case(ctx: Context, *, number: str, code: str, text: str,
              category: str | None = None, phone: str | None = None,
              anonymous: bool = False) -> Result:
    """From a case's page (``/case/<number>?code=…``, the QR on its 受理回执): the case's
    accepting window, staff and service are the target. The case's look-up code is needed
    as for the look-up itself; an unknown number and a wrong code answer alike."""
    def command(uow: UnitOfWork) -> dict[str, Any]:
        c = Case.__table__
        row = uow.conn.execute(
            select(c.c.id, c.c.hall_id, c.c.counter_id, c.c.staff_id, c.c.service_id,
                   c.c.ticket_id, c.c.lookup_code)
            .where(c.c.number == (number or "").strip().upper())).first()
        if row is None or not lookup_code_matches(row.lookup_code, code):
            raise NotFound("case", "number")
        target = Target(row.counter_id, row.staff_id, None, row.service_id)
        return _file(uow, row.hall_id, "case_page", text, category, phone, anonymous,
                     target, ticket_id=row.ticket_id, case_id=row.id)

    return run(ctx, command)


def at_kiosk(ctx: Context, *, actor: Actor, text: str, category: str | None = None,
             phone: str | None = None, anonymous: bool = False,
             target: Target = Target()) -> Result:
    """The kiosk's 我要投诉建议: the visitor may name a window, department or service."""
    if actor.kind != "device" or actor.role != "kiosk" or actor.hall_id is None:
        raise Forbidden(N_("Only a kiosk takes complaints from visitors this way"),
                        "authorization")

    def command(uow: UnitOfWork) -> dict[str, Any]:
        return _file(uow, actor.hall_id, "kiosk", text, category, phone, anonymous,
                     _checked(uow, actor.hall_id, target))

    return run(ctx, command)


def by_staff(ctx: Context, *, actor: Actor, source: str, text: str,
             category: str | None = None, phone: str | None = None,
             anonymous: bool = False, work_order: str | None = None,
             target: Target = Target(), ticket_number: str | None = None) -> Result:
    """Staff write down a complaint that came by phone, in the 意见簿 or as a 12345 work
    order (whose number is required and kept)."""
    if not actor.is_staff or actor.hall_id is None:
        raise Forbidden(N_("Only staff enter complaints for visitors"), "authorization")
    domain.check_source(source, domain.STAFF_SOURCES)
    order = (work_order or "").strip() or None
    if source == "hotline_12345" and order is None:
        raise DomainError("work_order_required", N_("Enter the 12345 work order number"),
                          "work_order")

    def command(uow: UnitOfWork) -> dict[str, Any]:
        return _file(uow, actor.hall_id, source, text, category, phone, anonymous,
                     _checked(uow, actor.hall_id, target), work_order=order,
                     entered_by=actor.id)

    return run(ctx, command)


# --- the one way a complaint is written ---------------------------------------------------

def _file(uow: UnitOfWork, hall_id: int, source: str, text: str, category: str | None,
          phone: str | None, anonymous: bool, target: Target, **extra: Any) -> dict[str, Any]:
    words = domain.check_text(text)
    kind = domain.check_category(category)
    plain = None if anonymous or not (phone or "").strip() else normalize_phone(phone)
    config = repo.hall_config(uow, hall_id)
    today = config.settings.local(uow.now).date()
    due = config.calendar.add_working_days(today, complaint_days(config.row))
    department = target.department_id
    if department is None and target.service_id is not None:
        department = uow.conn.execute(select(Service.department_id).where(
            Service.id == target.service_id)).scalar()
    seq = repo.next_number(uow.conn, hall_id, NUMBER_PREFIX, today)
    handler = _first_supervisor(uow, hall_id)
    c = Complaint.__table__
    cid = uow.conn.execute(insert(c).values(
        hall_id=hall_id, number=f"TS-{today:%Y%m%d}-{seq:04d}",
        token=secrets.token_urlsafe(16)[:22], source=source, category=kind, text=words,
        counter_id=target.counter_id, staff_id=target.staff_id, department_id=department,
        service_id=target.service_id, anonymous=bool(anonymous),
        phone_masked=mask_phone(plain) if plain else "",
        phone_hash=keyed_hash(uow.ctx.secret, "phone", plain) if plain else None,
        reply_phone=plain, state="received", handler_id=handler, received_at=uow.now,
        received_on=today, due_date=due, reopened=0,
        history=[{"at": uow.now.isoformat(), "action": "received", "by": extra.get(
            "entered_by"), "text": source}], **extra).returning(c.c.id)).scalar_one()
    row = views.row_by(uow, complaint_id=cid)
    item = views.supervisor_view(row, today)
    uow.emit("complaint.received", hall_id, complaint_id=cid, complaint=item)
    return {**views.public_view(row), "id": cid}


def _first_supervisor(uow: UnitOfWork, hall_id: int) -> int | None:
    s = Staff.__table__
    return uow.conn.execute(select(s.c.id).where(
        s.c.hall_id == hall_id, s.c.role == "supervisor", s.c.active.is_(True))
        .order_by(s.c.id).limit(1)).scalar()


def _case_of(uow: UnitOfWork, ticket_id: int) -> int | None:
    return uow.conn.execute(select(Case.id).where(Case.ticket_id == ticket_id)).scalar()


def _checked(uow: UnitOfWork, hall_id: int, target: Target) -> Target:
    """Each named target must be one of this hall's rows (a wrong id is the field's error)."""
    for table, value, field in ((Counter.__table__, target.counter_id, "counter_id"),
                                (Staff.__table__, target.staff_id, "staff_id"),
                                (Department.__table__, target.department_id, "department_id"),
                                (Service.__table__, target.service_id, "service_id")):
        if value is not None and uow.conn.execute(select(table.c.id).where(
                table.c.id == value, table.c.hall_id == hall_id)).first() is None:
            raise DomainError("target_not_found", N_("No such window, staff member, "
                                                     "department or service here"), field)
    return target
