"""The service layer against a real database (SQLite file and PostgreSQL)."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from hall.domain.access import SYSTEM, Actor
from hall.domain.errors import DomainError, Forbidden, IllegalTransition
from hall.services.counters import state as counters
from hall.services.queue import calling, queries, tickets, visits
from hall.services.ratings import rating as ratings
from tests.integration.conftest import kiosk, signed_in_at


def staff_at(hall, number: int) -> Actor:
    return Actor("staff", hall["staff"]["li"], hall["id"], "staff", hall["counters"][number])


def test_issue_numbers_per_prefix_and_emits_event(ctx, hall):
    counters.open_counter(ctx, counter_id=hall["counters"][3], actor=SYSTEM)  # serves ss
    a1 = tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall))
    a2 = tickets.issue(ctx, hall_id=hall["id"], service="sfz", actor=kiosk(hall))
    b1 = tickets.issue(ctx, hall_id=hall["id"], service="ss", actor=kiosk(hall))
    assert [a1.value["number"], a2.value["number"], b1.value["number"]] == ["A001", "A002", "B001"]
    assert a1.events[0].type == "ticket.issued" and "token" not in a1.events[0].payload["ticket"]
    assert a2.value["ahead"] == 0 and b1.value["estimated_wait"]["min_s"] == 0
    seqs = [r.events[0].seq for r in (a1, a2, b1)]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3


def test_people_ahead_counts_the_same_service_queue(ctx, hall):
    counters.open_counter(ctx, counter_id=hall["counters"][1], actor=SYSTEM)  # serves hj
    for _ in range(3):
        tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall))
    fourth = tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall)).value
    assert fourth["ahead"] == 3
    low, high = fourth["estimated_wait"]["min_s"], fourth["estimated_wait"]["max_s"]
    assert 0 < low < high


def test_quota_refuses_the_fourth_ticket(ctx, hall):
    for _ in range(3):
        tickets.issue(ctx, hall_id=hall["id"], service="ss", actor=kiosk(hall))
    with pytest.raises(DomainError) as err:
        tickets.issue(ctx, hall_id=hall["id"], service="ss", actor=kiosk(hall))
    assert err.value.code == "quota_exceeded" and err.value.field == "service"


def test_full_visit_with_case_and_rating(ctx, hall, clock):
    t = tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall)).value
    staff = signed_in_at(ctx, hall, 1)
    called = calling.call_next(ctx, counter_id=hall["counters"][1], actor=staff)
    assert called.value["number"] == t["number"] and called.value["reason_code"] == "fifo"
    assert called.events[0].payload["announce"]["zh"] == "请 A001 号到 1 号窗口办理"
    clock.advance(seconds=30)
    calling.start(ctx, counter_id=hall["counters"][1], actor=staff)
    clock.advance(minutes=8)
    done = visits.finish(ctx, counter_id=hall["counters"][1], actor=staff, outcome="accepted",
                         applicant="张三丰")
    case = done.value["case"]
    # Monday 2026-11-23 + 5 working days = Monday 2026-11-30
    assert case["due_date"] == "2026-11-30" and case["number"] == "TEST-20261123-0001"
    found = queries.case_by_number(ctx, case["number"], case["lookup_code"])
    assert found["applicant"] == "张**"
    pad = Actor("device", 9, hall["id"], "pad", hall["counters"][1])
    ratings.rate(ctx, ticket_id=t["id"], level=5, actor=pad)
    with pytest.raises(DomainError) as err:
        ratings.rate(ctx, ticket_id=t["id"], level=4, actor=pad)
    assert err.value.code == "already_rated"
    with ctx.engine.connect() as conn:
        history = conn.execute(text("SELECT action FROM ticket_history WHERE ticket_id=:i "
                                    "ORDER BY id"), {"i": t["id"]}).scalars().all()
    assert history == ["call", "start", "finish", "rate"]  # issue: on the ticket itself


def test_pad_of_another_counter_cannot_rate(ctx, hall):
    t = tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall)).value
    staff = signed_in_at(ctx, hall, 1)
    calling.call_next(ctx, counter_id=hall["counters"][1], actor=staff)
    calling.start(ctx, counter_id=hall["counters"][1], actor=staff)
    visits.finish(ctx, counter_id=hall["counters"][1], actor=staff, outcome="done")
    with pytest.raises(Forbidden):
        ratings.rate(ctx, ticket_id=t["id"], level=5,
                     actor=Actor("device", 9, hall["id"], "pad", hall["counters"][2]))


def test_calling_on_a_paused_counter_is_refused(ctx, hall):
    staff = signed_in_at(ctx, hall, 1)
    counters.pause(ctx, counter_id=hall["counters"][1], actor=staff, reason="午休")
    tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall))
    with pytest.raises(DomainError) as err:
        calling.call_next(ctx, counter_id=hall["counters"][1], actor=staff)
    assert err.value.code == "counter_state" and err.value.params["state"] == "paused"


def test_finishing_a_waiting_ticket_names_the_state(ctx, hall):
    staff = signed_in_at(ctx, hall, 1)
    tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall))
    calling.call_next(ctx, counter_id=hall["counters"][1], actor=staff)
    with pytest.raises(IllegalTransition) as err:
        visits.finish(ctx, counter_id=hall["counters"][1], actor=staff, outcome="done")
    assert err.value.state == "called"


def test_staff_cannot_act_at_another_counter(ctx, hall):
    staff = signed_in_at(ctx, hall, 1)
    counters.sign_in(ctx, counter_id=hall["counters"][2], staff_id=hall["staff"]["wang"])
    with pytest.raises(Forbidden):
        calling.call_next(ctx, counter_id=hall["counters"][2], actor=staff)


def test_skip_reinstate_and_hold_unhold(ctx, hall, clock):
    staff = signed_in_at(ctx, hall, 1)
    c1 = hall["counters"][1]
    first = tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall)).value
    clock.advance(seconds=1)
    second = tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall)).value
    calling.call_next(ctx, counter_id=c1, actor=staff)
    calling.recall(ctx, counter_id=c1, actor=staff)
    calling.skip(ctx, counter_id=c1, actor=staff)
    clock.advance(seconds=5)
    calling.reinstate(ctx, counter_id=c1, ticket_id=first["id"], actor=staff)
    # the reinstated visitor rejoins behind the one who queued meanwhile
    assert calling.call_next(ctx, counter_id=c1, actor=staff).value["id"] == second["id"]
    calling.hold(ctx, counter_id=c1, actor=staff)
    calling.unhold(ctx, counter_id=c1, ticket_id=second["id"], actor=staff)
    again = calling.call_next(ctx, counter_id=c1, actor=staff).value
    assert again["id"] == second["id"] and again["reason_code"] == "directed"


def test_transfer_to_a_counter_creates_a_linked_ticket_called_there_first(ctx, hall, clock):
    staff = signed_in_at(ctx, hall, 1)
    counters.sign_in(ctx, counter_id=hall["counters"][3], staff_id=hall["staff"]["wang"])
    boss = Actor("staff", hall["staff"]["wang"], hall["id"], "supervisor", hall["counters"][3])
    t = tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall)).value
    tickets.issue(ctx, hall_id=hall["id"], service="ss", actor=kiosk(hall))
    calling.call_next(ctx, counter_id=hall["counters"][1], actor=staff)
    moved = visits.transfer(ctx, counter_id=hall["counters"][1], actor=staff, to_counter=3,
                            note="需税务确认").value
    assert moved["new_ticket"]["number"] == "A002"
    nxt = calling.call_next(ctx, counter_id=hall["counters"][3], actor=boss).value
    assert nxt["id"] == moved["new_ticket"]["id"] and nxt["reason_code"] == "directed"
    status = queries.ticket_by_token(ctx, t["token"])
    assert status["state"] == "transferred" and status["transferred_to"]["number"] == "A002"


def test_green_channel_needs_a_known_reason(ctx, hall):
    with pytest.raises(DomainError) as err:
        tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall), kind="priority")
    assert err.value.field == "priority_reason"
    p = tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall), kind="priority",
                      priority_reason="老年人").value
    assert p["kind"] == "priority"


def test_day_rollover_restarts_numbering_at_local_midnight(ctx, hall, clock):
    from datetime import UTC, datetime
    clock.current = datetime(2026, 11, 23, 15, 59, 59, tzinfo=UTC)  # 23:59:59 Shanghai
    assert tickets.issue(ctx, hall_id=hall["id"], service="hj",
                         actor=kiosk(hall)).value["number"] == "A001"
    assert tickets.issue(ctx, hall_id=hall["id"], service="hj",
                         actor=kiosk(hall)).value["number"] == "A002"
    clock.advance(seconds=1)  # 00:00:00 Shanghai, still 2026-11-23 in UTC
    assert tickets.issue(ctx, hall_id=hall["id"], service="hj",
                         actor=kiosk(hall)).value["number"] == "A001"


def test_events_after_returns_the_log_in_order(ctx, hall):
    for _ in range(3):  # each issue logs ticket.issued, then the line's queue.stats
        tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=SYSTEM)
    log = queries.events_after(ctx, hall["id"], 1)
    assert [e["seq"] for e in log["events"]] == [2, 3, 4, 5, 6] and log["last_seq"] == 6
    assert [e["type"] for e in log["events"]] == ["queue.stats", "ticket.issued"] * 2 + [
        "queue.stats"]


# --- queue.stats: every change to a line is followed by its waiting count and estimate -----

def stats(result) -> dict[int, dict]:
    """The queue.stats events of one command, by service id."""
    return {e.payload["service_id"]: e.payload for e in result.events
            if e.type == "queue.stats"}


def waiting_now(ctx, hall, code: str) -> int:
    return next(q["waiting"] for q in queries.queues(ctx, hall["id"])["services"]
                if q["code"] == code)


def test_each_issue_is_followed_by_its_lines_queue_stats_with_a_seq(ctx, hall):
    hj = hall["services"]["hj"]
    counters.open_counter(ctx, counter_id=hall["counters"][1], actor=SYSTEM)  # serves hj
    for n in (1, 2, 3):
        result = tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall))
        assert [e.type for e in result.events] == ["ticket.issued", "queue.stats"]
        issued, stat = result.events
        assert stat.seq == issued.seq + 1 and stat.hall_id == hall["id"]
        assert stat.payload["service_id"] == hj and stat.payload["waiting"] == n
    low, high = stat.payload["estimated_wait"]["min_s"], stat.payload["estimated_wait"]["max_s"]
    assert 0 < low < high  # window 1 serves hj (and sfz): its share of a window
    logged = queries.events_after(ctx, hall["id"], stat.seq - 1)["events"]
    assert logged[0]["type"] == "queue.stats" and logged[0]["waiting"] == 3
    # the same figures as GET /api/v1/queues
    queue = next(q for q in queries.queues(ctx, hall["id"])["services"] if q["code"] == "hj")
    assert (queue["waiting"], queue["estimated_wait"]) == (3, stat.payload["estimated_wait"])


def test_calls_cancels_transfers_and_reinstates_report_the_new_count(ctx, hall, clock):
    hj, ss = hall["services"]["hj"], hall["services"]["ss"]
    kept = [tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall)).value
            for _ in range(3)]
    staff = signed_in_at(ctx, hall, 1)

    called = calling.call_next(ctx, counter_id=hall["counters"][1], actor=staff)
    # the line's queue.stats right after the call, then the calls still standing
    assert [e.type for e in called.events][-3:] == ["ticket.called", "queue.stats",
                                                    "calls.live"]
    assert stats(called)[hj]["waiting"] == 2 == waiting_now(ctx, hall, "hj")

    cancelled = tickets.cancel(ctx, hall_id=hall["id"], actor=staff, ticket_id=kept[2]["id"])
    assert stats(cancelled)[hj]["waiting"] == 1 == waiting_now(ctx, hall, "hj")

    skipped = calling.skip(ctx, counter_id=hall["counters"][1], actor=staff)
    assert stats(skipped) == {}  # a no-show leaves the line as it was
    clock.advance(minutes=1)
    back = calling.reinstate(ctx, counter_id=hall["counters"][1], ticket_id=kept[0]["id"],
                             actor=staff)
    assert stats(back)[hj]["waiting"] == 2 == waiting_now(ctx, hall, "hj")

    calling.call_next(ctx, counter_id=hall["counters"][1], actor=staff)
    moved = visits.transfer(ctx, counter_id=hall["counters"][1], actor=staff, to_service="ss")
    assert stats(moved) == {ss: stats(moved)[ss]} and stats(moved)[ss]["waiting"] == 1
    assert waiting_now(ctx, hall, "ss") == 1


def test_a_window_opening_gives_each_of_its_lines_fresh_queue_stats(ctx, hall):
    opened = counters.sign_in(ctx, counter_id=hall["counters"][2], staff_id=hall["staff"]["li"])
    # window 2 serves hj and sfz: their estimates change with it (issue 15 item 1)
    assert set(stats(opened)) == {hall["services"]["hj"], hall["services"]["sfz"]}
    staff = staff_at(hall, 2)
    tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall))
    calling.call_next(ctx, counter_id=hall["counters"][2], actor=staff)
    assert stats(calling.recall(ctx, counter_id=hall["counters"][2], actor=staff)) == {}
    assert stats(calling.start(ctx, counter_id=hall["counters"][2], actor=staff)) == {}
