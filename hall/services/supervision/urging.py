"""催办 (urging): a supervisor urges a window, about one of its cases or its work, with a
note. The ``urge`` event goes to that window's room at once, so its terminal shows it; it
stays there until the window's staff acknowledge it with an answer. Every urging is kept,
with its times and answer, and counted in reports."""
from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update

from hall.domain.access import Actor
from hall.domain.cases import FINISHED, CaseState
from hall.domain.errors import DomainError, Forbidden, NotFound
from hall.domain.i18n import N_
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.store.models import Case, Counter, Urging

SUPERVISORS = ("supervisor", "admin")


def urge(ctx: Context, *, actor: Actor, note: str, counter_id: int | None = None,
         case_number: str | None = None) -> Result:
    """Urge a case (it goes to the window that accepted it) or a window."""
    if not (actor.is_staff and actor.role in SUPERVISORS):
        raise Forbidden(N_("Only supervisors urge"), "authorization")
    note = (note or "").strip()
    if not note:
        raise DomainError("note_required", N_("Say what is urged"), "note")
    if (counter_id is None) == (case_number is None):
        raise DomainError("urge_target", N_("Urge either a case or a window"), "case_number")

    def command(uow: UnitOfWork) -> dict[str, Any]:
        c, k, u = Counter.__table__, Case.__table__, Urging.__table__
        case = None
        window = counter_id
        if case_number is not None:
            case = uow.conn.execute(select(k.c.id, k.c.number, k.c.counter_id, k.c.state).where(
                k.c.hall_id == actor.hall_id,
                k.c.number == case_number.strip().upper())).first()
            if case is None:
                raise DomainError("case_not_found", N_("No case with this number"),
                                  "case_number")
            if case.counter_id is None:
                raise DomainError("urge_target", N_("This case has no window to urge"),
                                  "case_number")
            if CaseState(case.state) in FINISHED:  # concluded: nothing left to hurry
                raise DomainError("case_concluded", N_("This case is concluded: nothing to urge"),
                                  "case_number")
            window = case.counter_id
        counter = uow.conn.execute(select(c.c.id, c.c.staff_id).where(
            c.c.id == window, c.c.hall_id == actor.hall_id)).first()
        if counter is None:
            raise NotFound("counter", "counter_id")
        urging_id = uow.conn.execute(insert(u).values(
            hall_id=actor.hall_id, counter_id=counter.id, case_id=case.id if case else None,
            staff_id=counter.staff_id, note=note, by_id=actor.id, at=uow.now,
        ).returning(u.c.id)).scalar_one()
        return _emit(uow, urging_id, "raised")

    return run(ctx, command)


def acknowledge(ctx: Context, *, urging_id: int, actor: Actor, answer: str) -> Result:
    """The window's staff (or a supervisor) answer the urging; it leaves the terminal."""
    if not actor.is_staff:
        raise Forbidden(N_("Only staff see urgings"), "authorization")
    answer = (answer or "").strip()
    if not answer:
        raise DomainError("answer_required", N_("Give your answer to the urging"), "answer")

    def command(uow: UnitOfWork) -> dict[str, Any]:
        u = Urging.__table__
        row = uow.conn.execute(select(u).where(u.c.id == urging_id)).first()
        if row is None or row.hall_id != actor.hall_id or not _may_see(actor, row):
            raise NotFound("urging", "urging_id")
        if row.acked_at is not None:
            raise DomainError("already_answered", N_("This urging was already answered"),
                              "urging_id")
        uow.conn.execute(update(u).where(u.c.id == row.id).values(
            acked_at=uow.now, acked_by=actor.id, answer=answer))
        return _emit(uow, row.id, "acknowledged")

    return run(ctx, command)


def urgings(ctx: Context, *, actor: Actor, counter_id: int | None = None,
            open_only: bool = True, limit: int = 200) -> list[dict[str, Any]]:
    """Urgings newest first: a window's staff see their window's, supervisors any."""
    if not actor.is_staff:
        raise Forbidden(N_("Only staff see urgings"), "authorization")
    if actor.role not in SUPERVISORS:
        counter_id = actor.counter_id
        if counter_id is None:
            return []

    def query(uow: UnitOfWork) -> list[dict[str, Any]]:
        u = Urging.__table__
        where = [u.c.hall_id == actor.hall_id]
        if counter_id is not None:
            where.append(u.c.counter_id == counter_id)
        if open_only:
            where.append(u.c.acked_at.is_(None))
        rows = uow.conn.execute(select(u).where(*where).order_by(u.c.at.desc(), u.c.id.desc())
                                .limit(limit))
        return [_view(uow, r) for r in rows]

    return read(ctx, query)


def _may_see(actor: Actor, row: Any) -> bool:
    return actor.is_staff and (actor.role in SUPERVISORS or actor.counter_id == row.counter_id)


def _emit(uow: UnitOfWork, urging_id: int, action: str) -> dict[str, Any]:
    u = Urging.__table__
    view = _view(uow, uow.conn.execute(select(u).where(u.c.id == urging_id)).one())
    uow.emit("urge", view["hall_id"], action=action, counter_id=view["counter_id"],
             urging=view)
    return view


def _view(uow: UnitOfWork, r: Any) -> dict[str, Any]:
    number = None
    if r.case_id is not None:
        number = uow.conn.execute(select(Case.number).where(Case.id == r.case_id)).scalar()
    return {"id": r.id, "hall_id": r.hall_id, "counter_id": r.counter_id,
            "case_number": number, "staff_id": r.staff_id, "note": r.note, "by_id": r.by_id,
            "at": r.at.isoformat(), "acked_at": r.acked_at.isoformat() if r.acked_at else None,
            "acked_by": r.acked_by, "answer": r.answer}
