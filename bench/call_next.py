"""Call-next latency with a long queue, through the real service layer (no HTTP).

A fresh database (a SQLite file in a temp dir, or ``--database-url`` for PostgreSQL),
migrated by Alembic and seeded with the demo hall (quotas raised, 12 staff added), gets
10,000 waiting tickets over the 12 demo services, issued by ``hall.services.queue.tickets.issue``
(about 10 % green-channel tickets, reason 老年人), so numbers and number_counters rows are
exactly those of real issuing. One staff member signs in at each of the 12 counters; then
N call_next calls go round-robin over the counters. Only call_next is timed: each call is
followed (untimed) by skip or start + finish, which frees the counter, and by issuing one
ticket of the called service, so the queue stays at 10,000.

Prints one line on stdout (details on stderr):

    call_next: p50 0.9 ms p99 2.5 ms waiting 10000

    .venv/bin/python bench/call_next.py [--calls 2000] [--waiting 10000]
                                        [--database-url postgresql://postgres@127.0.0.1:5432/test]

``--database-url`` names a PostgreSQL server and a database to connect to for
administration; the bench creates its own database ``hall_bench`` and drops it at the end.
"""
from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections import Counter as Tally
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from hall.domain.access import Actor  # noqa: E402
from hall.services.config import accounts  # noqa: E402
from hall.services.config.layout.seed import load_layout, seed  # noqa: E402
from hall.services.context import Context, SystemClock  # noqa: E402
from hall.services.counters import state as counters  # noqa: E402
from hall.services.queue import calling, tickets, visits  # noqa: E402
from hall.services.wiring import make_context  # noqa: E402
from hall.store.db import make_engine  # noqa: E402
from hall.store.migrate import upgrade  # noqa: E402

DEMO = ROOT / "hall" / "seed" / "demo_hall.toml"
BENCH_DB = "hall_bench"
BIG_QUOTA = 10_000_000
PRIORITY_SHARE = 0.10


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def pct(sorted_values: list[float], p: float) -> float:
    i = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[i]


def pg_admin_url(url: str):
    admin = make_url(url)
    if admin.drivername == "postgresql":
        admin = admin.set(drivername="postgresql+psycopg")
    return admin


def pg_exec(admin, sql: str) -> None:
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def bench_layout() -> dict:
    """The demo hall with quotas that cannot run out and one staff member per counter."""
    layout = load_layout(DEMO)
    for s in layout["services"]:
        s["daily_quota"] = BIG_QUOTA
    layout["staff"] = list(layout.get("staff", [])) + [
        {"login": f"bench{c['number']:02d}", "name": f"窗口{c['number']}号", "role": "staff"}
        for c in layout["counters"]]
    return layout


class Bench:
    def __init__(self, ctx: Context, rng: random.Random):
        self.ctx = ctx
        self.rng = rng
        with ctx.engine.connect() as conn:
            self.hall_id = conn.execute(text("SELECT id FROM halls")).scalar_one()
            self.services = dict(conn.execute(text("SELECT id, code FROM services")).all())
            self.counters = dict(conn.execute(text("SELECT number, id FROM counters")).all())
            self.staff = dict(conn.execute(text(
                "SELECT login, id FROM staff WHERE login LIKE 'bench%'")).all())
        kiosk = accounts.add_device(ctx, kind="kiosk", name="bench").value["token"]
        self.kiosk = accounts.device_actor(ctx, kiosk)
        self.issued = Tally()

    def issue(self, service_id: int) -> None:
        priority = self.rng.random() < PRIORITY_SHARE
        tickets.issue(self.ctx, hall_id=self.hall_id, service=service_id, actor=self.kiosk,
                      kind="priority" if priority else "normal",
                      priority_reason="老年人" if priority else None)
        self.issued["priority" if priority else "normal"] += 1

    def sign_in_all(self) -> dict[int, Actor]:
        actors = {}
        for number, counter_id in sorted(self.counters.items()):
            staff_id = self.staff[f"bench{number:02d}"]
            counters.sign_in(self.ctx, counter_id=counter_id, staff_id=staff_id)
            actors[counter_id] = accounts.staff_actor(self.ctx, staff_id)
            assert actors[counter_id].counter_id == counter_id
        return actors

    def waiting(self) -> int:
        with self.ctx.engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM tickets WHERE state = 'waiting'")
                                ).scalar_one()


def run(url: str, calls: int, waiting: int, warmup: int) -> int:
    upgrade(url)
    engine = make_engine(url)
    try:
        ctx = make_context(engine, clock=SystemClock(), secret=b"bench")
        seed(ctx, bench_layout(), ignore_hours=True)
        bench = Bench(ctx, random.Random(20261123))
        service_ids = sorted(bench.services)
        t0 = time.perf_counter()
        for i in range(waiting):
            bench.issue(service_ids[i % len(service_ids)])
        took = time.perf_counter() - t0
        log(f"issued {waiting} tickets through tickets.issue in {took:.1f} s "
            f"({1000 * took / waiting:.2f} ms each): {dict(bench.issued)}")
        actors = bench.sign_in_all()
        order = sorted(actors)
        lat: list[float] = []
        reasons = Tally()
        empty = 0
        for i in range(warmup + calls):
            counter_id = order[i % len(order)]
            actor = actors[counter_id]
            t_a = time.perf_counter()
            called = calling.call_next(ctx, counter_id=counter_id, actor=actor).value
            t_b = time.perf_counter()
            if called is None:
                empty += 1
                continue
            if i >= warmup:
                lat.append(t_b - t_a)
                reasons[called["reason_code"]] += 1
            if i % 2:
                calling.skip(ctx, counter_id=counter_id, actor=actor)
            else:
                calling.start(ctx, counter_id=counter_id, actor=actor)
                visits.finish(ctx, counter_id=counter_id, actor=actor, outcome="done")
            bench.issue(called["service_id"])  # top up: the queue stays as long
        left = bench.waiting()
    finally:
        engine.dispose()
    lat.sort()
    log(f"{len(lat)} timed calls (after {warmup} warm-up), {empty} found nobody; "
        f"reasons {dict(reasons)}; mean {1000 * sum(lat) / len(lat):.2f} ms, "
        f"max {1000 * lat[-1]:.1f} ms")
    print(f"call_next: p50 {1000 * pct(lat, 50):.1f} ms p99 {1000 * pct(lat, 99):.1f} ms "
          f"waiting {left}", flush=True)
    return 0 if not empty else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=2000, help="timed call_next calls")
    ap.add_argument("--waiting", type=int, default=10_000, help="tickets kept waiting")
    ap.add_argument("--warmup", type=int, default=100, help="untimed calls first")
    ap.add_argument("--database-url", default=None,
                    help="PostgreSQL admin URL; the bench uses its own database hall_bench")
    args = ap.parse_args()
    if args.database_url:
        admin = pg_admin_url(args.database_url)
        drop = f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'
        pg_exec(admin, drop)
        pg_exec(admin, f'CREATE DATABASE "{BENCH_DB}"')
        try:
            url = admin.set(database=BENCH_DB).render_as_string(hide_password=False)
            return run(url, args.calls, args.waiting, args.warmup)
        finally:
            pg_exec(admin, drop)
    work = Path(tempfile.mkdtemp(prefix="hall-bench-call-"))
    try:
        return run(f"sqlite:///{work / 'hall.db'}", args.calls, args.waiting, args.warmup)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
