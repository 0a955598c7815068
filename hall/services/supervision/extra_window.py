"""增开窗口 (issue 22): which lines are long enough to open another window for, and who
could open it. The watch's ``extra_window`` rule (watch_rules.find_extra_windows) turns
each proposal into one alert per service line; this module only reads.

A line (a service's waiting visitors, those sent to a window by name included, as the
board counts them) is long when

- its waiting reach ``per_window`` for each window open for it (a line no window serves
  yet counts as one window, so a few early visitors before opening are no alarm), or
- its oldest visitor has waited ``wait_s`` (from taking the ticket, as the long-wait
  alert counts).

Who could open a window, in this order (the first tier that names anyone is proposed):

1. ``b_post``: staff on a B post (AB岗) of today's rota in a shift that covers now, who are
   not at an open window already, not on leave and not holding an A post for someone on
   leave (they are expected at that window);
2. ``idle``: staff signed in at a window that is paused, or open and free but serving
   other lines (its own line would have it call, not open);
3. ``nobody``: the alert says so.

Within a tier, staff of the line's own department (派驻单位) come first.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from hall.domain.duty import shifts_from
from hall.services import repo
from hall.services.context import UnitOfWork
from hall.services.staff import leave, rota
from hall.store.models import Counter, CounterService, Department, Service, Staff, Ticket

BUSY = ("called", "serving")  # a visitor at the window
TIERS = ("b_post", "idle", "nobody")


def proposals(uow: UnitOfWork, hall_id: int, per_window: float | None,
              wait_s: float | None) -> list[dict[str, Any]]:
    """One proposal per long line: the line's figures, ``who`` (a tier of TIERS) and the
    ``candidates`` of that tier. Nothing to read beyond the lines when none is long."""
    lines = long_lines(uow, hall_id, per_window, wait_s)
    if not lines:
        return []
    b_posts = free_b_posts(uow, hall_id)
    signed_in = free_signed_in(uow, hall_id)
    out = []
    for line in lines:
        idle = [x for x in signed_in
                if x["state"] == "paused" or line["service_id"] not in x["services"]]
        who, names = (("b_post", b_posts) if b_posts else ("idle", idle) if idle
                      else ("nobody", []))
        mine = sorted(names, key=lambda x: (x["department_id"] != line["department_id"],
                                            x["counter_number"] or 0, x["name"]))
        out.append(line | {"who": who, "candidates": [
            {k: x[k] for k in ("staff_id", "name", "number", "counter_number", "state")}
            for x in mine]})
    return out


def long_lines(uow: UnitOfWork, hall_id: int, per_window: float | None,
               wait_s: float | None) -> list[dict[str, Any]]:
    """The hall's lines past either threshold (None: that threshold is off), in the
    hall's service order. Seeks of ix_tickets_queue and the counters of one hall."""
    if per_window is None and wait_s is None:
        return []
    s, d, t = Service.__table__, Department.__table__, Ticket.__table__
    rows = uow.conn.execute(
        select(s.c.id, s.c.name, s.c.department_id, d.c.name.label("department"),
               func.count(t.c.id).label("waiting"), func.min(t.c.issued_at).label("oldest"))
        .select_from(s.join(d, d.c.id == s.c.department_id)
                     .join(t, (t.c.service_id == s.c.id) & (t.c.state == "waiting")))
        .where(s.c.hall_id == hall_id)
        .group_by(s.c.id, s.c.name, s.c.department_id, d.c.name, d.c.sort, s.c.sort)
        .order_by(d.c.sort, s.c.sort, s.c.id)).all()
    if not rows:
        return []
    c, cs = Counter.__table__, CounterService.__table__
    open_for = dict(uow.conn.execute(
        select(cs.c.service_id, func.count())
        .select_from(cs.join(c, c.c.id == cs.c.counter_id))
        .where(c.c.hall_id == hall_id, c.c.state == "open").group_by(cs.c.service_id)).all())
    out = []
    for r in rows:
        windows = open_for.get(r.id, 0)
        waited = _seconds_since(uow.now, r.oldest)
        crowded = per_window is not None and r.waiting >= per_window * max(windows, 1)
        late = wait_s is not None and waited >= wait_s
        if crowded or late:
            out.append({"service_id": r.id, "service": r.name,
                        "department_id": r.department_id, "department": r.department,
                        "waiting": r.waiting, "open_windows": windows,
                        "oldest_issued_at": r.oldest.isoformat() if r.oldest else None,
                        "waited_s": int(waited)})
    return out


def free_b_posts(uow: UnitOfWork, hall_id: int) -> list[dict[str, Any]]:
    """Staff on a B post now (today's rota, a shift covering now) who could open a window:
    not at an open window, not on leave, not covering an A post on leave."""
    hall = repo.hall_row(uow.conn, hall_id)
    shifts = shifts_from(hall.settings)
    today = repo.settings_of(hall).local(uow.now).date()
    rows = [r for r in rota.entries(uow, hall_id, today, today) if r.shift in shifts
            and _covers_now(shifts[r.shift].span(r.day, hall.timezone), uow.now)]
    if not any(r.post == "B" for r in rows):
        return []
    covers = leave.covers(uow, hall_id, rows, shifts)
    on_leave = {r.staff_id for r in rows if r.id in covers}
    covering = {x["staff_id"] for x in covers.values() if x["staff_id"] is not None}
    c = Counter.__table__
    staffing = set(uow.conn.execute(select(c.c.staff_id).where(
        c.c.hall_id == hall_id, c.c.state == "open", c.c.staff_id.is_not(None))).scalars())
    out: dict[int, dict[str, Any]] = {}
    for r in rows:
        if r.post == "B" and r.staff_id not in on_leave | covering | staffing:
            out.setdefault(r.staff_id, {
                "staff_id": r.staff_id, "name": r.name, "number": r.no,
                "department_id": r.department_id, "counter_number": r.counter,
                "state": "b_post", "services": set()})
    return list(out.values())


def free_signed_in(uow: UnitOfWork, hall_id: int) -> list[dict[str, Any]]:
    """Staff signed in at a window that is paused, or open with no visitor at it, with the
    services their window serves."""
    c, st, t, cs = (Counter.__table__, Staff.__table__, Ticket.__table__,
                    CounterService.__table__)
    rows = uow.conn.execute(
        select(c.c.id, c.c.number, c.c.state, st.c.id.label("staff_id"), st.c.name,
               st.c.number.label("no"), st.c.department_id)
        .select_from(c.join(st, st.c.id == c.c.staff_id)
                     .outerjoin(t, t.c.id == c.c.current_ticket_id))
        .where(c.c.hall_id == hall_id,
               (c.c.state == "paused") | ((c.c.state == "open") & (
                   c.c.current_ticket_id.is_(None) | t.c.state.not_in(BUSY))))).all()
    if not rows:
        return []
    serves: dict[int, set[int]] = {}
    for counter_id, service_id in uow.conn.execute(
            select(cs.c.counter_id, cs.c.service_id)
            .where(cs.c.counter_id.in_([r.id for r in rows]))):
        serves.setdefault(counter_id, set()).add(service_id)
    return [{"staff_id": r.staff_id, "name": r.name, "number": r.no,
             "department_id": r.department_id, "counter_number": r.number,
             "state": r.state, "services": serves.get(r.id, set())} for r in rows]


def _covers_now(span: tuple[datetime, datetime], now: datetime) -> bool:
    return span[0] <= now < span[1]


def _seconds_since(now: datetime, since: datetime | None) -> float:
    return 0.0 if since is None else max(0.0, (now - since).total_seconds())
