"""Many kiosks and counters at once against the real service layer and a real database."""
from __future__ import annotations

import random
import threading
import time
from collections import Counter as Tally

import pytest
from sqlalchemy import text

from hall.domain.access import SYSTEM
from hall.domain.errors import DomainError
from hall.services.context import SystemClock
from hall.services.counters import state as counters
from hall.services.queue import calling, tickets, visits
from hall.services.wiring import make_context

ISSUERS, COUNTERS, SECONDS = 8, 4, 3.0


@pytest.mark.slow
def test_two_counters_never_get_the_same_ticket(ctx, hall):
    live = make_context(ctx.engine, clock=SystemClock())  # real time: hall always open
    for number in range(1, COUNTERS + 1):
        counters.open_counter(live, counter_id=hall["counters"][number], actor=SYSTEM)
    issued: list[dict] = []
    called: list[tuple[int, int]] = []  # (counter, ticket id)
    errors: list[BaseException] = []
    stop = threading.Event()
    lock = threading.Lock()

    def issuer(seed: int) -> None:
        rnd = random.Random(seed)
        try:
            while not stop.is_set():
                kind = "priority" if rnd.random() < 0.15 else "normal"
                t = tickets.issue(live, hall_id=hall["id"], service=rnd.choice(["hj", "sfz"]),
                                  actor=SYSTEM, kind=kind,
                                  priority_reason="老年人" if kind == "priority" else None).value
                with lock:
                    issued.append(t)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    def counter(number: int, drain: threading.Event) -> None:
        cid = hall["counters"][number]
        rnd = random.Random(number)
        try:
            while True:
                got = calling.call_next(live, counter_id=cid, actor=SYSTEM).value
                if got is None:
                    if drain.is_set():
                        return
                    time.sleep(0.002)
                    continue
                with lock:
                    called.append((number, got["id"]))
                if rnd.random() < 0.2:
                    calling.skip(live, counter_id=cid, actor=SYSTEM)
                else:
                    calling.start(live, counter_id=cid, actor=SYSTEM)
                    visits.finish(live, counter_id=cid, actor=SYSTEM, outcome="done")
        except BaseException as exc:
            errors.append(exc)

    drain = threading.Event()
    threads = [threading.Thread(target=issuer, args=(i,)) for i in range(ISSUERS)]
    threads += [threading.Thread(target=counter, args=(n, drain))
                for n in range(1, COUNTERS + 1)]
    for th in threads:
        th.start()
    time.sleep(SECONDS)
    # and on until every counter has called someone: on a loaded machine one of the four
    # may not win SQLite's write lock in the first seconds
    deadline = time.monotonic() + 30
    while len({n for n, _ in called}) < COUNTERS and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    for th in threads[:ISSUERS]:
        th.join()
    drain.set()  # counters empty the queue, then stop
    for th in threads[ISSUERS:]:
        th.join(timeout=120)
    assert not errors, errors
    assert len(issued) > 50, "the load was too light to prove anything"

    numbers = Tally((t["number"], t["service"]["prefix"]) for t in issued)
    assert max(numbers.values()) == 1, "a number was issued twice"
    ids = [tid for _, tid in called]
    assert len(ids) == len(set(ids)), "a ticket was called twice"
    assert set(ids) == {t["id"] for t in issued}, "an issued ticket was never called"
    assert {n for n, _ in called} == set(range(1, COUNTERS + 1)), "some counter never worked"
    with ctx.engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM tickets")).scalar_one()
        calls = conn.execute(text("SELECT ticket_id, count(*) FROM ticket_history "
                                  "WHERE action='call' GROUP BY ticket_id HAVING count(*) > 1"
                                  )).all()
        seqs = conn.execute(text("SELECT prefix, max(seq_no), count(*) FROM tickets "
                                 "GROUP BY prefix")).all()
    assert stored == len(issued) and calls == []
    assert all(mx == n for _, mx, n in seqs), "numbering has a gap or a repeat"


def test_a_closed_counter_takes_nothing(ctx, hall):
    tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=SYSTEM)
    with pytest.raises(DomainError) as err:
        calling.call_next(ctx, counter_id=hall["counters"][1], actor=SYSTEM)
    assert err.value.params["state"] == "closed"
