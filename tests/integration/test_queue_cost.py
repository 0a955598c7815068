"""Issuing and calling cost the same with 1 or 5,000 people waiting in one service.

Measured as behaviour, not time: the statements a command runs (their SQL, in order) and
the rows it reads — on PostgreSQL the tuples its transaction read from tables and indexes
(``pg_stat_get_xact_tuples_returned``, this transaction's own counters), on SQLite the
virtual-machine steps of its statements (a progress handler called on every step) — plus,
on SQLite, the plan of every statement that touches ``tickets`` is an index seek.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, text

from hall.domain.access import Actor
from hall.services.counters import state as counters
from hall.services.queue import calling, tickets
from hall.store.models import NumberCounter, ServiceDay, Ticket
from hall.store.prepared import Prepared
from tests.integration.conftest import kiosk

LONG = 5_000
# Rows read may differ by a few between a short and a long line (a B-tree one level
# deeper); a COUNT of the line would add thousands.
SLACK = 40

_PG_ROWS_READ = """SELECT coalesce(sum(pg_stat_get_xact_tuples_returned(c.oid)), 0)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')"""


@dataclass
class Cost:
    statements: list[str] = field(default_factory=list)  # as sent, parameters apart
    expanded: list[str] = field(default_factory=list)  # SQLite: with their values
    rows: int = 0
    value: Any = None


def _pg_rows_read(dbapi_conn) -> int:
    cur = dbapi_conn.cursor()
    cur.execute(_PG_ROWS_READ)
    rows = int(cur.fetchone()[0])
    cur.close()
    return rows


@contextmanager
def metered(engine, monkeypatch) -> Iterator[Cost]:
    """Every statement run through ``engine`` (SQLAlchemy or the prepared hot path) and
    the rows they read, while the block runs."""
    cost = Cost()
    pg = engine.dialect.name == "postgresql"
    at_begin: dict[int, int] = {}

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        cost.statements.append(statement)

    real_call = Prepared.__call__

    def prepared_call(self, conn, **params):
        cost.statements.append(self._for(conn.dialect)[0])
        return real_call(self, conn, **params)

    def tick() -> int:
        cost.rows += 1
        return 0

    def trace(sql: str) -> None:
        if not sql.startswith("--"):  # "-- TRIGGER …": the trigger's own steps are ticked
            cost.expanded.append(sql)

    def on_checkout(dbapi_conn, record, proxy):
        dbapi_conn.set_progress_handler(tick, 1)
        dbapi_conn.set_trace_callback(trace)

    def on_checkin(dbapi_conn, record):
        dbapi_conn.set_progress_handler(None, 1)
        dbapi_conn.set_trace_callback(None)

    # PostgreSQL keeps a backend's counters pending for up to a second after a commit:
    # this transaction's reads are the difference between its begin and its commit
    def on_begin(conn):
        at_begin[id(conn)] = _pg_rows_read(conn.connection.dbapi_connection)

    def on_commit(conn):  # still inside the transaction
        cost.rows += _pg_rows_read(conn.connection.dbapi_connection) - at_begin.pop(id(conn))

    hooks: list[tuple[Any, str, Callable]] = [(engine, "before_cursor_execute", on_execute)]
    hooks += [(engine, "begin", on_begin), (engine, "commit", on_commit)] if pg else [
        (engine.pool, "checkout", on_checkout), (engine.pool, "checkin", on_checkin)]
    for target, name, fn in hooks:
        event.listen(target, name, fn)
    monkeypatch.setattr(Prepared, "__call__", prepared_call)
    try:
        yield cost
    finally:
        monkeypatch.setattr(Prepared, "__call__", real_call)
        for target, name, fn in hooks:
            event.remove(target, name, fn)


def measure(ctx, monkeypatch, command: Callable[[], Any]) -> Cost:
    ctx.cache.clear()  # both runs load the same cached figures (hall, service, pace)
    with metered(ctx.engine, monkeypatch) as cost:
        cost.value = command()
    return cost


def seed_waiting(ctx, hall, code: str, n: int, kind: str = "normal",
                 appointment_at: datetime | None = None) -> None:
    """``n`` more waiting tickets of one service, today, numbered after the last one: one
    bulk insert (the database's triggers keep the waiting counts)."""
    with ctx.engine.begin() as conn:
        svc = conn.execute(text("SELECT id, prefix FROM services WHERE code = :c"),
                           {"c": code}).one()
        day = ctx.clock.now().astimezone(_shanghai()).date()
        last = conn.execute(text("SELECT last FROM number_counters WHERE hall_id = :h AND "
                                 "prefix = :p AND day = :d"),
                            {"h": hall["id"], "p": svc.prefix, "d": day}).scalar() or 0
        now = ctx.clock.now()
        conn.execute(insert(Ticket), [dict(
            hall_id=hall["id"], service_id=svc.id, day=day, prefix=svc.prefix, seq_no=i,
            number=f"{svc.prefix}{i:03d}", token=f"bulk-{svc.id}-{i}", kind=kind,
            appointment_at=appointment_at, state="waiting", issued_at=now, queued_at=now,
            recalls=0, fee_cents=0) for i in range(last + 1, last + n + 1)])
        conn.execute(NumberCounter.__table__.update().where(
            NumberCounter.hall_id == hall["id"], NumberCounter.prefix == svc.prefix,
            NumberCounter.day == day).values(last=last + n))
        conn.execute(ServiceDay.__table__.update().where(
            ServiceDay.service_id == svc.id, ServiceDay.day == day)
            .values(issued=ServiceDay.issued + n))
    if ctx.engine.dialect.name == "postgresql":
        # One transaction updated the counts row 5,000 times: vacuum its dead versions and
        # give the planner the line's statistics, as autovacuum would in a busy hour.
        with ctx.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE tickets, waiting_counts"))


def _shanghai():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


def assert_seeks(ctx, cost: Cost) -> None:
    """SQLite: each statement that reads ``tickets`` searches an index, never scans it."""
    if ctx.engine.dialect.name != "sqlite":
        return
    raw = ctx.engine.raw_connection()
    try:
        for sql in cost.expanded:
            if not re.search(r"\btickets\b", sql) or sql.lstrip().upper().startswith("INSERT"):
                continue
            plan = " | ".join(r[-1] for r in raw.execute("EXPLAIN QUERY PLAN " + sql))
            scans = re.findall(r"SCAN tickets\b[^|]*", plan)
            assert not scans and "TEMP B-TREE" not in plan, (sql, plan)
    finally:
        raw.close()


def assert_flat(short: Cost, long: Cost) -> None:
    assert long.statements == short.statements
    assert long.rows <= short.rows + SLACK, (short.rows, long.rows)


@pytest.mark.parametrize("kind", ["normal", "priority"])
def test_issue_cost_does_not_grow_with_the_queue(ctx, hall, monkeypatch, kind):
    reason = "老年人" if kind == "priority" else None

    def issue() -> dict:
        return tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall),
                             kind=kind, priority_reason=reason).value

    tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall))
    short = measure(ctx, monkeypatch, issue)
    seed_waiting(ctx, hall, "hj", LONG - 2)
    long = measure(ctx, monkeypatch, issue)
    # the figures stay exact: a priority ticket is behind the green channel only
    assert short.value["ahead"] == (0 if kind == "priority" else 1)
    assert long.value["ahead"] == (1 if kind == "priority" else LONG)
    assert_flat(short, long)
    assert_seeks(ctx, long)
    print(f"\n{ctx.engine.dialect.name} issue: {len(long.statements)} statements, rows read "
          f"{short.rows} with 1 waiting, {long.rows} with {LONG}")


def test_call_cost_does_not_grow_with_the_queue(ctx, hall, monkeypatch, clock):
    """A line of 5,000 walk-ins and 500 checked-in appointments (slots later today) costs
    call-next what a line of two and one does: it reads each queue's head, nothing more."""
    counter = hall["counters"][1]
    counters.sign_in(ctx, counter_id=counter, staff_id=hall["staff"]["li"])
    staff = Actor("staff", hall["staff"]["li"], hall["id"], "staff", counter)
    slot = clock.now() + timedelta(hours=3)

    def call() -> dict:
        return calling.call_next(ctx, counter_id=counter, actor=staff).value

    for _ in range(2):
        tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall))
    seed_waiting(ctx, hall, "hj", 1, kind="appointment", appointment_at=slot)
    short = measure(ctx, monkeypatch, call)
    calling.skip(ctx, counter_id=counter, actor=staff)
    seed_waiting(ctx, hall, "hj", LONG - 1)
    seed_waiting(ctx, hall, "hj", 499, kind="appointment", appointment_at=slot)
    long = measure(ctx, monkeypatch, call)
    assert (short.value["number"], long.value["number"]) == ("A001", "A002")
    assert short.value["reason_code"] == long.value["reason_code"] == "fifo"
    assert_flat(short, long)
    assert_seeks(ctx, long)
    print(f"\n{ctx.engine.dialect.name} call: {len(long.statements)} statements, rows read "
          f"{short.rows} with 3 waiting, {long.rows} with {LONG + 500}")
