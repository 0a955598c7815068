"""值班牌: what the window screen and the rating pad show of the person at the window — photo,
name, 工号, department, and this month's 满意率 (ratings 3–5 ÷ all ratings of this person
since the first of the hall's month; None before the first rating)."""
from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import func, select

from hall.services import repo
from hall.services.context import Context, UnitOfWork, read
from hall.store.models import Counter, Department, Rating, Staff

C, ST, D, RT = Counter.__table__, Staff.__table__, Department.__table__, Rating.__table__


def card_in(uow: UnitOfWork, counter_id: int) -> dict[str, Any] | None:
    """The card of the person signed in at ``counter_id`` (None: nobody)."""
    row = uow.conn.execute(
        select(ST.c.id, ST.c.name, ST.c.number, ST.c.photo, ST.c.hall_id,
               D.c.name.label("department"))
        .select_from(C.join(ST, ST.c.id == C.c.staff_id)
                     .outerjoin(D, D.c.id == ST.c.department_id))
        .where(C.c.id == counter_id, C.c.state != "closed")).first()
    if row is None:
        return None
    hall = repo.settings_of(repo.hall_row(uow.conn, row.hall_id))
    local = hall.local(uow.now)
    month = datetime.combine(local.date().replace(day=1), time(), local.tzinfo)
    good, total = uow.conn.execute(
        select(func.count().filter(RT.c.level >= 3), func.count())
        .where(RT.c.staff_id == row.id, RT.c.at >= month)).one()
    return {"staff_id": row.id, "name": row.name, "number": row.number or "",
            "department": row.department or "",
            "photo_url": f"/photos/{row.photo}" if row.photo else None,
            "satisfaction": round(good / total, 4) if total else None, "ratings": total}


def card(ctx: Context, counter_id: int) -> dict[str, Any] | None:
    return read(ctx, lambda uow: card_in(uow, counter_id))
