"""The case clock by law (issue 18): extension once and within the limit, suspension stops
the clock and pushes the due date, the warning point per service, amber and red alerts for
the accepting window — on SQLite and PostgreSQL with an injected clock."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from hall.domain import measures as m
from hall.domain.access import Actor
from hall.realtime.events import rooms_for
from hall.services.cases import clock as case_clock
from hall.services.cases import documents
from hall.services.cases import workflow as cases
from hall.services.context import run
from hall.services.queue import queries
from hall.services.supervision import alerts, watch_rules
from tests.conftest import LOOKUP_CODE, add_case, refused
from tests.integration.conftest import finished_visit

NUMBER = "T-20261123-0001"


@pytest.fixture
def case(ctx, hall):
    # accepted Mon 23 Nov 2026 for 户籍办理 (承诺 5 working days): due Mon 30 Nov
    return add_case(ctx, hall, NUMBER, date(2026, 11, 23), date(2026, 11, 27),
                    date(2026, 11, 30))


def boss(hall) -> Actor:
    return Actor("staff", hall["staff"]["wang"], hall["id"], "supervisor", label="王强")


def clock_rows(ctx) -> list:
    with ctx.engine.connect() as conn:
        return conn.execute(text("SELECT action, days, due_before, due_after FROM case_clock "
                                 "ORDER BY id")).all()


def at(day: date):
    return datetime(day.year, day.month, day.day, 2, tzinfo=UTC)  # 10:00 in Shanghai


def test_extension_moves_the_due_date_once(ctx, hall, case, clock):
    me = boss(hall)
    staff = Actor("staff", hall["staff"]["li"], hall["id"], "staff")
    refused("forbidden", "authorization", case_clock.extend, ctx, hall_id=hall["id"],
            number=NUMBER, days=3, reason="需补充现场核查", actor=staff)
    refused("extension_too_long", "days", case_clock.extend, ctx, hall_id=hall["id"],
            number=NUMBER, days=11, reason="需补充现场核查", actor=me)  # the limit is 10
    refused("reason_required", "reason", case_clock.extend, ctx, hall_id=hall["id"],
            number=NUMBER, days=3, reason="  ", actor=me)
    assert clock_rows(ctx) == []  # nothing half-written

    moved = case_clock.extend(ctx, hall_id=hall["id"], number=NUMBER.lower(), days=3,
                              reason="需补充现场核查", actor=me)
    # 5 + 3 working days after Mon 23 Nov: Thu 3 Dec; the warning point (1 day) moves too
    assert moved.value == {"number": NUMBER, "state": "accepted", "due_date": "2026-12-03",
                           "warning_date": "2026-12-02", "due_before": "2026-11-30",
                           "days": 3}
    assert [e.type for e in moved.events] == ["case.updated"]
    refused("already_extended", "days", case_clock.extend, ctx, hall_id=hall["id"],
            number=NUMBER, days=1, reason="再延", actor=me)
    assert [(r.action, r.days, str(r.due_before), str(r.due_after)) for r in clock_rows(ctx)] \
        == [("extend", 3, "2026-11-30", "2026-12-03")]

    # the applicant's notice: on the case page and printed
    seen = queries.case_by_number(ctx, NUMBER, LOOKUP_CODE)
    assert (seen["due_date"], seen["extension_days"], seen["extension_reason"]) == \
        ("2026-12-03", 3, "需补充现场核查")
    notice = documents.extension_notice(ctx, number=NUMBER, actor=me, base_url="http://h")
    lines = {ln["label"]: ln["text"] for ln in notice["lines"]}
    assert notice["title"] == "Extension notice"
    assert (lines["Due date before"], lines["Extended by"], lines["Due date"]) == \
        ("2026-11-30", "3 working days", "2026-12-03")
    assert lines["Approved by"] == "王强" and notice["qr_url"].endswith(f"/case/{NUMBER}")

    clock.current = at(date(2026, 12, 2))  # past the old due date, not the new one: amber
    run(ctx, lambda uow: cases.scan_due(uow, hall["id"]))
    assert [a["kind"] for a in alerts.open_alerts(ctx, hall["id"])] == ["case_warning"]
    cases.act(ctx, hall_id=hall["id"], number=NUMBER, action="finish", actor=me)
    # a closed case is not extended
    other = add_case(ctx, hall, "T-20261123-0002", date(2026, 11, 23), date(2026, 11, 27),
                     date(2026, 11, 30))
    assert other
    cases.act(ctx, hall_id=hall["id"], number="T-20261123-0002", action="return", actor=me)
    refused("illegal_case_transition", "state", case_clock.extend, ctx, hall_id=hall["id"],
            number="T-20261123-0002", days=2, reason="迟了", actor=me)


def test_suspension_stops_the_clock(ctx, hall, case, clock):
    me = boss(hall)
    refused("not_suspended", "state", case_clock.resume, ctx, hall_id=hall["id"],
            number=NUMBER, note=None, actor=me)
    refused("invalid_suspend_reason", "reason", case_clock.suspend, ctx, hall_id=hall["id"],
            number=NUMBER, reason="lunch", note=None, actor=me)
    clock.current = at(date(2026, 11, 25))  # Wed: sent for 检测
    stopped = case_clock.suspend(ctx, hall_id=hall["id"], number=NUMBER, reason="testing",
                                 note="送省质检院", actor=me).value
    assert (stopped["state"], stopped["due_date"]) == ("suspended", "2026-11-30")
    seen = queries.case_by_number(ctx, NUMBER, LOOKUP_CODE)
    assert (seen["state"], seen["suspended_on"], seen["suspend_reason"]) == \
        ("suspended", "2026-11-25", "testing")

    clock.current = at(date(2026, 12, 2))  # Wed the week after: past the old due date
    run(ctx, lambda uow: watch_rules.case_due(uow, hall["id"], {}))
    assert alerts.open_alerts(ctx, hall["id"]) == []  # the clock is stopped: no red
    assert cases.list_cases(ctx, hall_id=hall["id"])["cases"][0]["urgency"] == "normal"
    record = m.CaseRecord(date(2026, 11, 30), None, "suspended", date(2026, 11, 25))
    assert m.case_figures([record], date(2026, 11, 1), date(2026, 11, 30)).overdue == 0

    back = case_clock.resume(ctx, hall_id=hall["id"], number=NUMBER, note="检测报告已回",
                             actor=me).value
    # stopped Thu 26, Fri 27, Mon 30, Tue 1, Wed 2: five working days; 5 + 5 after 23 Nov
    assert (back["state"], back["days"], back["due_date"], back["warning_date"]) == \
        ("in_progress", 5, "2026-12-07", "2026-12-04")
    refused("not_suspended", "state", case_clock.resume, ctx, hall_id=hall["id"],
            number=NUMBER, note=None, actor=me)
    assert [(r.action, r.days) for r in clock_rows(ctx)] == [("suspend", 0), ("resume", 5)]
    assert [h["action"] for h in case_clock.history(ctx, hall["id"], NUMBER)] == \
        ["suspend", "resume"]
    clock.current = at(date(2026, 12, 8))  # past the pushed due date: red
    run(ctx, lambda uow: cases.scan_due(uow, hall["id"]))
    assert [(a["kind"], a["level"]) for a in alerts.open_alerts(ctx, hall["id"])] == [
        ("case_overdue", "critical")]


def test_warning_point_per_service(ctx, hall, clock):
    with ctx.engine.begin() as conn:
        conn.execute(text("UPDATE services SET warning_days = 3 WHERE code = 'hj'"))
    ctx.cache.clear()
    finished_visit(ctx, hall, 1, outcome="accepted")  # Mon 23 Nov at window 1
    sfz = finished_visit(ctx, hall, 2, outcome="accepted", service="sfz")
    assert sfz
    with ctx.engine.connect() as conn:
        rows = dict(conn.execute(text(
            "SELECT s.code, c.warning_date || ' ' || c.due_date FROM cases c "
            "JOIN services s ON s.id = c.service_id")).all())
    # 户籍办理: due Mon 30 Nov, amber 3 working days before (Wed 25); 身份证办理 is 即办件
    # (0 days): due and warned the same day
    assert rows["hj"] == "2026-11-25 2026-11-30"
    assert rows["sfz"] == "2026-11-23 2026-11-23"
    with ctx.engine.begin() as conn:  # the sfz case is done; only hj's clock runs on
        conn.execute(text("UPDATE cases SET state = 'done', done_on = '2026-11-23', "
                          "done_at = accepted_at WHERE service_id = :s"),
                     {"s": hall["services"]["sfz"]})

    clock.current = at(date(2026, 11, 24))
    result = run(ctx, lambda uow: watch_rules.case_due(uow, hall["id"], {}))
    assert result.events == []
    clock.current = at(date(2026, 11, 25))
    result = run(ctx, lambda uow: watch_rules.case_due(uow, hall["id"], {}))
    amber = [e for e in result.events if e.type == "alert"]
    assert [(e.payload["alert"]["kind"], e.payload["alert"]["level"]) for e in amber] == [
        ("case_warning", "warning")]
    # it reaches the accepting window: its staff hear it in the counter's room (its devices
    # and the public do not: an alert is for the window's staff)
    assert f"counter:{hall['counters'][1]}#window_staff" in rooms_for(hall["id"], "alert",
                                                                    amber[0].payload)
    clock.current = at(date(2026, 12, 1))
    result = run(ctx, lambda uow: watch_rules.case_due(uow, hall["id"], {}))
    assert [(e.payload["alert"]["kind"], e.payload["alert"]["level"]) for e in result.events] \
        == [("case_overdue", "critical")]
