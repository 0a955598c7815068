"""Nobody waiting is invisible (issue 15 item 3): a visitor transferred to a window by name
is counted on the board (their service's line, the window, the totals); sending one to a
closed window is refused unless the staff member confirms it; and while they wait for a
closed window the watch raises an alert, cleared when the window opens. SQLite and
PostgreSQL."""
from __future__ import annotations

import pytest

from hall.domain.access import SYSTEM
from hall.domain.errors import DomainError
from hall.services.counters import state as counters
from hall.services.queue import calling, queries, tickets, visits
from hall.services.supervision import alerts, board, watch, watch_rules
from tests.integration.conftest import kiosk


def serving_at_1(ctx, hall) -> dict:
    counters.open_counter(ctx, counter_id=hall["counters"][1], actor=SYSTEM)
    ticket = tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall)).value
    calling.call_next(ctx, counter_id=hall["counters"][1], actor=SYSTEM)
    calling.start(ctx, counter_id=hall["counters"][1], actor=SYSTEM)
    return ticket


def test_sending_a_visitor_to_a_closed_window_needs_a_confirmation(ctx, hall):
    ticket = serving_at_1(ctx, hall)
    with pytest.raises(DomainError) as err:
        visits.transfer(ctx, counter_id=hall["counters"][1], actor=SYSTEM, to_counter=3)
    assert (err.value.code, err.value.field) == ("target_closed", "to_counter")
    assert err.value.params == {"number": 3, "ticket": ticket["number"]}
    sent = visits.transfer(ctx, counter_id=hall["counters"][1], actor=SYSTEM, to_counter=3,
                           confirm_closed=True)
    assert sent.value["new_ticket"]["to_counter"] == 3


def test_the_boards_lines_count_visitors_sent_to_a_window(ctx, hall):
    serving_at_1(ctx, hall)
    sent = visits.transfer(ctx, counter_id=hall["counters"][1], actor=SYSTEM, to_counter=3,
                           confirm_closed=True).value["new_ticket"]
    seen = board.board(ctx, hall["id"])
    hj = next(q for q in seen["queues"] if q["code"] == "hj")
    assert (hj["waiting"], hj["to_windows"]) == (1, 1)
    assert seen["totals"]["waiting"] == 1  # as GET /api/v1/queues and the hall screen say
    api = next(q for q in queries.queues(ctx, hall["id"])["services"] if q["code"] == "hj")
    assert api["waiting"] == seen["totals"]["waiting"]
    three = next(c for c in seen["counters"] if c["number"] == 3)
    assert three["waiting"] == 1 and three["state"] == "closed"
    assert sent["number"].startswith("A")


def test_a_visitor_waiting_for_a_closed_window_raises_an_alert_until_it_opens(ctx, hall):
    serving_at_1(ctx, hall)
    visits.transfer(ctx, counter_id=hall["counters"][1], actor=SYSTEM, to_counter=3,
                    confirm_closed=True)
    rules = (watch_rules.CLOSED_WINDOW_WAITS,)
    raised = watch.scan(ctx, hall["id"], rules)
    [alert] = [e.payload["alert"] for e in raised.events if e.type == "alert"]
    assert (alert["kind"], alert["key"]) == ("waiting_at_closed_window",
                                             f"closed_wait:{hall['counters'][3]}")
    assert alert["payload"]["counter_number"] == 3 and alert["payload"]["waiting"] == 1
    assert watch.scan(ctx, hall["id"], rules).events == []  # known: nothing new
    counters.open_counter(ctx, counter_id=hall["counters"][3], actor=SYSTEM)
    cleared = watch.scan(ctx, hall["id"], rules)
    assert [e.payload["action"] for e in cleared.events] == ["cleared"]
    assert alerts.open_alerts(ctx, hall["id"]) == []
