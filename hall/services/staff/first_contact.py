"""首问负责: the 咨询/导办 desk logs every inquiry — who was asked first (the signed-in staff
member), the visitor's question and its service, the answer or referral, the window the
visitor was handed to, and the ticket taken on their behalf (代取号). That ticket carries
its first-contact staff member (``tickets.first_staff_id``), which the window serving it
sees on its terminal; ``counts`` gives each staff member's inquiries for reports."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update

from hall.domain.access import Actor
from hall.domain.errors import DomainError, Forbidden
from hall.domain.i18n import N_
from hall.services import repo
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.services.queue.tickets import issue_in
from hall.store.models import Counter, Inquiry, Staff, Ticket

Q, C, ST, T = Inquiry.__table__, Counter.__table__, Staff.__table__, Ticket.__table__


def log(ctx: Context, actor: Actor, *, question: str, answer: str = "",
        service: str | None = None, counter: int | None = None,
        take_ticket: bool = False) -> Result:
    """One inquiry, answered by ``actor`` (the first contact); ``take_ticket`` takes a
    ticket of ``service`` for the visitor, in the same transaction."""
    if not actor.is_staff:
        raise Forbidden(N_("Sign in first"), "authorization")
    question, answer = (question or "").strip(), (answer or "").strip()
    if not question:
        raise DomainError("question_required", N_("Write down the visitor's question"),
                          "question")
    if take_ticket and not service:
        raise DomainError("service_required", N_("Choose the service to take a number for"),
                          "service")

    def command(uow: UnitOfWork) -> dict[str, Any]:
        svc = repo.service_row(uow.conn, actor.hall_id, service) if service else None
        counter_id = None
        if counter is not None:
            counter_id = uow.conn.execute(select(C.c.id).where(
                C.c.hall_id == actor.hall_id, C.c.number == counter)).scalar()
            if counter_id is None:
                raise DomainError("counter_not_found", N_("No counter %(number)s"), "counter",
                                  number=counter)
        ticket = None
        if take_ticket:
            ticket = issue_in(uow, hall_id=actor.hall_id, service=svc.id, actor=actor)
            uow.conn.execute(update(T).where(T.c.id == ticket["id"])
                             .values(first_staff_id=actor.id))
        inquiry_id = uow.conn.execute(insert(Q).values(
            hall_id=actor.hall_id, staff_id=actor.id, at=uow.now,
            service_id=svc.id if svc else None, question=question, answer=answer,
            counter_id=counter_id, ticket_id=ticket["id"] if ticket else None,
        ).returning(Q.c.id)).scalar_one()
        return {"id": inquiry_id, "staff_id": actor.id, "service": svc.code if svc else None,
                "question": question, "answer": answer, "counter": counter,
                "ticket": ({"id": ticket["id"], "number": ticket["number"],
                            "token": ticket["token"]} if ticket else None)}

    return run(ctx, command)


def counts(ctx: Context, hall_id: int, start: date, end: date) -> list[dict[str, Any]]:
    """Per staff member: inquiries answered first and tickets taken for visitors, in the
    hall's local days [start, end]."""

    def query(uow: UnitOfWork) -> list[dict[str, Any]]:
        hall = repo.settings_of(repo.hall_row(uow.conn, hall_id))
        zone = hall.local(uow.now).tzinfo
        lo = datetime.combine(start, time(), zone)
        hi = datetime.combine(end + timedelta(days=1), time(), zone)
        rows = uow.conn.execute(
            select(Q.c.staff_id, ST.c.name, func.count(), func.count(Q.c.ticket_id))
            .join(ST, ST.c.id == Q.c.staff_id)
            .where(Q.c.hall_id == hall_id, Q.c.at >= lo, Q.c.at < hi)
            .group_by(Q.c.staff_id, ST.c.name).order_by(Q.c.staff_id))
        return [{"staff_id": s, "name": n, "inquiries": q, "tickets_taken": t}
                for s, n, q, t in rows]

    return read(ctx, query)


def recent(ctx: Context, actor: Actor, limit: int = 50) -> list[dict[str, Any]]:
    """The desk's latest inquiries (the page's log)."""
    if not actor.is_staff:
        raise Forbidden(N_("Sign in first"), "authorization")

    def query(uow: UnitOfWork) -> list[dict[str, Any]]:
        rows = uow.conn.execute(
            select(Q, ST.c.name, T.c.number.label("ticket_number"),
                   C.c.number.label("counter_number"))
            .join(ST, ST.c.id == Q.c.staff_id).outerjoin(T, T.c.id == Q.c.ticket_id)
            .outerjoin(C, C.c.id == Q.c.counter_id)
            .where(Q.c.hall_id == actor.hall_id).order_by(Q.c.id.desc()).limit(limit))
        return [{"id": r.id, "at": r.at.isoformat(), "staff": r.name, "question": r.question,
                 "answer": r.answer, "counter": r.counter_number, "ticket": r.ticket_number}
                for r in rows]

    return read(ctx, query)
