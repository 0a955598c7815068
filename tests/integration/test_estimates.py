"""Wait estimates count only the windows that can serve (issue 15 item 1): open, not paused,
serving the service, each by its share of weights. With none there is no number: the API
says ``estimated_wait: null`` and every surface says 暂无窗口办理. The figures move on
``counter.state``: each service the window serves gets a fresh queue.stats. SQLite and
PostgreSQL."""
from __future__ import annotations

from hall.domain.access import SYSTEM
from hall.services.counters import state as counters
from hall.services.queue import queries, tickets
from tests.integration.conftest import kiosk


def stats_of(result) -> dict[int, dict]:
    return {e.payload["service_id"]: e.payload for e in result.events if e.type == "queue.stats"}


def line(ctx, hall, code: str) -> dict:
    return next(q for q in queries.queues(ctx, hall["id"])["services"] if q["code"] == code)


def test_no_open_window_means_no_estimate_in_any_answer(ctx, hall):
    issued = tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall))
    assert issued.value["estimated_wait"] is None  # the small hall's windows start closed
    assert stats_of(issued)[hall["services"]["hj"]]["estimated_wait"] is None
    assert line(ctx, hall, "hj")["open_counters"] == 0
    assert line(ctx, hall, "hj")["estimated_wait"] is None
    phone = queries.ticket_by_token(ctx, issued.value["token"])
    assert phone["ahead"] == 0 and phone["estimated_wait"] is None


def test_opening_pausing_and_resuming_a_window_moves_its_services_figures(ctx, hall):
    hj, sfz = hall["services"]["hj"], hall["services"]["sfz"]
    tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall))
    one = hall["counters"][1]  # serves hj (weight 2) and sfz (weight 1)
    opened = counters.open_counter(ctx, counter_id=one, actor=SYSTEM)
    assert set(stats_of(opened)) == {hj, sfz}  # the figures move on counter.state
    assert stats_of(opened)[hj]["open_counters"] == 1
    assert stats_of(opened)[hj]["estimated_wait"] is not None
    paused = counters.pause(ctx, counter_id=one, actor=SYSTEM, reason="午休")
    assert stats_of(paused)[hj]["open_counters"] == 0  # a paused window serves nobody
    assert stats_of(paused)[hj]["estimated_wait"] is None
    assert line(ctx, hall, "hj")["estimated_wait"] is None  # not a cached 2 s old figure
    resumed = counters.resume(ctx, counter_id=one, actor=SYSTEM)
    assert stats_of(resumed)[hj]["estimated_wait"] is not None


def test_a_shared_window_serves_each_line_by_its_weight(ctx, hall):
    for _ in range(6):
        tickets.issue(ctx, hall_id=hall["id"], service="sfz", actor=kiosk(hall))
    counters.open_counter(ctx, counter_id=hall["counters"][1], actor=SYSTEM)  # sfz at 1/3
    shared = line(ctx, hall, "sfz")["estimated_wait"]
    counters.open_counter(ctx, counter_id=hall["counters"][4], actor=SYSTEM)  # sfz at 1/2
    both = line(ctx, hall, "sfz")["estimated_wait"]
    assert line(ctx, hall, "sfz")["open_counters"] == 2
    # from 1/3 of a window to 1/3 + 1/2 = 5/6: the wait falls by 2.5, where a head count
    # (1 window, then 2) would have said 2 and one window alone 1/3 as long
    assert abs(shared["max_s"] / both["max_s"] - 2.5) < 0.01
