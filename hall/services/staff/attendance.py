"""考勤: attendance derived from sign-ins (the spells a person was signed in at their rota
window: ``counter_intervals``, open or paused) against the rota, never typed in.

``records(ctx, hall_id, start, end)`` is the plain read other modules use (``day_records``
inside a unit of work; the assessment of 效能监察 counts its late and absent shifts): one
record per person per day they were expected at a window — their A posts, and the B posts
they covered for someone on leave — with each shift's status and minutes
(``hall/domain/duty.attend``). ``expected_now`` names, for the watch, who should be at each
window whose shift has begun (缺岗 when the window is not open).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from hall.domain.duty import attend, grace_from, shifts_from
from hall.services import repo
from hall.services.context import Context, UnitOfWork, read
from hall.services.staff import leave, rota
from hall.store.models import CounterInterval, Department

CI, D = CounterInterval.__table__, Department.__table__
# worst first: a day's status is its worst shift's
RANK = ("absent", "late_and_left_early", "late", "left_early", "on_leave", "on_time",
        "upcoming")


def _expected(uow: UnitOfWork, hall_id: int, start: date, end: date) -> list[dict[str, Any]]:
    """Who is expected at which window on each shift of [start, end]: the A post, or the
    B post covering it while the A person is on leave (the A person is then excused)."""
    hall = repo.hall_row(uow.conn, hall_id)
    shifts = shifts_from(hall.settings)
    rows = rota.entries(uow, hall_id, start, end)
    covers = leave.covers(uow, hall_id, rows, shifts)
    out = []
    for r in rows:
        if r.post != "A" or r.shift not in shifts:
            continue
        s, e = shifts[r.shift].span(r.day, hall.timezone)
        base = {"day": r.day, "shift": r.shift, "shift_name": shifts[r.shift].name,
                "counter_id": r.counter_id, "counter": r.counter, "start": s, "end": e}
        cover = covers.get(r.id)
        out.append(base | {"staff_id": r.staff_id, "name": r.name, "post": "A",
                           "department_id": r.department_id, "on_leave": cover is not None})
        if cover and cover["staff_id"] is not None:
            b = next(x for x in rows if x.staff_id == cover["staff_id"] and x.day == r.day
                     and x.shift == r.shift and x.counter_id == r.counter_id)
            out.append(base | {"staff_id": b.staff_id, "name": b.name, "post": "B",
                               "department_id": b.department_id, "on_leave": False})
    return out


def _spells(uow: UnitOfWork, staff_ids: list[int], start: datetime, end: datetime
            ) -> dict[tuple[int, int], list[tuple[datetime, datetime | None]]]:
    """(staff, counter) → the spells the person was signed in at that window."""
    out: dict[tuple[int, int], list[tuple[datetime, datetime | None]]] = {}
    if not staff_ids:
        return out
    for staff_id, counter_id, s, e in uow.conn.execute(
            select(CI.c.staff_id, CI.c.counter_id, CI.c.start, CI.c.end).where(
                CI.c.staff_id.in_(staff_ids), CI.c.start < end,
                (CI.c.end.is_(None)) | (CI.c.end > start))):
        out.setdefault((staff_id, counter_id), []).append((s, e))
    return out


def records(ctx: Context, hall_id: int, start: date, end: date | None = None, *,
            department_id: int | None = None) -> list[dict[str, Any]]:
    """Per person per day of [start, end]: the day's status (its worst shift's), minutes
    late, left early and absent, and each shift's attendance. Sorted by day, then name."""
    return read(ctx, lambda uow: day_records(uow, hall_id, start, end or start,
                                             department_id))


def day_records(uow: UnitOfWork, hall_id: int, start: date, end: date,
                department_id: int | None = None) -> list[dict[str, Any]]:
    hall = repo.hall_row(uow.conn, hall_id)
    grace = grace_from(hall.settings)
    expected = _expected(uow, hall_id, start, end)
    if department_id is not None:
        expected = [x for x in expected if x["department_id"] == department_id]
    if not expected:
        return []
    spells = _spells(uow, sorted({x["staff_id"] for x in expected}),
                     min(x["start"] for x in expected), max(x["end"] for x in expected))
    depts = dict(uow.conn.execute(select(D.c.id, D.c.name).where(D.c.hall_id == hall_id)).all())
    days: dict[tuple[date, int], dict[str, Any]] = {}
    for x in expected:
        a = attend(x["start"], x["end"], spells.get((x["staff_id"], x["counter_id"]), []),
                   uow.now, grace, x["on_leave"])
        rec = days.setdefault((x["day"], x["staff_id"]), {
            "day": x["day"].isoformat(), "staff_id": x["staff_id"], "name": x["name"],
            "department_id": x["department_id"],
            "department": depts.get(x["department_id"]), "status": "upcoming",
            "late_minutes": 0, "early_minutes": 0, "absent_minutes": 0, "shifts": []})
        rec["shifts"].append({
            "shift": x["shift"], "shift_name": x["shift_name"], "counter": x["counter"],
            "counter_id": x["counter_id"], "post": x["post"], "status": a.status,
            "late_minutes": a.late_minutes, "early_minutes": a.early_minutes,
            "absent_minutes": a.absent_minutes,
            "first_in": a.first_in.isoformat() if a.first_in else None,
            "last_out": a.last_out.isoformat() if a.last_out else None})
        for k in ("late_minutes", "early_minutes", "absent_minutes"):
            rec[k] += getattr(a, k)
        if RANK.index(a.status) < RANK.index(rec["status"]):
            rec["status"] = a.status
    return sorted(days.values(), key=lambda r: (r["day"], r["name"]))


def expected_now(uow: UnitOfWork, hall_id: int) -> list[dict[str, Any]]:
    """Who should be at each window now: shifts begun more than the grace period ago and
    not yet over (the watch's 缺岗 rule)."""
    hall = repo.hall_row(uow.conn, hall_id)
    grace = grace_from(hall.settings)
    today = repo.settings_of(hall).local(uow.now).date()
    out = []
    for x in _expected(uow, hall_id, today, today):
        if x["start"] + grace <= uow.now < x["end"] and not x["on_leave"]:
            out.append(x)
    # an A post on leave with nobody covering: the window is still expected, nobody named
    names = {(x["counter_id"], x["shift"]) for x in out}
    for x in _expected(uow, hall_id, today, today):
        if (x["on_leave"] and x["start"] + grace <= uow.now < x["end"]
                and (x["counter_id"], x["shift"]) not in names):
            out.append(x | {"staff_id": None, "name": None, "on_leave_name": x["name"]})
    return out


def grace_of(uow: UnitOfWork, hall_id: int) -> timedelta:
    return grace_from(repo.hall_row(uow.conn, hall_id).settings)
