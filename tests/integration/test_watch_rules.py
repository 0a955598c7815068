"""电子监察 alert rules on SQLite and PostgreSQL with the injected clock: each alert is raised
at the minute its threshold is reached (not a second before), escalates where it should,
and clears on the first pass after its condition ends. The clock starts on Monday
2026-11-23 10:00 Shanghai; the small hall's counters start closed."""
from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import insert, select, update

from hall.domain.access import Actor
from hall.services.cases import workflow as cases
from hall.services.config import accounts
from hall.services.context import run
from hall.services.counters import state as counters
from hall.services.devices import health as devices
from hall.services.queue import calling, tickets, visits
from hall.services.supervision import alerts, watch, watch_rules
from hall.store.models import Case, FollowUp, Hall
from tests.conftest import add_case
from tests.integration.conftest import signed_in_at


def set_alerts(ctx, hall, **values) -> None:
    with ctx.engine.begin() as conn:
        settings = conn.execute(select(Hall.settings).where(Hall.id == hall["id"])).scalar_one()
        conn.execute(update(Hall).where(Hall.id == hall["id"])
                     .values(settings={**(settings or {}), "alerts": values}))
    ctx.cache.clear()


# the rules of this file (the visit time limit has tests/integration/test_watch.py)
LOOKING = (watch_rules.LONG_WAITS, watch_rules.IDLE_WINDOWS, watch_rules.LONG_PAUSES)


def scan(ctx, hall):
    """One pass of the rules and the sweeps, as the watch makes it; the alert events it
    emitted as (action, key, kind, level)."""
    looked = watch.scan(ctx, hall["id"], LOOKING)
    swept = run(ctx, lambda uow: watch_rules.run_sweeps(uow, hall["id"]))
    return [(e.payload["action"], e.payload["alert"]["key"], e.payload["alert"]["kind"],
             e.payload["alert"]["level"]) for e in looked.events + swept.events
            if e.type == "alert"]


def issue(ctx, hall, service: str) -> dict:
    return tickets.issue(ctx, hall_id=hall["id"], service=service,
                         actor=Actor("device", 1, hall["id"], "kiosk")).value


def open_kinds(ctx, hall) -> dict[str, str]:
    return {a["key"]: a["kind"] for a in alerts.open_alerts(ctx, hall["id"])}


def test_a_long_wait_is_raised_at_n_minutes_escalates_and_clears_when_the_visitor_is_called(
        ctx, hall, clock):
    set_alerts(ctx, hall, long_wait_minutes=20, long_wait_critical_minutes=40)
    key = f"long_wait:{hall['services']['hj']}"
    issue(ctx, hall, "hj")
    clock.advance(minutes=5)
    issue(ctx, hall, "sfz")  # issued later: under its limit when hj's is over it
    clock.advance(minutes=15, seconds=-1)
    assert scan(ctx, hall) == []
    clock.advance(seconds=1)  # exactly 20 minutes after the hj ticket was issued
    assert scan(ctx, hall) == [("raised", key, "long_wait", "warning")]
    alert = alerts.open_alerts(ctx, hall["id"])[0]
    assert alert["payload"]["service"] == "户籍办理" and alert["payload"]["waiting"] == 1
    assert scan(ctx, hall) == []  # known: a pass every few seconds says nothing new
    clock.advance(minutes=20)
    sfz = f"long_wait:{hall['services']['sfz']}"
    assert scan(ctx, hall) == [("raised", key, "long_wait", "critical"),
                               ("raised", sfz, "long_wait", "warning")]

    staff = signed_in_at(ctx, hall, 1)  # counter 1 serves hj first (weight 2)
    called = calling.call_next(ctx, counter_id=hall["counters"][1], actor=staff).value
    assert called["number"] == "A001"
    assert scan(ctx, hall) == [("cleared", key, "long_wait", "critical")]
    assert set(open_kinds(ctx, hall)) == {sfz}


def test_a_service_may_have_its_own_wait_limit(ctx, hall, clock):
    set_alerts(ctx, hall, long_wait_minutes=30, long_wait_by_service={"ss": 5})
    issue(ctx, hall, "ss")
    issue(ctx, hall, "hj")
    clock.advance(minutes=5)
    assert scan(ctx, hall) == [("raised", f"long_wait:{hall['services']['ss']}", "long_wait",
                                "warning")]
    clock.advance(minutes=25)
    assert [e[1] for e in scan(ctx, hall)] == [f"long_wait:{hall['services']['hj']}"]


def test_an_idle_window_alerts_only_while_people_wait_for_it_and_clears_when_it_calls(
        ctx, hall, clock):
    set_alerts(ctx, hall, idle_minutes=5, long_wait_minutes=0)
    key = f"idle:{hall['counters'][1]}"
    staff = signed_in_at(ctx, hall, 1)
    clock.advance(minutes=30)
    assert scan(ctx, hall) == []  # free for half an hour, but nobody was waiting
    issue(ctx, hall, "hj")  # 10:30: the clock of "idle while people wait" starts now
    clock.advance(minutes=5, seconds=-1)
    assert scan(ctx, hall) == []
    clock.advance(seconds=1)
    assert scan(ctx, hall) == [("raised", key, "window_idle", "warning")]
    assert alerts.open_alerts(ctx, hall["id"])[0]["payload"]["counter_number"] == 1

    calling.call_next(ctx, counter_id=hall["counters"][1], actor=staff)
    assert scan(ctx, hall) == [("cleared", key, "window_idle", "warning")]
    calling.start(ctx, counter_id=hall["counters"][1], actor=staff)
    issue(ctx, hall, "sfz")  # waits while the window is busy: not idle
    clock.advance(minutes=10)
    assert scan(ctx, hall) == []
    visits.finish(ctx, counter_id=hall["counters"][1], actor=staff, outcome="done")
    clock.advance(minutes=5, seconds=-1)  # counted from the finish, not from the sfz ticket
    assert scan(ctx, hall) == []
    clock.advance(seconds=1)
    assert scan(ctx, hall) == [("raised", key, "window_idle", "warning")]
    counters.pause(ctx, counter_id=hall["counters"][1], actor=staff, reason="业务咨询")
    assert scan(ctx, hall) == [("cleared", key, "window_idle", "warning")]


def test_a_window_paused_longer_than_its_reason_allows_alerts_until_it_resumes(
        ctx, hall, clock):
    set_alerts(ctx, hall, pause_minutes=15, pause_by_reason={"午休": 60}, idle_minutes=0)
    one, two = signed_in_at(ctx, hall, 1), signed_in_at(ctx, hall, 2, "wang")
    counters.pause(ctx, counter_id=hall["counters"][1], actor=one, reason="业务咨询")
    counters.pause(ctx, counter_id=hall["counters"][2], actor=two, reason="午休")
    clock.advance(minutes=15, seconds=-1)
    assert scan(ctx, hall) == []
    clock.advance(seconds=1)
    key1, key2 = f"paused:{hall['counters'][1]}", f"paused:{hall['counters'][2]}"
    assert scan(ctx, hall) == [("raised", key1, "window_paused", "warning")]
    assert alerts.open_alerts(ctx, hall["id"])[0]["payload"]["reason"] == "业务咨询"
    counters.resume(ctx, counter_id=hall["counters"][1], actor=one)
    assert scan(ctx, hall) == [("cleared", key1, "window_paused", "warning")]
    clock.advance(minutes=45)  # 60 minutes of 午休
    assert scan(ctx, hall) == [("raised", key2, "window_paused", "warning")]
    counters.close(ctx, counter_id=hall["counters"][2], actor=two)
    assert scan(ctx, hall) == [("cleared", key2, "window_paused", "warning")]


def test_zero_turns_a_rule_off_and_a_setting_that_is_not_a_number_keeps_the_default(
        ctx, hall, clock):
    set_alerts(ctx, hall, idle_minutes=0, long_wait_minutes="soon", pause_minutes=-1)
    staff = signed_in_at(ctx, hall, 1)
    issue(ctx, hall, "hj")
    clock.advance(minutes=29)
    assert scan(ctx, hall) == []  # no idle alert at all, long wait still at 30 min
    clock.advance(minutes=1)
    assert [e[2] for e in scan(ctx, hall)] == ["long_wait"]
    calling.call_next(ctx, counter_id=hall["counters"][1], actor=staff)
    calling.start(ctx, counter_id=hall["counters"][1], actor=staff)
    visits.finish(ctx, counter_id=hall["counters"][1], actor=staff, outcome="inquiry")
    counters.pause(ctx, counter_id=hall["counters"][1], actor=staff, reason="午休")
    clock.advance(hours=5)
    assert [e[:3:2] for e in scan(ctx, hall)] == [("cleared", "long_wait")]


def test_a_case_turns_yellow_then_red_under_one_alert_and_clears_when_no_longer_open(
        ctx, hall, clock):
    accepted = date(2026, 11, 16)
    first = add_case(ctx, hall, "T-20261116-0001", accepted, date(2026, 11, 23),
                     date(2026, 11, 24))
    second = add_case(ctx, hall, "T-20261116-0002", accepted, date(2026, 11, 24),
                      date(2026, 11, 25))
    assert scan(ctx, hall) == [("raised", f"case:{first}", "case_warning", "warning")]
    clock.current = datetime(2026, 11, 25, 2, tzinfo=UTC)  # Wed: the first is overdue
    assert scan(ctx, hall) == [("raised", f"case:{first}", "case_overdue", "critical"),
                               ("raised", f"case:{second}", "case_warning", "warning")]
    assert open_kinds(ctx, hall) == {f"case:{first}": "case_overdue",
                                     f"case:{second}": "case_warning"}
    cases.act(ctx, hall_id=hall["id"], number="T-20261116-0001", action="finish",
              actor=Actor("staff", hall["staff"]["li"], hall["id"], "staff"))
    with ctx.engine.begin() as conn:  # closed by another path (e.g. an import): the safety net
        conn.execute(update(Case).where(Case.id == second).values(state="returned"))
    assert scan(ctx, hall) == [("cleared", f"case:{second}", "case_warning", "warning")]
    assert open_kinds(ctx, hall) == {}


def test_an_overdue_follow_up_is_raised_by_the_rule_list(ctx, hall, clock):
    with ctx.engine.begin() as conn:
        fid = conn.execute(insert(FollowUp).values(
            hall_id=hall["id"], ticket_id=7, counter_id=hall["counters"][1], level=1,
            opened_at=datetime(2026, 11, 16, 2, tzinfo=UTC), due_date=date(2026, 11, 23),
            state="open").returning(FollowUp.id)).scalar_one()
    assert scan(ctx, hall) == []  # due today: not late yet
    clock.current = datetime(2026, 11, 24, 2, tzinfo=UTC)
    assert scan(ctx, hall) == [("raised", f"followup:{fid}", "followup_overdue", "warning")]
    assert [r.name for r in watch_rules.RULES] == [
        "visit_limit", "long_wait", "idle_window", "paused_too_long",
        "waiting_at_closed_window", "complaint_overdue", "window_absent", "extra_window"]
    assert [s.__name__ for s in watch_rules.SWEEPS] == [
        "case_due", "followup_overdue", "device_silent", "staff_gone", "overnight_queue"]


def test_a_device_silent_for_n_minutes_is_marked_offline_by_the_rules(ctx, hall, clock):
    set_alerts(ctx, hall, device_silent_minutes=3)
    kiosk = accounts.add_device(ctx, kind="kiosk", name="1号取号机").value
    devices.report_health(ctx, device_id=kiosk["id"], health={"online": True})
    clock.advance(minutes=3)
    assert scan(ctx, hall) == []  # silent for exactly the limit: not yet
    clock.advance(seconds=1)
    key = f"device:{kiosk['id']}"
    assert scan(ctx, hall) == [("raised", key, "device_offline", "critical")]
    assert scan(ctx, hall) == []
    devices.report_health(ctx, device_id=kiosk["id"], health={"online": True})
    assert open_kinds(ctx, hall) == {}


def test_a_broken_sweep_is_rolled_back_and_the_others_still_run(ctx, hall, clock):
    def broken(uow, hall_id, settings):
        alerts.raise_alert(uow, hall_id, "broken:1", "broken")
        raise RuntimeError("a bug in one sweep")

    def long_wait(uow, hall_id, settings):  # a sweep that raises what the rule finds
        for f in watch_rules.find_long_waits(uow, hall_id, settings):
            alerts.raise_alert(uow, hall_id, f.key, f.kind, f.level, **f.payload)

    set_alerts(ctx, hall, long_wait_minutes=1)
    issue(ctx, hall, "hj")
    clock.advance(minutes=1)
    result = run(ctx, lambda uow: watch_rules.run_sweeps(uow, hall["id"], [broken, long_wait]))
    assert result.value == ["broken"]
    assert [e.payload["alert"]["kind"] for e in result.events] == ["long_wait"]
    assert list(open_kinds(ctx, hall).values()) == ["long_wait"]


def test_a_broken_rule_is_named_and_the_others_still_raise_and_clear(ctx, hall, clock):
    def broken(uow, hall_id, settings):
        uow.conn.exec_driver_sql("SELECT no_such_column FROM halls")  # a bug in one rule

    rule = watch_rules.Rule("broken", "broken:", broken)
    set_alerts(ctx, hall, long_wait_minutes=1)
    run(ctx, lambda uow: alerts.raise_alert(uow, hall["id"], "broken:1", "broken"))
    issue(ctx, hall, "hj")
    clock.advance(minutes=1)
    result = watch.scan(ctx, hall["id"], [rule, watch_rules.LONG_WAITS])
    assert result.value["failed"] == ["broken"]
    assert [e.payload["alert"]["kind"] for e in result.events] == ["long_wait"]
    # what a broken rule owns is left as it was: it could not say the condition ended
    assert sorted(open_kinds(ctx, hall).values()) == ["broken", "long_wait"]


def test_thresholds_fill_in_defaults_and_ignore_unknown_or_bad_values():
    got = watch_rules.thresholds({"alerts": {"idle_minutes": 8, "bogus": 1,
                                             "pause_by_reason": {"午休": 90, "x": "y"},
                                             "long_wait_minutes": True}})
    assert got["idle_minutes"] == 8 and got["long_wait_minutes"] == 30
    assert got["pause_by_reason"] == {"午休": 90} and "bogus" not in got
    assert watch_rules.thresholds(None) == watch_rules.DEFAULTS


def test_the_looking_rules_also_run_in_the_watch_scan_and_write_only_on_change(
        ctx, hall, clock):
    set_alerts(ctx, hall, long_wait_minutes=10, idle_minutes=0)
    entries = LOOKING
    assert [e.prefix for e in entries] == ["long_wait:", "idle:", "paused:"]
    issue(ctx, hall, "ss")
    clock.advance(minutes=10)
    raised = watch.scan(ctx, hall["id"], entries)
    assert [(e.payload["action"], e.payload["alert"]["key"]) for e in raised.events] == [
        ("raised", f"long_wait:{hall['services']['ss']}")]
    assert watch.scan(ctx, hall["id"], entries).events == []  # a quiet pass writes nothing
    staff = signed_in_at(ctx, hall, 3)
    calling.call_next(ctx, counter_id=hall["counters"][3], actor=staff)
    cleared = watch.scan(ctx, hall["id"], entries)
    assert [e.payload["action"] for e in cleared.events] == ["cleared"]
