"""排班: who holds (post A) and covers (post B, AB岗) each window on each day's shift.

Supervisors set a post (or clear it), copy a week forward as the template of the next ones,
and export or import a week on its own as plain rows (window number, day, shift, post,
login). Nobody is on two posts whose shifts overlap on one day (any window, either post).
Staff read their own week (``week.py``, which also shows who holds a post while its
person is on leave).
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, insert, select

from hall.domain.access import Actor
from hall.domain.duty import POSTS, Shift, shifts_from
from hall.domain.errors import DomainError, Forbidden
from hall.domain.i18n import N_
from hall.services import repo
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.store.models import Counter, RotaEntry, Staff

R, C, ST = RotaEntry.__table__, Counter.__table__, Staff.__table__


def require_supervisor(actor: Actor) -> None:
    if not (actor.is_staff and actor.role in ("supervisor", "admin")):
        raise Forbidden(N_("Only supervisors change the rota"), "authorization")


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def hall_shifts(uow: UnitOfWork, hall_id: int) -> dict[str, Shift]:
    return shifts_from(repo.hall_row(uow.conn, hall_id).settings)


def _shift(shifts: dict[str, Shift], code: str) -> Shift:
    if code not in shifts:
        raise DomainError("invalid_shift", N_("Not a shift of this hall: %(shift)s"), "shift",
                          shift=code)
    return shifts[code]


def _counter_id(uow: UnitOfWork, hall_id: int, number: int) -> int:
    found = uow.conn.execute(select(C.c.id).where(C.c.hall_id == hall_id,
                                                  C.c.number == number)).scalar()
    if found is None:
        raise DomainError("counter_not_found", N_("No counter %(number)s"), "counter",
                          number=number)
    return found


def _staff_id(uow: UnitOfWork, hall_id: int, staff_id: int | None = None,
              login: str | None = None) -> int:
    key = ST.c.id == staff_id if staff_id is not None else ST.c.login == login
    found = uow.conn.execute(select(ST.c.id).where(key, ST.c.hall_id == hall_id,
                                                   ST.c.active.is_(True))).scalar()
    if found is None:
        raise DomainError("staff_not_found", N_("No such staff member"), "staff")
    return found


def put_post(uow: UnitOfWork, hall_id: int, counter_id: int, day: date, shift: str,
             post: str, staff_id: int | None) -> None:
    """Set (or, with None, clear) one post, refusing a person on overlapping shifts."""
    shifts = hall_shifts(uow, hall_id)
    this = _shift(shifts, shift)
    if post not in POSTS:
        raise DomainError("invalid_post", N_("A post is A or B"), "post")
    uow.conn.execute(delete(R).where(R.c.counter_id == counter_id, R.c.day == day,
                                     R.c.shift == shift, R.c.post == post))
    if staff_id is None:
        return
    for other in uow.conn.execute(select(R.c.shift, R.c.counter_id, R.c.post).where(
            R.c.staff_id == staff_id, R.c.day == day)):
        if other.shift in shifts and shifts[other.shift].overlaps(this):
            raise DomainError("rota_overlap",
                              N_("This person is already on the rota for an overlapping "
                                 "shift that day"), "staff_id")
    uow.conn.execute(insert(R).values(hall_id=hall_id, counter_id=counter_id, day=day,
                                      shift=shift, post=post, staff_id=staff_id))


def assign(ctx: Context, actor: Actor, *, counter: int, day: date, shift: str, post: str,
           staff_id: int | None) -> Result:
    """Put ``staff_id`` on window ``counter``'s ``post`` of ``day``'s ``shift``."""
    require_supervisor(actor)

    def command(uow: UnitOfWork) -> dict[str, Any]:
        counter_id = _counter_id(uow, actor.hall_id, counter)
        person = _staff_id(uow, actor.hall_id, staff_id) if staff_id is not None else None
        put_post(uow, actor.hall_id, counter_id, day, shift, post, person)
        uow.emit("rota.changed", actor.hall_id, day=day.isoformat())
        return {"counter": counter, "day": day.isoformat(), "shift": shift, "post": post,
                "staff_id": person}

    return run(ctx, command)


def copy_week(ctx: Context, actor: Actor, *, source: date, target: date,
              weeks: int = 1) -> Result:
    """The week of ``source`` as the template of ``weeks`` weeks from ``target``: their
    posts are replaced by the template's, day by weekday (days that are not working days
    get none)."""
    require_supervisor(actor)
    source, target = monday_of(source), monday_of(target)
    if target <= source:
        raise DomainError("invalid_week", N_("Copy a week forward, to a later week"), "target")

    def command(uow: UnitOfWork) -> dict[str, Any]:
        calendar = repo.calendar_of(repo.hall_row(uow.conn, actor.hall_id))
        template = uow.conn.execute(select(R).where(
            R.c.hall_id == actor.hall_id, R.c.day >= source,
            R.c.day < source + timedelta(days=7))).all()
        copied = 0
        for n in range(weeks):
            monday = target + timedelta(days=7 * n)
            uow.conn.execute(delete(R).where(R.c.hall_id == actor.hall_id, R.c.day >= monday,
                                             R.c.day < monday + timedelta(days=7)))
            rows = [{"hall_id": actor.hall_id, "counter_id": r.counter_id, "shift": r.shift,
                     "post": r.post, "staff_id": r.staff_id,
                     "day": monday + timedelta(days=(r.day - source).days)} for r in template]
            rows = [r for r in rows if calendar.is_workday(r["day"])]
            if rows:
                uow.conn.execute(insert(R), rows)
            copied += len(rows)
        uow.emit("rota.changed", actor.hall_id, day=target.isoformat())
        return {"source": source.isoformat(), "target": target.isoformat(), "weeks": weeks,
                "posts": copied}

    return run(ctx, command)


def entries(uow: UnitOfWork, hall_id: int, start: date, end: date,
            staff_id: int | None = None) -> list[Any]:
    """Rota rows of [start, end] with the window's number and the person's name."""
    stmt = (select(R.c.id, R.c.counter_id, R.c.day, R.c.shift, R.c.post, R.c.staff_id,
                   C.c.number.label("counter"), ST.c.name, ST.c.login, ST.c.number.label("no"),
                   ST.c.department_id)
            .join(C, C.c.id == R.c.counter_id).join(ST, ST.c.id == R.c.staff_id)
            .where(R.c.hall_id == hall_id, R.c.day >= start, R.c.day <= end)
            .order_by(R.c.day, C.c.number, R.c.shift, R.c.post))
    if staff_id is not None:
        stmt = stmt.where(R.c.staff_id == staff_id)
    return list(uow.conn.execute(stmt))


def export_week(ctx: Context, actor: Actor, day: date) -> list[dict[str, Any]]:
    """A week as rows a file can hold: window number, day, shift, post, login."""
    require_supervisor(actor)
    monday = monday_of(day)
    return read(ctx, lambda uow: [
        {"counter": r.counter, "day": r.day.isoformat(), "shift": r.shift, "post": r.post,
         "login": r.login}
        for r in entries(uow, actor.hall_id, monday, monday + timedelta(days=6))])


def import_posts(ctx: Context, actor: Actor, rows: list[dict[str, Any]]) -> Result:
    """Rows as ``export_week`` gives them, set in one transaction (all or none)."""
    require_supervisor(actor)

    def command(uow: UnitOfWork) -> dict[str, Any]:
        for row in rows:
            put_post(uow, actor.hall_id, _counter_id(uow, actor.hall_id, row["counter"]),
                     date.fromisoformat(str(row["day"])), row["shift"], row["post"],
                     _staff_id(uow, actor.hall_id, login=row["login"]))
        uow.emit("rota.changed", actor.hall_id, day=None)
        return {"posts": len(rows)}

    return run(ctx, command)
