"""并联审批 and 绿色通道 (issue 22): a case in parts, one per department, due on its latest
part and following its parts' states, each part with its own clock; fast-track cases with
the service's shortened promise; measures that count a case once (and parts per
department) — on SQLite and PostgreSQL with an injected clock (Mon 23 Nov 2026)."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from hall.domain.access import Actor
from hall.domain.parallel import PartSpec
from hall.services.cases import clock as case_clock
from hall.services.cases import workflow as cases
from hall.services.config.layout.spec import ServiceSpec
from hall.services.context import run
from hall.services.queue import calling, queries, tickets, visits
from hall.services.supervision import alerts, reports
from tests.conftest import refused
from tests.integration.conftest import finished_visit, kiosk, signed_in_at


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, tzinfo=UTC)  # 10:00 in Shanghai


def boss(hall) -> Actor:
    return Actor("staff", hall["staff"]["wang"], hall["id"], "supervisor", label="王强")


def departments(ctx) -> dict[str, int]:
    with ctx.engine.connect() as conn:
        return dict(conn.execute(text("SELECT code, id FROM departments")).all())


def in_parts(ctx, hall, gaj_days: int, swj_days: int, **finish) -> dict:
    """A 户籍办理 visit accepted at window 1 as a case in two parts: 公安局, 税务局."""
    d = departments(ctx)
    return finished_visit(ctx, hall, 1, outcome="accepted", parts=[
        PartSpec(d["gaj"], gaj_days, hall["staff"]["li"]), PartSpec(d["swj"], swj_days)],
        **finish)["case"]


def listed(ctx, hall, number: str) -> dict:
    return next(c for c in cases.list_cases(ctx, hall_id=hall["id"])["cases"]
                if c["number"] == number)


def act(ctx, hall, number: str, action: str, part: int | None = None):
    return cases.act(ctx, hall_id=hall["id"], number=number, action=action,
                     actor=boss(hall), part=part).value


def test_parallel_case_due_is_latest_part(ctx, hall, clock):
    case = in_parts(ctx, hall, 3, 7)
    # 公安局 3 working days: Thu 26 Nov; 税务局 7: Wed 2 Dec — the case is due on the latest
    assert [(p["part"], p["due_date"]) for p in case["parts"]] == [
        (1, "2026-11-26"), (2, "2026-12-02")]
    assert (case["due_date"], case["warning_date"], case["promised_days"]) == \
        ("2026-12-02", "2026-12-01", 7)
    number = case["number"]
    moved = case_clock.extend(ctx, hall_id=hall["id"], number=number, days=5,
                              reason="需现场核查", actor=boss(hall), part=1).value
    # 公安局's part extended past 税务局's: 3 + 5 working days, Thu 3 Dec, and so the case
    assert (moved["part"], moved["due_date"], moved["case_due_date"]) == \
        (1, "2026-12-03", "2026-12-03")
    seen = listed(ctx, hall, number)
    assert (seen["due_date"], seen["warning_date"]) == ("2026-12-03", "2026-12-02")
    assert [(p["department"], p["due_date"], p["staff_id"]) for p in seen["parts"]] == [
        ("公安局", "2026-12-03", hall["staff"]["li"]), ("税务局", "2026-12-02", None)]
    with ctx.engine.connect() as conn:
        code = conn.execute(text("SELECT lookup_code FROM cases")).scalar_one()
    public = queries.case_by_number(ctx, number, code)
    assert public["due_date"] == "2026-12-03"
    assert [(p["part"], p["department"], p["due_date"]) for p in public["parts"]] == [
        (1, "公安局", "2026-12-03"), (2, "税务局", "2026-12-02")]
    assert "staff_id" not in public["parts"][0]
    assert [h["part"] for h in case_clock.history(ctx, hall["id"], number)] == [1]

    clock.current = at(date(2026, 12, 3))  # Thu: 税务局's part is late, the case not yet
    run(ctx, lambda uow: cases.scan_due(uow, hall["id"]))
    assert [a["kind"] for a in alerts.open_alerts(ctx, hall["id"])] == ["case_warning"]
    assert [p["urgency"] for p in listed(ctx, hall, number)["parts"]] == ["yellow", "red"]
    clock.current = at(date(2026, 12, 4))  # every part late: one red light, for the case
    run(ctx, lambda uow: cases.scan_due(uow, hall["id"]))
    assert [(a["kind"], a["level"]) for a in alerts.open_alerts(ctx, hall["id"])] == [
        ("case_overdue", "critical")]


def test_parallel_case_state_follows_parts(ctx, hall, clock):
    number = in_parts(ctx, hall, 3, 5)["number"]
    assert listed(ctx, hall, number)["state"] == "accepted"
    started = act(ctx, hall, number, "start", part=1)
    assert (started["state"], started["case_state"]) == ("in_progress", "in_progress")
    refused("case_in_parts", "part", act, ctx, hall, number, "finish")  # only by its parts
    clock.current = at(date(2026, 11, 25))
    done = act(ctx, hall, number, "finish", part=1)
    assert (done["state"], done["on_time"], done["case_state"]) == ("done", True, "in_progress")
    refused("part_not_found", "part", act, ctx, hall, number, "finish", 3)
    clock.current = at(date(2026, 11, 26))
    # 税务局 refuses its part: the case cannot be granted as a whole, and is returned
    returned = act(ctx, hall, number, "return", part=2)
    assert returned["case_state"] == "returned"
    seen = listed(ctx, hall, number)
    assert (seen["state"], seen["done_on"]) == ("returned", "2026-11-26")
    assert [p["state"] for p in seen["parts"]] == ["done", "returned"]

    other = in_parts(ctx, hall, 2, 4)["number"]  # every part done: the case is done
    act(ctx, hall, other, "finish", part=2)
    assert act(ctx, hall, other, "finish", part=1)["case_state"] == "done"
    assert listed(ctx, hall, other)["done_on"] == "2026-11-26"
    refused("illegal_case_transition", "state", act, ctx, hall, other, "finish", 1)


def test_suspending_one_part_leaves_the_others_running(ctx, hall, clock):
    number = in_parts(ctx, hall, 3, 5)["number"]  # due Thu 26 Nov and Mon 30 Nov
    me = boss(hall)
    stopped = case_clock.suspend(ctx, hall_id=hall["id"], number=number, reason="testing",
                                 note="送检", actor=me, part=1).value
    assert (stopped["state"], stopped["case_state"]) == ("suspended", "in_progress")
    refused("case_in_parts", "part", case_clock.suspend, ctx, hall_id=hall["id"],
            number=number, reason="testing", note=None, actor=me)
    clock.current = at(date(2026, 11, 26))  # Thu: three working days stopped
    back = case_clock.resume(ctx, hall_id=hall["id"], number=number, note="报告已回",
                             actor=me, part=1).value
    assert (back["days"], back["due_date"], back["case_due_date"]) == (3, "2026-12-01",
                                                                       "2026-12-01")
    parts = listed(ctx, hall, number)["parts"]
    assert [(p["state"], p["due_date"], p["suspended_days"]) for p in parts] == [
        ("in_progress", "2026-12-01", 3), ("accepted", "2026-11-30", 0)]  # 税务局's unmoved

    for part in (1, 2):  # every open part stopped: the case's clock is stopped
        case_clock.suspend(ctx, hall_id=hall["id"], number=number, reason="hearing",
                           note=None, actor=me, part=part)
    seen = listed(ctx, hall, number)
    assert (seen["state"], seen["urgency"]) == ("suspended", "normal")
    clock.current = at(date(2026, 12, 3))  # past both due dates, yet nothing runs
    run(ctx, lambda uow: cases.scan_due(uow, hall["id"]))
    assert alerts.open_alerts(ctx, hall["id"]) == []


def test_fast_track_case_gets_shortened_days(ctx, hall):
    fast = finished_visit(ctx, hall, 1, outcome="accepted", fast_track=True)["case"]
    # 户籍办理 promises 5 working days, 2 by its 绿色通道: Wed 25 Nov, not Mon 30 Nov
    assert (fast["fast_track"], fast["promised_days"], fast["due_date"]) == \
        (True, 2, "2026-11-25")
    assert listed(ctx, hall, fast["number"])["fast_track"] is True
    # in parts, no part is promised more than the fast track
    split = in_parts(ctx, hall, 1, 4, fast_track=True)
    assert [(p["promised_days"], p["due_date"]) for p in split["parts"]] == [
        (1, "2026-11-24"), (2, "2026-11-25")]
    normal = finished_visit(ctx, hall, 1, outcome="accepted")["case"]
    assert (normal["promised_days"], normal["due_date"]) == (5, "2026-11-30")
    # the setting is the service's, in the layout file and the console, and must shorten
    spec = dict(code="hj", department="gaj", name="户籍办理", prefix="A", kind="promised",
                promised_days=5, expected_visit_minutes=10, time_limit_minutes=20)
    assert ServiceSpec(**spec, fast_track_days=2).fast_track_days == 2
    with pytest.raises(ValidationError, match="fast_track_days"):
        ServiceSpec(**spec, fast_track_days=5)


def test_bad_parts_are_refused_naming_the_field(ctx, hall):
    d = departments(ctx)
    staff = signed_in_at(ctx, hall, 1)
    tickets.issue(ctx, hall_id=hall["id"], service="sfz", actor=kiosk(hall))
    calling.call_next(ctx, counter_id=hall["counters"][1], actor=staff)
    calling.start(ctx, counter_id=hall["counters"][1], actor=staff)

    def finish(outcome="accepted", **kw):
        return visits.finish(ctx, counter_id=hall["counters"][1], actor=staff,
                             outcome=outcome, **kw)

    two = [PartSpec(d["gaj"], 3), PartSpec(d["swj"], 4)]
    refused("parts_count", "parts", finish, parts=two[:1])
    refused("part_department_twice", "parts.1.department_id", finish,
            parts=[two[0], PartSpec(d["gaj"], 2)])
    refused("part_days", "parts.1.promised_days", finish, parts=[two[0], PartSpec(d["swj"], 0)])
    refused("department_not_found", "parts.1.department_id", finish,
            parts=[two[0], PartSpec(9999, 2)])
    refused("staff_not_found", "parts.0.staff_id", finish,
            parts=[PartSpec(d["gaj"], 3, 9999), two[1]])
    refused("no_case", "parts", finish, outcome="done", parts=two)
    refused("no_fast_track", "fast_track", finish, fast_track=True)  # 身份证办理 has none
    with ctx.engine.connect() as conn:  # nothing half-written
        assert conn.execute(text("SELECT count(*) FROM cases")).scalar_one() == 0


def test_department_reports_count_parts_and_the_hall_each_case_once(ctx, hall, clock):
    parallel = in_parts(ctx, hall, 3, 7)["number"]  # 公安局 due Thu 26, 税务局 Wed 2 Dec
    single = finished_visit(ctx, hall, 1, outcome="accepted")["case"]["number"]  # 公安局
    clock.current = at(date(2026, 11, 27))  # Fri: 公安局's part a day late, the rest in time
    for part in (1, 2):
        act(ctx, hall, parallel, "finish", part=part)
    act(ctx, hall, single, "finish")
    d = departments(ctx)
    month = dict(period="month", on="2026-11-01", hall_id=hall["id"])
    whole = reports.report(ctx, group="hall", **month)["total"]
    assert (whole["cases_received"], whole["cases_concluded"], whole["cases_on_time"],
            whole["cases_late"], whole["on_time_rate"]) == (2, 2, 2, 0, 1.0)
    by_dept = reports.report(ctx, group="department", **month)
    rows = {r["key"]: r for r in by_dept["rows"]}
    assert (rows[d["gaj"]]["cases_received"], rows[d["gaj"]]["cases_on_time"],
            rows[d["gaj"]]["cases_late"], rows[d["gaj"]]["on_time_rate"]) == (2, 1, 1, 0.5)
    assert (rows[d["swj"]]["cases_received"], rows[d["swj"]]["cases_on_time"]) == (1, 1)
    total = by_dept["total"]  # the hall's own figures, each case once
    assert (total["cases_received"], total["cases_on_time"], total["cases_late"],
            total["on_time_rate"]) == (2, 2, 0, 1.0)
