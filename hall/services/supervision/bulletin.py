"""月通报 (the monthly bulletin): what the page and its PDF list besides the rankings — visits
over their time limit, overdue cases, urgings, admonitions and complaints of the month —
and which month it opens on (the last month that has data)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from hall.domain import measures as m
from hall.services import repo
from hall.services.context import Context, UnitOfWork, read
from hall.store.models import (
    Admonition,
    Case,
    Complaint,
    Counter,
    Department,
    Service,
    Staff,
    Ticket,
    Urging,
)

SHOWN = 200  # rows per list at most: a bulletin is read, not searched


def last_month_with_data(ctx: Context, hall_id: int, today: date) -> date:
    """The first day of the last finished month with tickets; this month if only it has
    any; else last month (an empty bulletin, as before)."""
    first = today.replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)

    def query(uow: UnitOfWork) -> date:
        t = Ticket.__table__
        latest = uow.conn.execute(select(func.max(t.c.day)).where(
            t.c.hall_id == hall_id, t.c.day < first)).scalar()
        if latest is not None:
            return latest.replace(day=1)
        now = uow.conn.execute(select(func.max(t.c.day)).where(
            t.c.hall_id == hall_id, t.c.day >= first, t.c.day <= today)).scalar()
        return first if now is not None else previous

    return read(ctx, query)


def lists(ctx: Context, hall_id: int, start: date, end: date) -> dict[str, list[dict]]:
    def query(uow: UnitOfWork) -> dict[str, list[dict]]:
        hall = repo.hall_row(uow.conn, hall_id)
        tz = ZoneInfo(hall.timezone)
        names = _names(uow, hall_id)
        return {"over_limit": _over_limit(uow, hall_id, start, end, names, tz),
                "overdue": _overdue(uow, hall_id, start, end, names, tz, uow.now),
                "urgings": _urgings(uow, hall_id, start, end, names, tz),
                "admonitions": _admonitions(uow, hall_id, start, end, names, tz),
                "complaints": _complaints(uow, hall_id, start, end, names, tz)}

    return read(ctx, query)


def _names(uow: UnitOfWork, hall_id: int) -> dict[str, dict[int, str]]:
    c, st, s, d = (Counter.__table__, Staff.__table__, Service.__table__,
                   Department.__table__)
    return {
        "counter": {r.id: f"{r.number}号窗口" for r in uow.conn.execute(
            select(c.c.id, c.c.number).where(c.c.hall_id == hall_id))},
        "staff": {r.id: r.name for r in uow.conn.execute(
            select(st.c.id, st.c.name).where(st.c.hall_id == hall_id))},
        "service": {r.id: r.name for r in uow.conn.execute(
            select(s.c.id, s.c.name).where(s.c.hall_id == hall_id))},
        "department": {r.id: r.name for r in uow.conn.execute(
            select(d.c.id, d.c.name).where(d.c.hall_id == hall_id))},
    }


def _span(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return (datetime.combine(start, time(), tz),
            datetime.combine(end + timedelta(days=1), time(), tz))


def _over_limit(uow, hall_id, start, end, names, tz) -> list[dict]:
    t, s = Ticket.__table__, Service.__table__
    rows = uow.conn.execute(
        select(t.c.number, t.c.day, t.c.counter_id, t.c.staff_id, t.c.service_id,
               t.c.started_at, t.c.finished_at, s.c.time_limit_s)
        .join(s, s.c.id == t.c.service_id)
        .where(t.c.hall_id == hall_id, t.c.day >= start, t.c.day <= end,
               t.c.finished_at.is_not(None), t.c.started_at.is_not(None))
        .order_by(t.c.day, t.c.id))
    out = []
    for r in rows:
        served = (r.finished_at - r.started_at).total_seconds()
        if r.time_limit_s and served > r.time_limit_s:
            out.append({"day": r.day.isoformat(), "number": r.number,
                        "service": names["service"].get(r.service_id, ""),
                        "window": names["counter"].get(r.counter_id, ""),
                        "staff": names["staff"].get(r.staff_id, ""),
                        "minutes": round(served / 60, 1),
                        "limit_minutes": round(r.time_limit_s / 60, 1)})
    return out[:SHOWN]


def _overdue(uow, hall_id, start, end, names, tz, now) -> list[dict]:
    """Cases concluded late in the month, and cases overdue and open at its end."""
    c = Case.__table__
    as_of = min(end, now.astimezone(tz).date() - timedelta(days=1))
    rows = uow.conn.execute(
        select(c).where(c.c.hall_id == hall_id,
                        (c.c.done_on.between(start, end) & (c.c.done_on > c.c.due_date))
                        | ((c.c.due_date <= as_of)
                           & (c.c.done_on.is_(None) | (c.c.done_on > as_of))))
        .order_by(c.c.due_date, c.c.id))
    out = []
    for r in rows:
        record = m.CaseRecord(r.due_date, r.done_on, r.state, r.suspended_on)
        fig = m.case_figures([record], start, end, as_of)
        if not fig.overdue:
            continue
        out.append({"number": r.number, "service": names["service"].get(r.service_id, ""),
                    "window": names["counter"].get(r.counter_id, ""),
                    "staff": names["staff"].get(r.staff_id, ""),
                    "due_date": r.due_date.isoformat(),
                    "done_on": r.done_on.isoformat() if r.done_on else None,
                    "state": r.state})
    return out[:SHOWN]


def _urgings(uow, hall_id, start, end, names, tz) -> list[dict]:
    u, c = Urging.__table__, Case.__table__
    since, until = _span(start, end, tz)
    rows = uow.conn.execute(
        select(u, c.c.number.label("case_number"))
        .select_from(u.outerjoin(c, c.c.id == u.c.case_id))
        .where(u.c.hall_id == hall_id, u.c.at >= since, u.c.at < until).order_by(u.c.at))
    return [{"at": f"{r.at.astimezone(tz):%Y-%m-%d %H:%M}",
             "window": names["counter"].get(r.counter_id, ""),
             "staff": names["staff"].get(r.staff_id, ""), "case": r.case_number or "",
             "note": r.note, "answer": r.answer or "",
             "answered": f"{r.acked_at.astimezone(tz):%Y-%m-%d %H:%M}" if r.acked_at else ""}
            for r in rows][:SHOWN]


def _admonitions(uow, hall_id, start, end, names, tz) -> list[dict]:
    a = Admonition.__table__
    since, until = _span(start, end, tz)
    rows = uow.conn.execute(select(a).where(a.c.hall_id == hall_id, a.c.issued_at >= since,
                                            a.c.issued_at < until).order_by(a.c.issued_at))
    return [{"at": f"{r.issued_at.astimezone(tz):%Y-%m-%d %H:%M}", "level": r.level,
             "target": names["staff"].get(r.staff_id) if r.staff_id is not None
             else names["department"].get(r.department_id, ""),
             "reason": r.reason, "withdrawn": r.withdrawn_at is not None,
             "acknowledged": r.acked_at is not None} for r in rows][:SHOWN]


def _complaints(uow, hall_id, start, end, names, tz) -> list[dict]:
    """投诉 received in the month: what they were about and against, where they stand and
    whether they were upheld (属实). Never the complainant's words or phone: a bulletin is
    published."""
    k = Complaint.__table__
    rows = uow.conn.execute(select(k).where(
        k.c.hall_id == hall_id, k.c.received_on >= start, k.c.received_on <= end)
        .order_by(k.c.received_at, k.c.id))
    return [{"number": r.number, "received": r.received_on.isoformat(),
             "category": r.category, "against": _against(r, names), "state": r.state,
             "upheld": r.upheld, "due_date": r.due_date.isoformat(),
             "replied": f"{r.replied_at.astimezone(tz):%Y-%m-%d %H:%M}" if r.replied_at
             else ""} for r in rows][:SHOWN]


def _against(r, names) -> str:
    """The complaint's target in words: staff, window, department, service (those named)."""
    parts = [names["staff"].get(r.staff_id), names["counter"].get(r.counter_id),
             names["department"].get(r.department_id), names["service"].get(r.service_id)]
    return " · ".join(p for p in parts if p)
