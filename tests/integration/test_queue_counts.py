"""The waiting counts (``waiting_counts``, kept by triggers on tickets) always equal a real
COUNT of the waiting tickets, whatever moves them: every command of the service layer in
any order, failed commands, concurrent counters and kiosks, and writes that bypass the
service layer. And the figures read from them (people ahead of a newcomer, queue.stats)
equal the exact counts."""
from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from hall.domain.access import SYSTEM
from hall.domain.errors import DomainError
from hall.services.context import SystemClock
from hall.services.counters import state as counters
from hall.services.queue import appointments, calling, standing, tickets, visits
from hall.services.wiring import make_context
from hall.store.migrate import downgrade, upgrade
from hall.store.models import Ticket

T = Ticket.__table__

REAL = ("SELECT service_id, kind, count(*) FROM tickets WHERE state = 'waiting' "
        "GROUP BY service_id, kind")
KEPT = "SELECT service_id, kind, waiting FROM waiting_counts WHERE waiting <> 0"


def counts(engine) -> tuple[dict, dict]:
    """(kept, real): waiting per (service, kind), zeros left out."""
    with engine.connect() as conn:
        kept = {(s, k): n for s, k, n in conn.execute(text(KEPT))}
        real = {(s, k): n for s, k, n in conn.execute(text(REAL))}
    return kept, real


def assert_counts_exact(engine) -> None:
    kept, real = counts(engine)
    assert kept == real


def one(conn, sql: str, **params):
    return conn.execute(text(sql), params).first()


class Walk:
    """Random commands against the small hall, every refusal allowed (a refused command
    rolls back, and the counts with it); checks the figures each command reports."""

    def __init__(self, ctx, hall, rng: random.Random):
        self.ctx, self.hall, self.rng = ctx, hall, rng
        self.phones = (f"1380000{i:04d}" for i in range(10_000))
        self.counters = list(hall["counters"].values())
        self.services = list(hall["services"])

    def pick(self, sql: str, **params):
        with self.ctx.engine.connect() as conn:
            rows = conn.execute(text(sql), params).all()
        return self.rng.choice(rows) if rows else None

    # -- commands -------------------------------------------------------------------

    def issue(self) -> None:
        kind = self.rng.choice(["normal", "normal", "priority"])
        result = tickets.issue(self.ctx, hall_id=self.hall["id"], actor=SYSTEM, kind=kind,
                               service=self.rng.choice(self.services),
                               priority_reason="老年人" if kind == "priority" else None)
        self.check_ahead(result.value)
        self.check_stats(result)

    def check_in(self) -> None:
        now = self.ctx.clock.now()
        slot = now.replace(minute=30 if now.minute < 30 else 0, second=0, microsecond=0)
        if slot <= now:
            slot += timedelta(hours=1)
        booked = appointments.book(self.ctx, service="hj", start=slot,
                                   phone=next(self.phones)).value
        result = appointments.check_in(self.ctx, hall_id=self.hall["id"], actor=SYSTEM,
                                       code=booked["code"])
        self.check_ahead(result.value)
        self.check_stats(result)

    def counter_command(self) -> None:
        """Mostly what a counter would do next: call when free, else move its visitor on
        (any counter may still be asked anything: refusals are part of the walk)."""
        busy = self.pick("SELECT c.id FROM counters c JOIN tickets t "
                         "ON t.id = c.current_ticket_id WHERE t.state IN ('called', 'serving')")
        if busy is not None and self.rng.random() < 0.6:
            cid = busy.id
            action = self.rng.choice(["skip", "start", "finish", "recall", "hold",
                                      "transfer_service", "transfer_counter"])
        else:
            cid = self.rng.choice(self.counters)
            action = self.rng.choice(["call_next", "call_next", "call_next", "call_number"])
        if action == "finish":
            result = visits.finish(self.ctx, counter_id=cid, actor=SYSTEM, outcome="done")
        elif action == "transfer_service":
            result = visits.transfer(self.ctx, counter_id=cid, actor=SYSTEM,
                                     to_service=self.rng.choice(self.services))
        elif action == "transfer_counter":
            result = visits.transfer(self.ctx, counter_id=cid, actor=SYSTEM,
                                     to_counter=self.rng.randint(1, len(self.counters)))
        elif action == "call_number":
            row = self.pick("SELECT number FROM tickets WHERE state IN "
                            "('waiting', 'held', 'no_show')")
            if row is None:
                return
            result = calling.call_number(self.ctx, counter_id=cid, number=row.number,
                                         actor=SYSTEM)
        else:
            result = getattr(calling, action)(self.ctx, counter_id=cid, actor=SYSTEM)
        self.check_stats(result)

    def ticket_command(self) -> None:
        action = self.rng.choice(["cancel", "unhold", "reinstate"])
        states = {"cancel": "'waiting', 'held'", "unhold": "'held'",
                  "reinstate": "'no_show'"}[action]
        row = self.pick(f"SELECT id, target_counter_id FROM tickets WHERE state IN ({states})")
        if row is None:
            return
        if action == "cancel":
            result = tickets.cancel(self.ctx, hall_id=self.hall["id"], actor=SYSTEM,
                                    ticket_id=row.id)
        else:
            cid = row.target_counter_id or self.rng.choice(self.counters)
            result = getattr(calling, action)(self.ctx, counter_id=cid, ticket_id=row.id,
                                              actor=SYSTEM)
        self.check_stats(result)

    def wait(self) -> None:
        self.ctx.clock.advance(minutes=self.rng.choice([1, 5, 20]))

    def step(self) -> None:
        command: Callable[[], None] = self.rng.choices(
            [self.issue, self.check_in, self.counter_command, self.ticket_command, self.wait],
            weights=[5, 1, 6, 2, 1])[0]
        try:
            command()
        except DomainError:  # refused (busy counter, full slot, wrong state …): rolled back
            pass

    # -- what the commands reported -------------------------------------------------

    def check_ahead(self, view: dict) -> None:
        """A newcomer's people ahead, read from the counts, is the exact count."""
        with self.ctx.engine.connect() as conn:
            row = conn.execute(select(T).where(T.c.id == view["id"])).one()
            assert view["ahead"] == standing.people_ahead(conn, row._asdict())

    def check_stats(self, result) -> None:
        """Each queue.stats carries the real count (nothing ran in between)."""
        with self.ctx.engine.connect() as conn:
            for e in result.events:
                if e.type == "queue.stats":
                    n = one(conn, "SELECT count(*) AS n FROM tickets WHERE state = 'waiting' "
                                  "AND service_id = :s", s=e.payload["service_id"]).n
                    assert e.payload["waiting"] == n, (e.payload, n)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_waiting_counts_equal_a_real_count_after_any_mix_of_commands(ctx, hall, seed):
    for cid in hall["counters"].values():
        counters.open_counter(ctx, counter_id=cid, actor=SYSTEM)
    walk = Walk(ctx, hall, random.Random(seed))
    for _ in range(250):
        walk.step()
        assert_counts_exact(ctx.engine)
    with ctx.engine.connect() as conn:  # the walk went through every kind of move
        moved = {r[0] for r in conn.execute(text("SELECT DISTINCT action FROM ticket_history"))}
        kinds = {r[0] for r in conn.execute(text("SELECT DISTINCT kind FROM tickets"))}
    assert {"call", "skip", "reinstate", "cancel", "transfer", "hold", "unhold"} <= moved
    assert kinds == {"normal", "priority", "appointment"}


@pytest.mark.slow
def test_waiting_counts_stay_exact_under_concurrent_commands(ctx, hall):
    """Kiosks and counters at once (PostgreSQL: READ COMMITTED, row locks; SQLite: one
    writer): every count still equals the real one at the end."""
    live = make_context(ctx.engine, clock=SystemClock(), secret=ctx.secret)  # real time
    for cid in hall["counters"].values():
        counters.open_counter(live, counter_id=cid, actor=SYSTEM)
    errors: list[BaseException] = []
    deadline = time.monotonic() + 2.0

    def worker(seed: int) -> None:
        walk = Walk(live, hall, random.Random(seed))
        walk.check_ahead = walk.check_stats = lambda *_: None  # others move the line meanwhile
        walk.wait = lambda: None
        try:
            while time.monotonic() < deadline:
                walk.step()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    with ctx.engine.connect() as conn:
        moves = conn.execute(text("SELECT count(*) FROM ticket_history")).scalar_one()
    assert moves > 20  # the line did move meanwhile
    assert_counts_exact(ctx.engine)


def test_waiting_counts_follow_writes_that_bypass_the_service_layer(ctx, hall):
    """Triggers, not service code, keep the counts: a bulk load, a hand fix in SQL and a
    deleted row move them too."""
    hj, sfz = hall["services"]["hj"], hall["services"]["sfz"]
    tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=SYSTEM)
    with ctx.engine.begin() as conn:
        for i, (service, kind, state) in enumerate([
                (hj, "normal", "waiting"), (hj, "priority", "waiting"),
                (sfz, "normal", "waiting"), (sfz, "normal", "done")], start=100):
            conn.execute(text(
                "INSERT INTO tickets (hall_id, service_id, day, prefix, seq_no, number, token, "
                "kind, state, issued_at, queued_at, recalls, fee_cents) VALUES (:h, :s, "
                "'2026-11-22', 'Z', :i, :n, :t, :k, :st, '2026-11-22 02:00:00', "
                "'2026-11-22 02:00:00', 0, 0)"),
                {"h": hall["id"], "s": service, "i": i, "n": f"Z{i}", "t": f"bypass{i}",
                 "k": kind, "st": state})
    assert counts(ctx.engine)[0] == {(hj, "normal"): 2, (hj, "priority"): 1,
                                     (sfz, "normal"): 1}
    with ctx.engine.begin() as conn:
        conn.execute(text("UPDATE tickets SET service_id = :s WHERE number = 'Z100'"),
                     {"s": sfz})  # moved to another line
        conn.execute(text("UPDATE tickets SET kind = 'normal' WHERE number = 'Z101'"))
        conn.execute(text("UPDATE tickets SET state = 'waiting' WHERE number = 'Z103'"))
        conn.execute(text("UPDATE tickets SET queued_at = issued_at"))  # no count moves
        conn.execute(text("DELETE FROM tickets WHERE number = 'Z102'"))
    assert counts(ctx.engine)[0] == {(hj, "normal"): 2, (sfz, "normal"): 2}
    assert_counts_exact(ctx.engine)


def test_the_migration_counts_the_tickets_already_waiting(db_url, ctx, hall):
    for kind in ("normal", "normal", "priority"):
        tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=SYSTEM, kind=kind,
                      priority_reason="老年人" if kind == "priority" else None)
    tickets.issue(ctx, hall_id=hall["id"], service="sfz", actor=SYSTEM)
    before = counts(ctx.engine)[1]
    ctx.engine.dispose()
    downgrade(db_url, "0006")  # the counts table goes; the tickets stay
    upgrade(db_url)
    kept, real = counts(ctx.engine)
    assert kept == real == before
    assert sum(before.values()) == 4
