"""正在呼叫 is never stale: every command that can start or end a call is followed by a
``calls.live`` event with the calls still standing, newest first (issue 15 item 2), and the
hall snapshot carries the same list. SQLite and PostgreSQL."""
from __future__ import annotations

from hall.domain.access import SYSTEM
from hall.services.context import read
from hall.services.counters import state as counters
from hall.services.queue import calling, calls, queries, tickets, visits
from tests.conftest import refused
from tests.integration.conftest import kiosk


def live_of(result) -> list[tuple[str, int]]:
    """(number, window) of the calls.live the command ended with."""
    [event] = [e for e in result.events if e.type == "calls.live"]
    assert result.events[-1].type in ("calls.live", "queue.stats")  # after its own events
    return [(c["number"], c["counter_number"]) for c in event.payload["calls"]]


def opened(ctx, hall, *numbers: int) -> None:
    for n in numbers:
        counters.open_counter(ctx, counter_id=hall["counters"][n], actor=SYSTEM)


def call(ctx, hall, n: int):
    return calling.call_next(ctx, counter_id=hall["counters"][n], actor=SYSTEM)


def test_the_newest_live_call_leads_and_a_skip_moves_the_panel_on(ctx, hall, clock):
    opened(ctx, hall, 1, 2)
    a = tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall)).value
    b = tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall)).value
    assert live_of(call(ctx, hall, 1)) == [(a["number"], 1)]
    clock.advance(seconds=30)
    assert live_of(call(ctx, hall, 2)) == [(b["number"], 2), (a["number"], 1)]
    skipped = calling.skip(ctx, counter_id=hall["counters"][2], actor=SYSTEM)
    assert live_of(skipped) == [(a["number"], 1)]  # back to the call that still stands
    clock.advance(seconds=30)
    calling.recall(ctx, counter_id=hall["counters"][1], actor=SYSTEM)
    paused = counters.pause(ctx, counter_id=hall["counters"][2], actor=SYSTEM, reason="午休")
    assert "calls.live" not in [e.type for e in paused.events]  # nobody was called there
    snap = queries.hall_snapshot(ctx, hall["id"])
    assert [(c["number"], c["counter_number"]) for c in snap["live_calls"]] == [
        (a["number"], 1)]


def test_a_recall_brings_its_call_to_the_front(ctx, hall, clock):
    opened(ctx, hall, 1, 2)
    for _ in range(2):
        tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall))
    first = call(ctx, hall, 1).value["number"]
    clock.advance(seconds=20)
    second = call(ctx, hall, 2).value["number"]
    clock.advance(seconds=20)
    recalled = calling.recall(ctx, counter_id=hall["counters"][1], actor=SYSTEM)
    assert live_of(recalled) == [(first, 1), (second, 2)]


def test_serving_stands_finishing_transferring_and_holding_end_the_call(ctx, hall, clock):
    opened(ctx, hall, 1)
    for _ in range(3):
        tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall))
    staff = SYSTEM
    number = call(ctx, hall, 1).value["number"]
    started = calling.start(ctx, counter_id=hall["counters"][1], actor=staff)
    assert live_of(started) == [(number, 1)]  # at the window: the call still stands
    assert live_of(visits.finish(ctx, counter_id=hall["counters"][1], actor=staff,
                                 outcome="done")) == []
    call(ctx, hall, 1)
    calling.start(ctx, counter_id=hall["counters"][1], actor=staff)
    moved = visits.transfer(ctx, counter_id=hall["counters"][1], actor=staff, to_service="sfz")
    assert live_of(moved) == []  # the transferred visitor waits again: nobody is called
    call(ctx, hall, 1)
    held = calling.hold(ctx, counter_id=hall["counters"][1], actor=staff, note="复印材料")
    assert live_of(held) == []


def test_a_window_with_a_live_call_cannot_pause_so_its_call_never_goes_stale(ctx, hall):
    opened(ctx, hall, 1)
    assert read(ctx, lambda uow: calls.live_calls(uow.conn, hall["id"], False)) == []
    tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall))
    number = call(ctx, hall, 1).value["number"]
    refused("counter_busy", "counter", counters.pause, ctx, counter_id=hall["counters"][1],
            actor=SYSTEM, reason="午休")
    assert [c.number for c in read(ctx, lambda uow: calls.live_calls(uow.conn, hall["id"], False))
            ] == [number]


def test_commands_that_cannot_move_a_call_carry_no_calls_live(ctx, hall):
    issued = tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall))
    assert [e.type for e in issued.events] == ["ticket.issued", "queue.stats"]
