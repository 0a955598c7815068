"""限时办结 watch on a real database: with an injected clock, a visit being served raises
its warning alert at the warning point, escalates to critical at the limit, and the alert
clears when the visit ends. hj: limit 20 min, warning 15 min (tests/data/small_hall.toml)."""
from __future__ import annotations

import time

import pytest

from hall.domain.access import Actor
from hall.services.context import read, run
from hall.services.counters import state as counters
from hall.services.queue import calling, tickets, visits
from hall.services.supervision import alerts, visit_alerts, watch, watch_rules
from tests.integration.conftest import kiosk

VISIT = (watch_rules.VISIT_LIMIT,)  # the 限时办结 rule alone: other rules have their own tests


def serving(ctx, hall, clock, service="hj", number=1, login="li") -> tuple[Actor, dict]:
    """A visit of ``service`` started at counter ``number`` at the clock's time."""
    t = tickets.issue(ctx, hall_id=hall["id"], service=service, actor=kiosk(hall)).value
    counters.sign_in(ctx, counter_id=hall["counters"][number], staff_id=hall["staff"][login])
    staff = Actor("staff", hall["staff"][login], hall["id"], "staff", hall["counters"][number])
    calling.call_next(ctx, counter_id=hall["counters"][number], actor=staff)
    calling.start(ctx, counter_id=hall["counters"][number], actor=staff)
    return staff, t


def alert_events(result) -> list[tuple[str, str, str]]:
    return [(e.payload["action"], e.payload["alert"]["kind"], e.payload["alert"]["level"])
            for e in result.events if e.type == "alert"]


def test_the_visit_alert_is_raised_at_the_warning_point_and_escalates_at_the_limit(
        ctx, hall, clock):
    staff, t = serving(ctx, hall, clock)
    hid = hall["id"]
    clock.advance(minutes=15, seconds=-1)
    assert alert_events(watch.scan(ctx, hid, VISIT)) == []
    clock.advance(seconds=1)  # exactly 15:00 into the visit
    warned = watch.scan(ctx, hid, VISIT)
    assert alert_events(warned) == [("raised", "visit_warning", "warning")]
    event = warned.events[0]
    assert event.payload["counter_id"] == hall["counters"][1]
    assert event.payload["alert"]["key"] == f"visit_limit:{t['id']}"
    assert event.payload["alert"]["payload"]["number"] == t["number"]
    assert event.seq is not None  # in the event log, so screens and the board replay it

    clock.advance(minutes=4, seconds=59)
    assert alert_events(watch.scan(ctx, hid, VISIT)) == []  # known already: nothing new to say
    clock.advance(seconds=1)  # exactly 20:00
    over = watch.scan(ctx, hid, VISIT)
    assert alert_events(over) == [("raised", "visit_over", "critical")]
    open_ = alerts.open_alerts(ctx, hid)
    assert len(open_) == 1 and open_[0]["level"] == "critical"
    assert open_[0]["id"] == event.payload["alert"]["id"]  # the same alert, escalated
    assert alert_events(watch.scan(ctx, hid, VISIT)) == []

    done = visits.finish(ctx, counter_id=hall["counters"][1], actor=staff, outcome="done")
    assert alert_events(done) == [("cleared", open_[0]["kind"], "critical")]
    assert alerts.open_alerts(ctx, hid) == []
    assert watch.scan(ctx, hid, VISIT).events == []


def test_a_visit_finished_before_its_warning_point_never_alerts(ctx, hall, clock):
    staff, _ = serving(ctx, hall, clock)
    clock.advance(minutes=14)
    visits.finish(ctx, counter_id=hall["counters"][1], actor=staff, outcome="inquiry")
    clock.advance(minutes=30)
    assert watch.scan(ctx, hall["id"], VISIT).events == []
    assert alerts.open_alerts(ctx, hall["id"]) == []


def test_each_service_uses_its_own_limits(ctx, hall, clock):
    serving(ctx, hall, clock, service="ss", number=3)  # ss: warning 12, limit 15 min
    serving(ctx, hall, clock, service="sfz", number=4, login="wang")  # sfz: warning 8, limit 10 min
    clock.advance(minutes=10)
    result = watch.scan(ctx, hall["id"], VISIT)
    levels = {e.payload["alert"]["payload"]["service"]: e.payload["alert"]["level"]
              for e in result.events}
    assert levels == {"身份证办理": "critical"}
    clock.advance(minutes=2)
    result = watch.scan(ctx, hall["id"], VISIT)
    assert [(e.payload["alert"]["payload"]["service"], e.payload["alert"]["level"])
            for e in result.events] == [("税务申报", "warning")]


def test_a_held_or_transferred_visit_stops_its_clock_and_clears_its_alert(ctx, hall, clock):
    staff, _ = serving(ctx, hall, clock)
    clock.advance(minutes=16)
    assert alert_events(watch.scan(ctx, hall["id"], VISIT)) == [
        ("raised", "visit_warning", "warning")]
    held = calling.hold(ctx, counter_id=hall["counters"][1], actor=staff, note="复印材料")
    assert alert_events(held) == [("cleared", "visit_warning", "warning")]

    serving(ctx, hall, clock)
    clock.advance(minutes=21)
    assert alert_events(watch.scan(ctx, hall["id"], VISIT)) == [
        ("raised", "visit_over", "critical")]
    moved = visits.transfer(ctx, counter_id=hall["counters"][1], actor=staff, to_service="sfz")
    assert alert_events(moved) == [("cleared", "visit_over", "critical")]
    assert alerts.open_alerts(ctx, hall["id"]) == []


def test_the_scan_clears_an_alert_whose_visit_ended_without_clearing_it(ctx, hall, clock):
    """The safety net: e.g. an alert raised by a scan that raced with the finish."""
    staff, t = serving(ctx, hall, clock)
    visits.finish(ctx, counter_id=hall["counters"][1], actor=staff, outcome="done")
    run(ctx, lambda uow: alerts.raise_alert(uow, hall["id"], visit_alerts.visit_key(t["id"]),
                                            "visit_over", "critical", ticket_id=t["id"]))
    result = watch.scan(ctx, hall["id"], VISIT)
    assert alert_events(result) == [("cleared", "visit_over", "critical")]
    other = run(ctx, lambda uow: alerts.raise_alert(uow, hall["id"], "device:9", "offline"))
    assert watch.scan(ctx, hall["id"], VISIT).events == []  # not a key this rule owns
    assert [a["id"] for a in alerts.open_alerts(ctx, hall["id"])] == [other.value["id"]]


def test_a_quiet_scan_reads_and_writes_nothing(ctx, hall, clock):
    serving(ctx, hall, clock)
    clock.advance(minutes=5)
    last = read(ctx, lambda uow: uow.conn.exec_driver_sql(
        "SELECT last_seq FROM halls").scalar_one())
    result = watch.scan(ctx, hall["id"], VISIT)
    assert result.events == []
    assert result.value == {"found": 0, "raised": [], "cleared": [], "failed": []}
    assert read(ctx, lambda uow: uow.conn.exec_driver_sql(
        "SELECT last_seq FROM halls").scalar_one()) == last


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # SQLite's plan text
def test_the_serving_query_uses_the_queue_index(ctx, hall):
    from sqlalchemy.dialects import sqlite

    captured = []

    def find(uow, hall_id):
        conn = uow.conn
        orig = conn.execute

        def spy(stmt, *a, **k):
            captured.append(str(stmt.compile(dialect=sqlite.dialect(),
                                             compile_kwargs={"literal_binds": True})))
            return orig(stmt, *a, **k)

        conn.execute = spy
        try:
            return watch_rules.visit_limits(uow, hall_id, {})
        finally:
            del conn.execute

    read(ctx, lambda uow: find(uow, hall["id"]))
    plan = read(ctx, lambda uow: uow.conn.exec_driver_sql(
        "EXPLAIN QUERY PLAN " + captured[0]).all())
    details = " ".join(str(r[-1]) for r in plan)
    assert "SEARCH" in details and "ix_tickets_queue" in details, details


def test_the_background_watch_raises_alerts_as_the_clock_moves(app_with_clock):
    app, ctx, clock, hall = app_with_clock
    staff, _ = serving(ctx, hall, clock)
    w = watch.start_watch(app, interval_s=0.05)
    try:
        clock.advance(minutes=21)
        deadline = time.monotonic() + 10
        # a pass counts once all its rules ran: the alert can show before the count moves
        while (not alerts.open_alerts(ctx, hall["id"]) or w.passes < 1) and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        open_ = alerts.open_alerts(ctx, hall["id"])
        assert [a["kind"] for a in open_] == ["visit_over"] and w.failures == 0
        assert w.passes >= 1
    finally:
        w.stop()
    assert not w.task.is_alive()  # stopped for good, its connection back in the pool

