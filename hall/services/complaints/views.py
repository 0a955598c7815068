"""Complaints as plain dicts: the supervisors' view (everything but the phone number) and
the complainant's (their own words, the state, the reply; never who handled it inside)."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from hall.domain.errors import NotFound
from hall.services import repo
from hall.services.context import UnitOfWork
from hall.store.models import (
    Admonition,
    Case,
    Complaint,
    Counter,
    Department,
    Service,
    Staff,
    Ticket,
)


def today(uow: UnitOfWork, hall_id: int) -> date:
    return repo.hall_config(uow, hall_id).settings.local(uow.now).date()


def select_complaints():
    c, k, t, cs = (Complaint.__table__, Counter.__table__, Ticket.__table__, Case.__table__)
    d, s = Department.__table__, Service.__table__
    staff, handler = Staff.__table__.alias("target_staff"), Staff.__table__.alias("handler")
    a = Admonition.__table__
    admonished = (select(func.count()).select_from(a).where(  # 效能告诫 it is the ground of
        a.c.hall_id == c.c.hall_id, a.c.evidence_kind == "complaint",
        a.c.evidence_ref == c.c.number, a.c.withdrawn_at.is_(None))
        .correlate(c).scalar_subquery().label("admonished"))
    return select(c, admonished, k.c.number.label("counter_number"),
                  t.c.number.label("ticket_number"),
                  cs.c.number.label("case_number"), d.c.name.label("department_name"),
                  s.c.name.label("service_name"), staff.c.name.label("staff_name"),
                  handler.c.name.label("handler_name")).select_from(
        c.outerjoin(k, k.c.id == c.c.counter_id)
         .outerjoin(t, t.c.id == c.c.ticket_id)
         .outerjoin(cs, cs.c.id == c.c.case_id)
         .outerjoin(d, d.c.id == c.c.department_id)
         .outerjoin(s, s.c.id == c.c.service_id)
         .outerjoin(staff, staff.c.id == c.c.staff_id)
         .outerjoin(handler, handler.c.id == c.c.handler_id))


def row_by(uow: UnitOfWork, *, complaint_id: int | None = None, token: str | None = None,
           hall_id: int | None = None) -> Any:
    c = Complaint.__table__
    where = c.c.id == complaint_id if complaint_id is not None else c.c.token == token
    row = uow.conn.execute(select_complaints().where(where)).first()
    if row is None or (hall_id is not None and row.hall_id != hall_id):
        raise NotFound("complaint", "complaint")
    return row


def supervisor_view(row: Any, on: date) -> dict[str, Any]:
    return {
        "id": row.id, "hall_id": row.hall_id, "number": row.number, "source": row.source,
        "work_order": row.work_order, "category": row.category, "text": row.text,
        "ticket_id": row.ticket_id, "ticket_number": row.ticket_number,
        "case_number": row.case_number, "counter_id": row.counter_id,
        "counter_number": row.counter_number, "staff_id": row.staff_id,
        "staff_name": row.staff_name, "department_id": row.department_id,
        "department_name": row.department_name, "service_id": row.service_id,
        "service_name": row.service_name, "anonymous": row.anonymous,
        "phone": row.phone_masked or None, "state": row.state,
        "handler_id": row.handler_id, "handler_name": row.handler_name,
        "received_at": row.received_at.isoformat(), "due_date": row.due_date.isoformat(),
        "overdue": row.state in ("received", "handling") and on > row.due_date,
        "reply": row.reply, "replied_at": row.replied_at.isoformat() if row.replied_at else None,
        "satisfied": row.satisfied, "reopened": row.reopened, "upheld": row.upheld,
        "admonished": row.admonished or 0,
        "closed_at": row.closed_at.isoformat() if row.closed_at else None,
        "history": list(row.history or []),
    }


def public_view(row: Any) -> dict[str, Any]:
    """What the complainant's page shows: enough to follow it, nothing about the staff."""
    return {
        "number": row.number, "token": row.token, "category": row.category,
        "text": row.text, "state": row.state, "received_at": row.received_at.isoformat(),
        "due_date": row.due_date.isoformat(), "reply": row.reply,
        "replied_at": row.replied_at.isoformat() if row.replied_at else None,
        "satisfied": row.satisfied, "reopened": row.reopened,
        "can_answer": row.state == "replied" and row.satisfied is None,
    }
