"""Issuing and cancelling tickets."""
from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select, update

from hall.domain.access import Actor, require
from hall.domain.errors import DomainError, ServiceUnavailable
from hall.domain.i18n import N_
from hall.domain.lifecycle import Action, next_state
from hall.domain.numbering import format_number
from hall.services import repo
from hall.services.context import Context, Result, UnitOfWork, run
from hall.services.views import estimate_for, public_ticket
from hall.store import hot
from hall.store.models import Appointment, Ticket

KINDS = ("normal", "priority", "appointment")


def issue(ctx: Context, *, hall_id: int, service: int | str, actor: Actor,
          kind: str = "normal", priority_reason: str | None = None,
          appointment_code: str | None = None) -> Result:
    """Issue a ticket: check hours and quota, take the next number, all in one transaction."""

    def command(uow: UnitOfWork) -> dict[str, Any]:
        require(actor, "issue")
        conn, now = uow.conn, uow.now
        config = repo.hall_config(uow, hall_id)
        hall_row, hall = config.row, config.settings
        svc_row = repo.service_cached(uow, hall_id, service)
        svc = repo.service_info(svc_row)
        local_now = hall.local(now)
        svc.check_open(local_now, config.calendar.is_workday)
        t_kind, reason, appt = _kind(conn, hall_row, svc.id, kind, priority_reason,
                                     appointment_code, now)
        day = local_now.date()
        if repo.take_quota(conn, svc.id, day, svc.daily_quota) is None:
            raise ServiceUnavailable("quota_exceeded",
                                     N_("Today's %(quota)d tickets for %(service)s are all taken"),
                                     quota=svc.daily_quota or 0, service=svc.name)
        seq = repo.next_number(conn, hall_id, svc.prefix, day)
        values = dict(hall_id=hall_id, service_id=svc.id, day=day, prefix=svc.prefix,
                      seq_no=seq, number=format_number(svc.prefix, seq),
                      token=secrets.token_urlsafe(12), kind=t_kind, priority_reason=reason,
                      appointment_at=appt.slot_start if appt is not None else None,
                      state="waiting", issued_at=now, queued_at=now, issued_by=actor.audit())
        ticket_id = hot.INSERT_TICKET(conn, **values, target_counter_id=None, parent_id=None,
                                      recalls=0, fee_cents=0).scalar_one()
        values["id"] = ticket_id
        if appt is not None:
            conn.execute(update(Appointment).where(Appointment.id == appt.id)
                         .values(state="checked_in", ticket_id=ticket_id))
        # no history row: issued_at/issued_by on the ticket and the event log record it
        view = public_ticket(values, svc_row)
        view.update(estimate_for(conn, values, svc_row, uow.ctx.cache))
        uow.emit("ticket.issued", hall_id, ticket=_event_view(view))
        return view

    return run(ctx, command)


def _event_view(view: dict[str, Any]) -> dict[str, Any]:
    """The ticket as broadcast to the hall: never the token, which is the phone page's key."""
    return {k: v for k, v in view.items() if k != "token"}


def _kind(conn, hall_row, service_id: int, kind: str, priority_reason: str | None,
          appointment_code: str | None, now) -> tuple[str, str | None, Any]:
    if kind not in KINDS:
        raise DomainError("invalid_kind", N_("Unknown ticket kind %(kind)s"), "kind", kind=kind)
    if kind == "priority":
        allowed = (hall_row.settings or {}).get("priority_reasons") or []
        if not priority_reason:
            raise DomainError("reason_required", N_("A green-channel ticket needs a reason"),
                              "priority_reason")
        if allowed and priority_reason not in allowed:
            raise DomainError("invalid_reason", N_("Not a green-channel reason: %(reason)s"),
                              "priority_reason", reason=priority_reason)
        return kind, priority_reason, None
    if kind == "appointment" or appointment_code:
        return _check_in(conn, hall_row, service_id, appointment_code, now)
    return "normal", None, None


def _check_in(conn, hall_row, service_id: int, code: str | None, now) -> tuple[str, None, Any]:
    """Appointment check-in: on time → appointment ticket; too late → a normal ticket."""
    if not code:
        raise DomainError("code_required", N_("Enter the appointment code"), "appointment_code")
    appt = conn.execute(select(Appointment.__table__).where(
        Appointment.code == code, Appointment.hall_id == hall_row.id)).first()
    if appt is None or appt.service_id != service_id:
        raise DomainError("appointment_not_found", N_("No appointment with this code here"),
                          "appointment_code")
    if appt.state != "booked":
        raise DomainError("appointment_used", N_("This appointment was already %(state)s"),
                          "appointment_code", state=appt.state)
    s = hall_row.settings or {}
    early = s.get("appointment_early_minutes", 30) * 60
    late = s.get("appointment_late_minutes", 15) * 60
    delta = (appt.slot_start - now).total_seconds()
    if delta > early:
        raise DomainError("appointment_too_early",
                          N_("Too early: check in from %(minutes)d minutes before your slot"),
                          "appointment_code", minutes=early // 60)
    kind = "normal" if -delta > late else "appointment"
    return kind, None, appt


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


def people_ahead(conn, ticket: dict[str, Any]) -> int:
    """Waiting tickets of the same service that will be called first (see store.hot)."""
    stmt = hot.AHEAD_OF_PRIORITY if ticket["kind"] == "priority" else hot.AHEAD_OF_NORMAL
    return stmt(conn, service_id=ticket["service_id"], queued_at=ticket["queued_at"],
                id=ticket["id"]).scalar_one()
