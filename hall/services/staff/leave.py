"""请销假: staff request leave (kind, period, reason) from their terminal; a supervisor other
than themself approves or refuses it; approved leave excuses absence (attendance), hands
the person's posts to the window's B post (the rota and the B person's week show it, and
the window's terminal hears ``rota.cover``), and ends early or on time with 销假.
A pause of a window is never leave (counters/state.py refuses leave words as reasons)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, select, update

from hall.domain.access import Actor
from hall.domain.duty import LEAVE_KINDS, Shift
from hall.domain.errors import DomainError, Forbidden, NotFound
from hall.domain.i18n import N_
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.services.staff import rota
from hall.store.models import Leave, RotaEntry, Staff

L, R, ST = Leave.__table__, RotaEntry.__table__, Staff.__table__
EXCUSING = ("approved", "returned")  # returned: excused until 销假


def request(ctx: Context, actor: Actor, *, kind: str, start: datetime, end: datetime,
            reason: str) -> Result:
    """A staff member asks for leave for themself."""
    if not actor.is_staff:
        raise Forbidden(N_("Sign in first"), "authorization")
    if kind not in LEAVE_KINDS:
        raise DomainError("invalid_leave_kind", N_("Not a kind of leave: %(kind)s"), "kind",
                          kind=kind)
    if end <= start:
        raise DomainError("leave_ends_before_it_starts",
                          N_("Leave must end after it starts"), "end")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", N_("Give a reason for the leave"), "reason")

    def command(uow: UnitOfWork) -> dict[str, Any]:
        leave_id = uow.conn.execute(insert(L).values(
            hall_id=actor.hall_id, staff_id=actor.id, kind=kind, start_at=start, end_at=end,
            reason=reason, state="pending", requested_at=uow.now).returning(L.c.id)).scalar_one()
        uow.emit("leave.requested", actor.hall_id, leave_id=leave_id, staff_id=actor.id)
        return _view(_row(uow, actor.hall_id, leave_id))

    return run(ctx, command)


def decide(ctx: Context, actor: Actor, leave_id: int, *, approve: bool,
           note: str | None = None) -> Result:
    """A supervisor approves or refuses a pending request (never their own)."""
    rota.require_supervisor(actor)

    def command(uow: UnitOfWork) -> dict[str, Any]:
        row = _row(uow, actor.hall_id, leave_id, lock=True)
        if row.staff_id == actor.id:
            raise DomainError("own_leave", N_("Someone else must decide on your own leave"),
                              "leave_id")
        if row.state != "pending":
            raise DomainError("leave_decided", N_("This leave request was already decided"),
                              "leave_id")
        state = "approved" if approve else "refused"
        uow.conn.execute(update(L).where(L.c.id == row.id).values(
            state=state, decided_by=actor.id, decided_at=uow.now, note=note))
        after = _row(uow, actor.hall_id, leave_id)
        uow.emit("leave.decided", actor.hall_id, leave_id=row.id, staff_id=row.staff_id,
                 state=state)
        if approve:
            _announce_covers(uow, after)
        return _view(after)

    return run(ctx, command)


def return_from(ctx: Context, actor: Actor, leave_id: int) -> Result:
    """销假: the person (or a supervisor) ends approved leave now; their posts are theirs
    again from this moment. Leave not yet begun that is withdrawn is cancelled."""

    if not actor.is_staff:
        raise Forbidden(N_("Sign in first"), "authorization")

    def command(uow: UnitOfWork) -> dict[str, Any]:
        row = _row(uow, actor.hall_id, leave_id, lock=True)
        if row.staff_id != actor.id:
            rota.require_supervisor(actor)
        if row.state == "pending":
            values = {"state": "cancelled"}
        elif row.state == "approved":
            values = {"state": "returned", "returned_at": max(row.start_at, uow.now)}
        else:
            raise DomainError("leave_decided", N_("This leave is not open"), "leave_id")
        uow.conn.execute(update(L).where(L.c.id == row.id).values(**values))
        after = _row(uow, actor.hall_id, leave_id)
        uow.emit("leave.returned", actor.hall_id, leave_id=row.id, staff_id=row.staff_id,
                 state=after.state)
        if row.state == "approved":
            _announce_covers(uow, after)
        return _view(after)

    return run(ctx, command)


def list_leave(ctx: Context, actor: Actor, *, mine: bool = False,
               state: str | None = None) -> list[dict[str, Any]]:
    """Requests of the hall (supervisors) or the actor's own, newest first."""
    if not mine:
        rota.require_supervisor(actor)

    def query(uow: UnitOfWork) -> list[dict[str, Any]]:
        stmt = (select(L, ST.c.name).join(ST, ST.c.id == L.c.staff_id)
                .where(L.c.hall_id == actor.hall_id).order_by(L.c.id.desc()).limit(200))
        if mine:
            stmt = stmt.where(L.c.staff_id == actor.id)
        if state:
            stmt = stmt.where(L.c.state == state)
        return [_view(r) | {"name": r.name} for r in uow.conn.execute(stmt)]

    return read(ctx, query)


def _row(uow: UnitOfWork, hall_id: int, leave_id: int, lock: bool = False) -> Any:
    stmt = select(L).where(L.c.id == leave_id, L.c.hall_id == hall_id)
    row = uow.conn.execute(stmt.with_for_update() if lock else stmt).first()
    if row is None:
        raise NotFound("leave", "leave_id")
    return row


def _view(r: Any) -> dict[str, Any]:
    return {"id": r.id, "staff_id": r.staff_id, "kind": r.kind,
            "start": r.start_at.isoformat(), "end": r.end_at.isoformat(), "reason": r.reason,
            "state": r.state, "decided_by": r.decided_by,
            "decided_at": r.decided_at.isoformat() if r.decided_at else None, "note": r.note,
            "returned_at": r.returned_at.isoformat() if r.returned_at else None}


# --- what leave means for the rota and attendance -----------------------------------------

def away(uow: UnitOfWork, staff_ids: list[int], start: datetime, end: datetime
         ) -> dict[int, list[tuple[datetime, datetime]]]:
    """Each person's excused spells (approved leave, up to 销假) that touch [start, end)."""
    if not staff_ids:
        return {}
    ends = L.c.returned_at
    rows = uow.conn.execute(select(L.c.staff_id, L.c.start_at, L.c.end_at, ends).where(
        L.c.staff_id.in_(staff_ids), L.c.state.in_(EXCUSING), L.c.start_at < end,
        L.c.end_at > start, or_(ends.is_(None), ends > start)))
    out: dict[int, list[tuple[datetime, datetime]]] = {}
    for staff_id, s, e, returned in rows:
        out.setdefault(staff_id, []).append((s, min(e, returned) if returned else e))
    return out


def on_leave(spells: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> bool:
    """Leave covers a shift when it overlaps it (a half-day's leave excuses the shift)."""
    return any(s < end and e > start for s, e in spells)


def covers(uow: UnitOfWork, hall_id: int, rows: list[Any], shifts: dict[str, Shift]
           ) -> dict[int, dict[str, Any]]:
    """Rota rows whose person is on leave → who holds the post instead: the B post of the
    same window and shift for an A post ({"staff_id": None} when there is none, or for a
    B post)."""
    if not rows:
        return {}
    from hall.services import repo

    zone = repo.hall_row(uow.conn, hall_id).timezone
    spans = {r.id: shifts[r.shift].span(r.day, zone) for r in rows if r.shift in shifts}
    first = min(s for s, _ in spans.values()) if spans else None
    last = max(e for _, e in spans.values()) if spans else None
    if first is None:
        return {}
    leave = away(uow, sorted({r.staff_id for r in rows}), first, last)
    b_post = {(r.counter_id, r.day, r.shift): r for r in rows if r.post == "B"}
    out: dict[int, dict[str, Any]] = {}
    for r in rows:
        if r.id not in spans or not on_leave(leave.get(r.staff_id, []), *spans[r.id]):
            continue
        b = b_post.get((r.counter_id, r.day, r.shift)) if r.post == "A" else None
        b_away = b is not None and on_leave(leave.get(b.staff_id, []), *spans[r.id])
        out[r.id] = ({"staff_id": b.staff_id, "name": b.name} if b is not None and not b_away
                     else {"staff_id": None, "name": None})
    return out


def _announce_covers(uow: UnitOfWork, leave_row: Any) -> None:
    """Tell each window whose A post the leave hands over (its terminal shows who covers)."""
    hall_id = leave_row.hall_id
    day = timedelta(days=1)  # the leave's UTC dates ± a day hold every local day it touches
    rows = [r for r in rota.entries(uow, hall_id, leave_row.start_at.date() - day,
                                    leave_row.end_at.date() + day)
            if r.staff_id == leave_row.staff_id or r.post == "B"]
    shifts = rota.hall_shifts(uow, hall_id)
    for row_id, cover in covers(uow, hall_id, rows, shifts).items():
        r = next(x for x in rows if x.id == row_id)
        uow.emit("rota.cover", hall_id, counter_id=r.counter_id, day=r.day.isoformat(),
                 shift=r.shift, post=r.post, staff_id=r.staff_id,
                 cover_staff_id=cover["staff_id"], cover_name=cover["name"],
                 leave_id=leave_row.id, state=leave_row.state)
