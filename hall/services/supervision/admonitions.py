"""效能告诫 (admonitions): a supervisor records a 提醒, 告诫 or 通报批评 against a staff member
or a department, with a reason and the evidence it points at (an alert, a bad review, a
case, a complaint found upheld (its number), or none: by hand). The person sees it on their
terminal (the event goes to the window they are signed in at) and acknowledges it there.
Never deleted: withdrawn only with a reason. Issuing and withdrawing are audited."""
from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update

from hall.domain.access import Actor
from hall.domain.errors import DomainError, Forbidden, NotFound
from hall.domain.i18n import N_
from hall.services.config import audit
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.store.models import Admonition, Complaint, Counter, Department, Staff

SUPERVISORS = ("supervisor", "admin")
LEVELS = {"reminder": N_("Reminder (提醒)"), "admonition": N_("Admonition (告诫)"),
          "criticism": N_("Public criticism (通报批评)")}
EVIDENCE = ("alert", "rating", "case", "complaint")


def issue(ctx: Context, *, actor: Actor, level: str, reason: str,
          staff_id: int | None = None, department_id: int | None = None,
          evidence_kind: str | None = None, evidence_ref: str | None = None) -> Result:
    _supervisor(actor)
    reason = (reason or "").strip()
    if level not in LEVELS:
        raise DomainError("invalid_level", N_("Unknown level %(level)s"), "level", level=level)
    if not reason:
        raise DomainError("reason_required", N_("Give the reason for the admonition"),
                          "reason")
    if (staff_id is None) == (department_id is None):
        raise DomainError("admonition_target", N_("Name a staff member or a department"),
                          "staff_id")
    if evidence_kind is not None and evidence_kind not in EVIDENCE:
        raise DomainError("invalid_evidence", N_("Unknown evidence %(kind)s"), "evidence_kind",
                          kind=evidence_kind)

    def command(uow: UnitOfWork) -> dict[str, Any]:
        if evidence_kind == "complaint":
            _check_complaint(uow, actor.hall_id, evidence_ref)
        if staff_id is not None:
            found = uow.conn.execute(select(Staff.id).where(
                Staff.id == staff_id, Staff.hall_id == actor.hall_id)).scalar()
            if found is None:
                raise NotFound("staff", "staff_id")
        else:
            found = uow.conn.execute(select(Department.id).where(
                Department.id == department_id, Department.hall_id == actor.hall_id)).scalar()
            if found is None:
                raise NotFound("department", "department_id")
        a = Admonition.__table__
        new_id = uow.conn.execute(insert(a).values(
            hall_id=actor.hall_id, level=level, staff_id=staff_id, department_id=department_id,
            reason=reason, evidence_kind=evidence_kind, evidence_ref=evidence_ref,
            issued_by=actor.id, issued_at=uow.now).returning(a.c.id)).scalar_one()
        view = _emit(uow, new_id, "issued")
        audit.record(uow, actor, "create", "admonition", new_id, after=_audited(view),
                     hall_id=actor.hall_id, whole=True)
        return view

    return run(ctx, command)


def acknowledge(ctx: Context, *, admonition_id: int, actor: Actor) -> Result:
    """The person it is against says they have read it (a department's: any of its
    supervisors' — here, a supervisor of the hall)."""
    if not actor.is_staff:
        raise Forbidden(N_("Only staff see admonitions"), "authorization")

    def command(uow: UnitOfWork) -> dict[str, Any]:
        row = _row(uow, admonition_id, actor)
        if row.staff_id is not None and row.staff_id != actor.id:
            raise NotFound("admonition", "admonition_id")  # not theirs: as if not there
        if row.staff_id is None and actor.role not in SUPERVISORS:
            raise NotFound("admonition", "admonition_id")
        if row.withdrawn_at is not None:
            raise DomainError("withdrawn", N_("This admonition was withdrawn"), "admonition_id")
        if row.acked_at is not None:
            raise DomainError("already_acknowledged", N_("This admonition was already "
                                                         "acknowledged"), "admonition_id")
        a = Admonition.__table__
        uow.conn.execute(update(a).where(a.c.id == row.id).values(acked_at=uow.now))
        return _emit(uow, row.id, "acknowledged")

    return run(ctx, command)


def withdraw(ctx: Context, *, admonition_id: int, actor: Actor, reason: str) -> Result:
    _supervisor(actor)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", N_("Give the reason for the withdrawal"),
                          "reason")

    def command(uow: UnitOfWork) -> dict[str, Any]:
        row = _row(uow, admonition_id, actor)
        if row.withdrawn_at is not None:
            raise DomainError("withdrawn", N_("This admonition was withdrawn"), "admonition_id")
        a = Admonition.__table__
        uow.conn.execute(update(a).where(a.c.id == row.id).values(
            withdrawn_at=uow.now, withdrawn_by=actor.id, withdraw_reason=reason))
        before = _audited(_view(uow, row))
        view = _emit(uow, row.id, "withdrawn")
        audit.record(uow, actor, "withdraw", "admonition", row.id, before=before,
                     after=_audited(view), hall_id=actor.hall_id)
        return view

    return run(ctx, command)


def admonitions(ctx: Context, *, actor: Actor, mine: bool = False,
                limit: int = 200) -> list[dict[str, Any]]:
    """Supervisors: every admonition of the hall, newest first; anyone: ``mine``."""
    if not actor.is_staff:
        raise Forbidden(N_("Only staff see admonitions"), "authorization")
    mine = mine or actor.role not in SUPERVISORS

    def query(uow: UnitOfWork) -> list[dict[str, Any]]:
        a = Admonition.__table__
        where = [a.c.hall_id == actor.hall_id]
        if mine:
            where.append(a.c.staff_id == actor.id)
        rows = uow.conn.execute(select(a).where(*where)
                                .order_by(a.c.issued_at.desc(), a.c.id.desc()).limit(limit))
        return [_view(uow, r) for r in rows]

    return read(ctx, query)


def _check_complaint(uow: UnitOfWork, hall_id: int, number: str | None) -> None:
    """A complaint as evidence (issue 19): one of this hall's, by its number, found upheld
    (属实) — an unfounded or undecided complaint is no ground for an admonition."""
    c = Complaint.__table__
    upheld = uow.conn.execute(select(c.c.upheld).where(
        c.c.hall_id == hall_id, c.c.number == (number or "").strip())).first()
    if upheld is None:
        raise NotFound("complaint", "evidence_ref")
    if upheld.upheld is not True:
        raise DomainError("complaint_not_upheld", N_("Only a complaint found upheld (属实) is "
                                                     "grounds for an admonition"),
                          "evidence_ref")


def _supervisor(actor: Actor) -> None:
    if not (actor.is_staff and actor.role in SUPERVISORS):
        raise Forbidden(N_("Only supervisors issue or withdraw admonitions"), "authorization")


def _row(uow: UnitOfWork, admonition_id: int, actor: Actor) -> Any:
    a = Admonition.__table__
    row = uow.conn.execute(select(a).where(a.c.id == admonition_id)).first()
    if row is None or row.hall_id != actor.hall_id:
        raise NotFound("admonition", "admonition_id")
    return row


def _emit(uow: UnitOfWork, admonition_id: int, action: str) -> dict[str, Any]:
    a = Admonition.__table__
    view = _view(uow, uow.conn.execute(select(a).where(a.c.id == admonition_id)).one())
    # to the window the person is signed in at, so their terminal shows it at once
    counter = None
    if view["staff_id"] is not None:
        counter = uow.conn.execute(select(Counter.id).where(
            Counter.staff_id == view["staff_id"])).scalar()
    uow.emit("admonition", view["hall_id"], action=action, counter_id=counter,
             admonition=view)
    return view


def _view(uow: UnitOfWork, r: Any) -> dict[str, Any]:
    def iso(x):
        return x.isoformat() if x else None

    return {"id": r.id, "hall_id": r.hall_id, "level": r.level, "staff_id": r.staff_id,
            "department_id": r.department_id, "reason": r.reason,
            "evidence_kind": r.evidence_kind, "evidence_ref": r.evidence_ref,
            "issued_by": r.issued_by, "issued_at": iso(r.issued_at),
            "acked_at": iso(r.acked_at), "withdrawn_at": iso(r.withdrawn_at),
            "withdraw_reason": r.withdraw_reason}


def _audited(view: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in view.items() if k != "hall_id"}
