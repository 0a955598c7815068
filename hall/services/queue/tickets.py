"""Issuing and cancelling tickets (normal, 绿色通道 priority, appointment check-in)."""
from __future__ import annotations

import logging
import secrets
from typing import Any

from sqlalchemy import select, update

from hall.domain.access import Actor, require
from hall.domain.errors import DomainError, ServiceUnavailable
from hall.domain.i18n import N_
from hall.domain.lifecycle import Action, next_state
from hall.domain.numbering import format_number
from hall.domain.personal import keyed_hash, mask_name, normalize_id_number
from hall.domain.slots import check_in_kind
from hall.services import repo
from hall.services.context import Context, Result, UnitOfWork, run
from hall.services.devices import health as devices
from hall.services.queue import chains, limits, notify, standing
from hall.services.views import iso, public_ticket
from hall.store import hot
from hall.store.models import Appointment, Ticket

log = logging.getLogger(__name__)
KINDS = ("normal", "priority", "appointment")
EARLY_MINUTES, LATE_MINUTES = 30, 15  # check-in window unless the hall's settings say


def issue(ctx: Context, *, hall_id: int, service: int | str, actor: Actor,
          kind: str = "normal", priority_reason: str | None = None,
          appointment_code: str | None = None, id_number: str | None = None,
          phone: str | None = None, holder: str | None = None,
          holder_title: str = "", person: str | None = None,
          holder_masked: str | None = None) -> Result:
    """Issue a ticket: check hours, quota and personal limit, take the next number, all in
    one transaction. ``id_number`` is hashed at once and never stored or logged. ``phone``
    (optional) is followed for near-turn messages; a malformed one does not stop the
    ticket: the answer's ``notify.error`` says what was wrong. ``holder`` is the name read
    from an ID card, kept masked (张*, with ``holder_title`` 先生/女士) for calling by name.
    ``person`` and ``holder_masked`` are the same, already hashed and masked (a sealed card,
    hall/services/queue/idcard.py)."""
    holder = mask_name(holder) + holder_title if holder else holder_masked
    person = person_hash(ctx.secret, id_number) if id_number else person

    def command(uow: UnitOfWork) -> dict[str, Any]:
        require(actor, "issue")  # before any lookup: a refused device learns nothing
        appt = None
        if kind == "appointment" or appointment_code:
            appt = appointment_by_code(uow.conn, hall_id, appointment_code)
        view = issue_in(uow, hall_id=hall_id, service=service, actor=actor, kind=kind,
                        priority_reason=priority_reason, appointment=appt,
                        person=person, holder=holder)
        if phone:
            view["notify"] = follow(uow, view["id"], phone,
                                    actor.id if actor.kind == "device" else None)
        return view

    return run(ctx, command)


def follow(uow: UnitOfWork, ticket_id: int, phone: str,
           device_id: int | None = None) -> dict[str, Any]:
    """Follow the new ticket by SMS; a refusal (bad number, SMS off, the per-phone limit)
    is told, logged and counted (in the health of the kiosk it was typed at), and the
    ticket stands."""
    row = uow.conn.execute(select(Ticket.__table__).where(Ticket.id == ticket_id)).first()
    try:
        with uow.conn.begin_nested():
            return notify.subscribe_in(uow, row, channel="sms", phone=phone)
    except DomainError as exc:
        log.info("near-turn notice not set for ticket %s: %s", ticket_id, exc.code)
        if device_id is not None:
            devices.count_in(uow, device_id, exc.code, exc.message)
        return {"error": {"code": exc.code, "message": exc.message, "field": exc.field,
                          "params": dict(exc.params)}}


def person_hash(secret: bytes, id_number: str) -> str:
    """The keyed hash that stands for a person (the ID number is checked first: 422)."""
    return keyed_hash(secret, "id", normalize_id_number(id_number))


def issue_in(uow: UnitOfWork, *, hall_id: int, service: int | str, actor: Actor,
             kind: str = "normal", priority_reason: str | None = None,
             appointment: Any = None, person: str | None = None,
             appointment_field: str = "appointment_code",
             holder: str | None = None) -> dict[str, Any]:
    """The issue command inside a unit of work (appointment check-in shares it).

    ``appointment`` is the locked appointment row being checked in, if any; errors about
    it name ``appointment_field`` (the request field that found it). ``holder`` is the
    holder's name, already masked (张*女士).
    """
    require(actor, "issue")
    conn, now = uow.conn, uow.now
    config = repo.hall_config(uow, hall_id)
    hall_row, hall = config.row, config.settings
    svc_row, svc = repo.service_cached_info(uow, hall_id, service)
    # 多窗联办: the number is the chain's (its prefix, quota, hours, limit); the line is its
    # first step's
    line_row = chains.first_service(uow, hall_id, svc_row) if svc_row.chain else svc_row
    local_now = hall.local(now)
    svc.check_open(local_now, config.calendar.is_workday, config.calendar.extended_hours)
    t_kind, reason = _kind(hall_row, svc.id, kind, priority_reason, appointment, now,
                           appointment_field)
    day = local_now.date()
    if appointment is not None and person is None:
        person = appointment.person_hash
    if appointment is not None and holder is None:  # the name given when booking
        holder = appointment.holder_masked
    _take_person_limit(conn, svc_row, person, day, required=appointment is None)
    if repo.take_quota(conn, svc.id, day, svc.daily_quota) is None:
        raise ServiceUnavailable("quota_exceeded",
                                 N_("Today's %(quota)d tickets for %(service)s are all taken"),
                                 quota=svc.daily_quota or 0, service=svc.name)
    seq = repo.next_number(conn, hall_id, svc.prefix, day)
    on_time = t_kind == "appointment"
    values = dict(hall_id=hall_id, service_id=line_row.id, day=day, prefix=svc.prefix,
                  seq_no=seq, number=format_number(svc.prefix, seq),
                  token=secrets.token_urlsafe(12), kind=t_kind, priority_reason=reason,
                  appointment_at=appointment.slot_start if on_time else None,
                  state="waiting", issued_at=now, queued_at=now, issued_by=actor.audit())
    ticket_id = hot.INSERT_TICKET(conn, **values, target_counter_id=None, parent_id=None,
                                  recalls=0, fee_cents=0).scalar_one()
    values["id"] = ticket_id
    if person is not None or holder or svc_row.chain:  # rare: the hot insert stays as it is
        conn.execute(update(Ticket).where(Ticket.id == ticket_id).values(
            person_hash=person, holder_masked=holder[:20] if holder else None,
            chain_id=svc_row.id if svc_row.chain else None))
        values.update(chain_id=svc_row.id if svc_row.chain else None, step=1)
    if appointment is not None:
        _mark_checked_in(conn, appointment.id, ticket_id, appointment_field)
    # no history row: issued_at/issued_by on the ticket and the event log record it
    view = public_ticket(values, line_row)
    if svc_row.chain:
        view["chain"] = chains.position(uow, values)
    view.update(standing.newcomer_estimate(uow, values, line_row))
    uow.emit("ticket.issued", hall_id,
             ticket=_event_view(view, repo.department_cached(uow, line_row.department_id)))
    if appointment is not None:  # for the visitor only, never broadcast
        view["appointment"] = {"slot_start": iso(hall.local(appointment.slot_start)),
                               "slot_end": iso(hall.local(appointment.slot_end)),
                               "late": not on_time}
    return view


def _event_view(view: dict[str, Any], department: dict[str, Any] | None) -> dict[str, Any]:
    """The ticket as broadcast to the hall: never the token, which is the phone page's key.
    Its service names its department, so that the region (which sees only the events)
    groups the hall's figures by department as the hall does."""
    shown = {k: v for k, v in view.items() if k != "token"}
    shown["service"] = {**view["service"], "department": department}
    return shown


def _kind(hall_row, service_id: int, kind: str, priority_reason: str | None,
          appointment: Any, now, field: str) -> tuple[str, str | None]:
    if kind not in KINDS:
        raise DomainError("invalid_kind", N_("Unknown ticket kind %(kind)s"), "kind", kind=kind)
    if appointment is not None:
        return _check_in(hall_row, service_id, appointment, now, field), None
    if kind == "priority":
        return kind, _priority_reason(hall_row, priority_reason)
    return "normal", None


def _priority_reason(hall_row, reason: str | None) -> str:
    """绿色通道 needs one of the hall's reasons (``settings.priority_reasons``), whoever
    issues it: a kiosk where the visitor chose it, or reception staff."""
    allowed = (hall_row.settings or {}).get("priority_reasons") or []
    if not reason:
        raise DomainError("reason_required", N_("A green-channel ticket needs a reason"),
                          "priority_reason")
    if reason not in allowed:
        raise DomainError("invalid_reason", N_("Not a green-channel reason: %(reason)s"),
                          "priority_reason", reason=reason)
    return reason


def check_in_window(hall_row) -> tuple[int, int]:
    """(early, late) seconds around a slot's start in which a check-in is on time."""
    s = hall_row.settings or {}
    return (int(s.get("appointment_early_minutes", EARLY_MINUTES)) * 60,
            int(s.get("appointment_late_minutes", LATE_MINUTES)) * 60)


def _check_in(hall_row, service_id: int, appt: Any, now, field: str) -> str:
    """Appointment check-in: on time → appointment ticket; late the same day → normal."""
    if appt.service_id != service_id:
        raise DomainError("appointment_not_found", N_("No appointment with this code here"),
                          field)
    if appt.state != "booked":
        raise DomainError("appointment_used", N_("This appointment was already %(state)s"),
                          field, state=appt.state)
    early, late = check_in_window(hall_row)
    return check_in_kind(appt.slot_start, now, early, late, hall_row.timezone, field)


def appointment_by_code(conn, hall_id: int, code: str | None, field: str = "appointment_code"
                        ) -> Any:
    """The appointment with this code in this hall, locked until the check-in commits."""
    if not code:
        raise DomainError("code_required", N_("Enter the appointment code"), field)
    a = Appointment.__table__
    row = conn.execute(select(a).where(a.c.code == normalize_code(code), a.c.hall_id == hall_id)
                       .with_for_update()).first()
    if row is None:
        raise DomainError("appointment_not_found", N_("No appointment with this code here"),
                          field)
    return row


def normalize_code(code: str) -> str:
    """Codes are typed by people: case, spaces and dashes do not matter."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _mark_checked_in(conn, appointment_id: int, ticket_id: int, field: str) -> None:
    a = Appointment.__table__
    done = conn.execute(update(a).where(a.c.id == appointment_id, a.c.state == "booked")
                        .values(state="checked_in", ticket_id=ticket_id)).rowcount
    if done != 1:  # checked in meanwhile (the row lock makes this rare): never two tickets
        raise DomainError("appointment_used", N_("This appointment was already %(state)s"),
                          field, state="checked_in")


def _take_person_limit(conn, svc_row, person: str | None, day, required: bool) -> None:
    """The per-person daily limit of a service, counted by ID hash in ``person_days``.

    A ticket of a limited service needs the ID number; an appointment check-in without one
    is let through (its booking was already one per phone, service and day).
    """
    limit = svc_row.per_person_limit
    if not limit:
        return
    if person is None:
        if required:
            raise DomainError("id_number_required",
                              N_("%(service)s needs your ID number (one ticket per person)"),
                              "id_number", service=svc_row.name)
        return
    if limits.take_person_day(conn, person, svc_row.id, day, limit) is None:
        raise DomainError("person_limit_reached",
                          N_("You have already taken %(limit)d ticket(s) for %(service)s "
                             "today"), "id_number", limit=limit, service=svc_row.name)


def cancel(ctx: Context, *, hall_id: int, actor: Actor, ticket_id: int | None = None,
           token: str | None = None) -> Result:
    """Cancel a waiting or held ticket (staff, or the visitor holding its token)."""

    def command(uow: UnitOfWork) -> dict[str, Any]:
        t = Ticket.__table__
        key = t.c.token == token if token else t.c.id == ticket_id
        row = uow.conn.execute(select(t).where(t.c.hall_id == hall_id, key)
                               .with_for_update()).first()
        if row is None:
            raise DomainError("ticket_not_found", N_("No such ticket"), "ticket")
        if token is None and not actor.is_staff:  # without the token, only staff may cancel
            require(actor, "cancel")
        new = next_state(row.state, Action.CANCEL)
        uow.conn.execute(update(Ticket).where(Ticket.id == row.id).values(state=new))
        repo.add_history(uow.conn, row.id, uow.now, "cancel", row.state, new, None, actor.audit())
        uow.emit("ticket.cancelled", hall_id, ticket_id=row.id, number=row.number,
                 service_id=row.service_id)
        return {"id": row.id, "number": row.number, "state": new}

    return run(ctx, command)
