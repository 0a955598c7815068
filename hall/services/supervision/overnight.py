"""The overnight queue (issue 22): what happens to the visitors still waiting when the hall
closes, by the hall setting ``overnight_queue``:

- ``cancel``: each waiting ticket is cancelled, its history and its ``ticket.cancelled``
  event carrying the reason (``closed``) and the note screens and phones show;
- ``carry``: each is carried to the next day the hall serves (``WorkCalendar.serves``:
  working days and 延时服务 days), keeping its number and its place — ``queued_at`` is left
  as it is, so the next day's first calls take them in their old order, before that day's
  own tickets; ``tickets.carried_to`` says to which day (``day`` stays the day of issue,
  which numbers and reports count by), and that day's numbers start after the carried ones
  (numbers restart daily: a carried A012 must not meet a new A012);
- unset: nothing (the tickets simply stay in the queue).

It runs as a sweep of the watch (watch_rules.SWEEPS), after ``closing_time`` (18:00 unless
the hall says otherwise). A ticket settles once per service day: a carried ticket is not
carried again until its new day has closed in turn. If the watch was down at closing, the
next pass settles what was left of the earlier days.
"""
from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from hall.domain.i18n import N_
from hall.domain.lifecycle import Action, next_state
from hall.services import repo
from hall.services.context import UnitOfWork
from hall.store.models import NumberCounter, Service, Ticket

DEFAULT_CLOSING = time(18, 0)
CLOSED_NOTE = N_("The hall has closed for today. Please take a new ticket on the next "
                 "service day.")
MODES = ("cancel", "carry")
_DAY = timedelta(days=1)


def closing_time(settings: dict[str, Any]) -> time:
    value = settings.get("closing_time")
    try:
        return time.fromisoformat(value) if value else DEFAULT_CLOSING
    except (TypeError, ValueError):
        return DEFAULT_CLOSING


def next_service_day(calendar, after: date) -> date:
    """The first day after ``after`` the hall serves (within a year; else the day after)."""
    d = after + _DAY
    for _ in range(366):
        if calendar.serves(d):
            return d
        d += _DAY
    return after + _DAY


def _numbers_after(uow: UnitOfWork, hall_id: int, prefix: str, day: date, seq_no: int) -> None:
    """The numbers ``day`` gives under ``prefix`` start after ``seq_no``, so a carried A012
    never meets a new A012 in the queue (numbers restart every day)."""
    nc = NumberCounter.__table__
    ins = (postgresql if uow.conn.dialect.name == "postgresql" else sqlite).insert
    stmt = ins(nc).values(hall_id=hall_id, prefix=prefix, day=day, last=seq_no)
    uow.conn.execute(stmt.on_conflict_do_update(
        index_elements=["hall_id", "prefix", "day"],
        set_={"last": case((nc.c.last < stmt.excluded.last, stmt.excluded.last),
                           else_=nc.c.last)}))


def overnight_queue(uow: UnitOfWork, hall_id: int, settings: dict[str, Any]) -> None:
    """Settle the waiting tickets of every service day that has closed (a watch sweep)."""
    row = repo.hall_row(uow.conn, hall_id)
    extra = row.settings or {}
    mode = extra.get("overnight_queue")
    if mode not in MODES:
        return
    local = repo.settings_of(row).local(uow.now)
    closed = local.date() if local.time() >= closing_time(extra) else local.date() - _DAY
    t, s = Ticket.__table__, Service.__table__
    rows = uow.conn.execute(  # seeks of ix_tickets_queue per service (the waiting only)
        select(t.c.id, t.c.number, t.c.state, t.c.service_id, t.c.day, t.c.prefix,
               t.c.seq_no)
        .select_from(s.join(t, (t.c.service_id == s.c.id) & (t.c.state == "waiting")))
        .where(s.c.hall_id == hall_id, func.coalesce(t.c.carried_to, t.c.day) <= closed)
        .order_by(t.c.queued_at, t.c.id)).all()
    if not rows:
        return
    if mode == "carry":
        to = next_service_day(repo.calendar_of(row), closed)
        uow.conn.execute(update(Ticket).where(Ticket.id.in_([r.id for r in rows]))
                         .values(carried_to=to))
        highest: dict[str, int] = {}
        for r in rows:
            highest[r.prefix] = max(highest.get(r.prefix, 0), r.seq_no)
        for prefix, seq_no in highest.items():
            _numbers_after(uow, hall_id, prefix, to, seq_no)
        for r in rows:
            repo.add_history(uow.conn, r.id, uow.now, "carry", r.state, r.state, None,
                             "system", to.isoformat())
            uow.emit("ticket.carried", hall_id, ticket_id=r.id, number=r.number,
                     service_id=r.service_id, carried_to=to.isoformat())
        return
    for r in rows:
        new = next_state(r.state, Action.CANCEL)
        done = uow.conn.execute(update(Ticket).where(Ticket.id == r.id, Ticket.state == r.state)
                                .values(state=new)).rowcount
        if done != 1:
            continue  # called meanwhile
        repo.add_history(uow.conn, r.id, uow.now, "cancel", r.state, new, None, "system",
                         CLOSED_NOTE)
        uow.emit("ticket.cancelled", hall_id, ticket_id=r.id, number=r.number,
                 service_id=r.service_id, reason="closed", note=CLOSED_NOTE)
