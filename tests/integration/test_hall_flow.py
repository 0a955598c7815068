"""Issue 22: a hall that flows by itself — auto-dispatch of idle windows, 延时服务 days and
the overnight queue — through the service layer on the real databases, with the test clock."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import select, text

from hall.services.context import run
from hall.services.counters import state as counters
from hall.services.queue import calling, tickets, visits
from hall.services.supervision import dispatch, overnight, watch
from hall.services.supervision.watch_rules import run_sweeps
from hall.store.models import Ticket, TicketHistory
from tests.conftest import refused
from tests.integration.conftest import (
    finished_visit,
    kiosk,
    set_hall_settings,
    signed_in_at,
)


def shanghai(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour - 8, minute, tzinfo=UTC)


def set_service_hours(ctx, hall, code: str, hours: list[str]) -> None:
    with ctx.engine.begin() as conn:
        conn.execute(text("UPDATE services SET hours=:h WHERE id=:i"),
                     {"h": json.dumps(hours), "i": hall["services"][code]})
    ctx.cache.clear()


# --- auto-dispatch --------------------------------------------------------------------------

def test_auto_dispatch_calls_after_idle(ctx, hall, clock):
    """A free open window idle for the hall's ``auto_dispatch_seconds`` with people waiting
    calls the next ticket itself (the normal ticket.called, by the system for that window);
    a window that opted out is left alone, and nothing happens before the time is up."""
    set_hall_settings(ctx, hall, auto_dispatch_seconds=30)
    seen = []
    ctx.publishers.append(lambda events: seen.extend(events))
    signed_in_at(ctx, hall, 1)
    first = tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall)).value
    second = tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall)).value

    clock.advance(seconds=20)
    assert dispatch.auto_dispatch(ctx, hall["id"]) == []  # idle 20 s: not yet
    clock.advance(seconds=15)
    called = dispatch.auto_dispatch(ctx, hall["id"])
    assert [c["id"] for c in called] == [first["id"]]
    events = [e for e in seen if e.type == "ticket.called"]
    assert [(e.payload["number"], e.payload["counter_id"]) for e in events] == [
        (first["number"], hall["counters"][1])]
    with ctx.engine.connect() as conn:
        state, counter = conn.execute(select(Ticket.state, Ticket.counter_id)
                                      .where(Ticket.id == first["id"])).one()
        actor = conn.execute(select(TicketHistory.actor).where(
            TicketHistory.ticket_id == first["id"], TicketHistory.action == "call")).scalar()
    assert (state, counter) == ("called", hall["counters"][1])
    assert actor == "system"

    # the window is busy now: nothing more is called, however long
    clock.advance(minutes=5)
    assert dispatch.auto_dispatch(ctx, hall["id"]) == []

    # staff turn it off for their window: the next free spell calls nobody
    staff = signed_in_at(ctx, hall, 1)
    counters.set_auto_dispatch(ctx, counter_id=hall["counters"][1], actor=staff, on=False)
    calling.start(ctx, counter_id=hall["counters"][1], actor=staff)
    visits.finish(ctx, counter_id=hall["counters"][1], actor=staff, outcome="done")
    clock.advance(minutes=2)
    assert dispatch.auto_dispatch(ctx, hall["id"]) == []
    # and back on: the idle spell counts from the last visitor let go
    counters.set_auto_dispatch(ctx, counter_id=hall["counters"][1], actor=staff, on=True)
    assert [c["id"] for c in dispatch.auto_dispatch(ctx, hall["id"])] == [second["id"]]


def test_the_watch_pass_dispatches_idle_windows(app_with_clock):
    app, ctx, clock, hall = app_with_clock
    set_hall_settings(ctx, hall, auto_dispatch_seconds=10)
    signed_in_at(ctx, hall, 1)
    t = tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall)).value
    clock.advance(seconds=11)
    watch.Watch(app).tick()
    with ctx.engine.connect() as conn:
        assert conn.execute(select(Ticket.state).where(Ticket.id == t["id"])).scalar() \
            == "called"


def test_auto_dispatch_is_off_by_default(ctx, hall, clock):
    signed_in_at(ctx, hall, 1)
    tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall))
    clock.advance(hours=1)
    assert dispatch.auto_dispatch(ctx, hall["id"]) == []


def test_staff_cannot_turn_auto_dispatch_off_at_another_window(ctx, hall):
    staff = signed_in_at(ctx, hall, 1)
    refused("forbidden", "counter", counters.set_auto_dispatch, ctx,
            counter_id=hall["counters"][2], actor=staff, on=False)


# --- 延时服务 ---------------------------------------------------------------------------------

def test_extended_service_day_does_not_shorten_deadlines(ctx, hall, clock):
    """Saturday mornings are 延时服务: tickets are issued then (within those hours only), but
    a case's promised working days do not count the Saturday."""
    set_service_hours(ctx, hall, "hj", ["09:00-17:00"])
    set_hall_settings(ctx, hall, extended_service=[{"weekday": 6, "hours": ["09:00-12:00"]}])
    friday, saturday, sunday = date(2026, 11, 27), date(2026, 11, 28), date(2026, 11, 29)

    clock.current = shanghai(friday, 10)
    on_friday = finished_visit(ctx, hall, 1, outcome="accepted")
    clock.current = shanghai(saturday, 10)
    on_saturday = finished_visit(ctx, hall, 1, outcome="accepted")  # the hall serves
    clock.current = shanghai(saturday, 13)
    refused("service_outside_hours", "service", tickets.issue, ctx, hall_id=hall["id"],
            service="hj", actor=kiosk(hall))
    clock.current = shanghai(sunday, 10)
    refused("service_closed_today", "service", tickets.issue, ctx, hall_id=hall["id"],
            service="hj", actor=kiosk(hall))

    with ctx.engine.connect() as conn:
        due = dict(conn.execute(text(
            "SELECT t.day, c.due_date FROM cases c JOIN tickets t ON t.id = c.ticket_id"
        )).all())
    due = {(d if isinstance(d, date) else date.fromisoformat(d)):
           (v if isinstance(v, date) else date.fromisoformat(v)) for d, v in due.items()}
    # 5 working days after Friday 27 Nov: Mon 30 Nov … Fri 4 Dec — the Saturday not one
    assert due == {friday: date(2026, 12, 4), saturday: date(2026, 12, 4)}
    assert on_friday["id"] != on_saturday["id"]


# --- the overnight queue -------------------------------------------------------------------

def _waiting(ctx, hall) -> list[tuple[str, str, date | str]]:
    with ctx.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(Ticket.number, Ticket.state, Ticket.carried_to)
            .where(Ticket.hall_id == hall["id"]).order_by(Ticket.id))]


def _sweep(ctx, hall) -> None:
    run(ctx, lambda uow: run_sweeps(uow, hall["id"], (overnight.overnight_queue,)))


def test_overnight_queue_carried_in_order(ctx, hall, clock):
    """At closing (``closing_time``) the waiting tickets are carried to the next service day
    (Monday, over the weekend) keeping their numbers and order; Monday's first call takes the
    oldest of them, before Monday's own tickets."""
    set_hall_settings(ctx, hall, overnight_queue="carry", closing_time="17:30")
    friday, monday = date(2026, 11, 27), date(2026, 11, 30)
    clock.current = shanghai(friday, 16)
    issued = [tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall)).value
              for _ in range(3)]
    _sweep(ctx, hall)  # before closing: nothing moves
    assert [r[2] for r in _waiting(ctx, hall)] == [None, None, None]

    clock.current = shanghai(friday, 17, 45)
    _sweep(ctx, hall)
    _sweep(ctx, hall)  # twice: carried once
    rows = _waiting(ctx, hall)
    assert [r[0] for r in rows] == [t["number"] for t in issued]
    assert {r[1] for r in rows} == {"waiting"}
    assert {(r[2] if isinstance(r[2], date) else date.fromisoformat(r[2])) for r in rows} \
        == {monday}
    with ctx.engine.connect() as conn:
        notes = conn.execute(select(TicketHistory.action).where(
            TicketHistory.action == "carry")).scalars().all()
    assert len(notes) == 3

    clock.current = shanghai(monday, 9)
    new = tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall)).value
    assert new["number"] == "A004"  # Monday's numbers start after the carried A001–A003
    staff = signed_in_at(ctx, hall, 1)
    order = []
    for _ in range(4):
        order.append(calling.call_next(ctx, counter_id=hall["counters"][1], actor=staff)
                     .value["number"])
        calling.skip(ctx, counter_id=hall["counters"][1], actor=staff)
    assert order == [t["number"] for t in issued] + [new["number"]]
    # a carried number is today's to call by number too
    calling.reinstate(ctx, counter_id=hall["counters"][1], ticket_id=issued[1]["id"],
                      actor=staff)
    assert calling.call_number(ctx, counter_id=hall["counters"][1], number=issued[1]["number"],
                               actor=staff).value["id"] == issued[1]["id"]


def test_overnight_queue_cancelled_with_a_note(ctx, hall, clock):
    set_hall_settings(ctx, hall, overnight_queue="cancel")
    seen = []
    ctx.publishers.append(lambda events: seen.extend(events))
    clock.current = shanghai(date(2026, 11, 27), 16)
    t = tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall)).value
    clock.current = shanghai(date(2026, 11, 27), 18, 5)  # after the default 18:00
    _sweep(ctx, hall)
    assert _waiting(ctx, hall) == [(t["number"], "cancelled", None)]
    cancelled = [e for e in seen if e.type == "ticket.cancelled"]
    assert [e.payload["number"] for e in cancelled] == [t["number"]]
    assert cancelled[0].payload["reason"] == "closed"
    assert cancelled[0].payload["note"]
