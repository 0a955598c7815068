"""What filling past days (`hall simulate --days N --fast`) asks before it starts: the
hall, its calendar (working days and 延时服务 days), which days already have tickets — a
day is never filled twice — and whether the hall is quiet now. The filler runs a clock
through past days on the very windows and lines a live day uses, so every window must be
closed and nobody in line while it does."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from hall.domain.lifecycle import OPEN_STATES
from hall.domain.workdays import WorkCalendar
from hall.services import repo
from hall.services.context import Context, UnitOfWork, read
from hall.services.queue.booking_catalog import hall_by_ref
from hall.store.models import Counter, Ticket


def hall_of(ctx: Context, hall: str | None) -> Any:
    """The hall's row by code (default: the first hall); ``calendar`` gives its days."""
    return read(ctx, lambda uow: hall_by_ref(uow.conn, hall))


def calendar(hall_row: Any) -> WorkCalendar:
    """The days the hall serves: the national calendar, its own holidays and make-up
    days, and its 延时服务 days."""
    return repo.calendar_of(hall_row)


def days_with_tickets(ctx: Context, hall_id: int, days: list[date]) -> set[date]:
    t = Ticket.__table__

    def query(uow: UnitOfWork) -> set[date]:
        if not days:
            return set()
        return set(uow.conn.execute(select(t.c.day).distinct().where(
            t.c.hall_id == hall_id, t.c.day.in_(days))).scalars())

    return read(ctx, query)


def busy(ctx: Context, hall_id: int) -> dict[str, Any]:
    """The windows open now and the tickets in line (waiting, called, served, held)."""
    c, t = Counter.__table__, Ticket.__table__

    def query(uow: UnitOfWork) -> dict[str, Any]:
        open_windows = uow.conn.execute(select(c.c.number).where(
            c.c.hall_id == hall_id, c.c.state != "closed").order_by(c.c.number)).scalars()
        in_line = uow.conn.execute(select(func.count()).select_from(t).where(
            t.c.hall_id == hall_id, t.c.state.in_([s.value for s in OPEN_STATES]))
        ).scalar_one()
        return {"open_windows": list(open_windows), "in_line": in_line}

    return read(ctx, query)
