"""The rota as people read it: a week of posts (supervisors: every window; staff: "my
week"), each saying who holds it now — the B post while the A person is on approved leave."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hall.domain.access import Actor
from hall.domain.duty import Shift
from hall.services.context import Context, UnitOfWork, read
from hall.services.staff import leave, rota


def week_of(ctx: Context, actor: Actor, day: date, *, mine: bool = False) -> dict[str, Any]:
    """The week of ``day``: every post (supervisors), or the actor's own (``mine``: "my
    week", posts they cover for someone on leave included). Each post says who holds it
    now (``cover``: the B post while the A person is on approved leave)."""
    if not mine:
        rota.require_supervisor(actor)
    monday = rota.monday_of(day)
    sunday = monday + timedelta(days=6)

    def query(uow: UnitOfWork) -> dict[str, Any]:
        shifts = rota.hall_shifts(uow, actor.hall_id)
        rows = rota.entries(uow, actor.hall_id, monday, sunday)
        covers = leave.covers(uow, actor.hall_id, rows, shifts)
        posts = [_view(r, shifts, covers.get(r.id)) for r in rows]
        if mine:
            posts = [p for p in posts if p["staff_id"] == actor.id
                     or (p["cover"] or {}).get("staff_id") == actor.id]
        return {"monday": monday.isoformat(), "shifts": [
            {"code": s.code, "name": s.name, "start": s.start.isoformat("minutes"),
             "end": s.end.isoformat("minutes")} for s in shifts.values()], "posts": posts}

    return read(ctx, query)


def _view(r: Any, shifts: dict[str, Shift], cover: dict[str, Any] | None) -> dict[str, Any]:
    return {"id": r.id, "day": r.day.isoformat(), "shift": r.shift,
            "shift_name": shifts[r.shift].name if r.shift in shifts else r.shift,
            "counter": r.counter, "post": r.post, "staff_id": r.staff_id, "name": r.name,
            "login": r.login, "on_leave": cover is not None, "cover": cover}
