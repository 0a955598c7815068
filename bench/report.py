"""Month report over a million tickets: per window and per service (issue 8's target ≤ 1 s).

A fresh database (a SQLite file in a temp dir, or ``--database-url`` for PostgreSQL) gets
the demo hall (40 windows: the demo's 12 plus 28 more) and a month of synthetic history
(hall.seed.history: tickets with ratings, cases, follow-ups and counter spells), written in
bulk. Then, timed separately:

- ``rollup``: each closed day's sums built once (``reports.roll_up``, what the watch does
  after midnight; a report itself never writes);
- ``by_window`` / ``by_service``: the month report grouped per window and per service, as
  the reports page asks it afterwards (best of 3 runs).

Prints one line on stdout, details on stderr:

    report sqlite tickets=1000000 by_window 0.41 s by_service 0.38 s rollup 31.2 s

    .venv/bin/python bench/report.py [--tickets 1000000]
                                     [--database-url postgresql://postgres@127.0.0.1:5432/test]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from bench.call_next import BENCH_DB, pg_admin_url, pg_exec  # noqa: E402
from bench.layouts import forty_windows  # noqa: E402
from hall.domain.workdays import WorkCalendar  # noqa: E402
from hall.seed.history import generate  # noqa: E402
from hall.services.config.layout.seed import seed  # noqa: E402
from hall.services.context import ManualClock  # noqa: E402
from hall.services.supervision import reports  # noqa: E402
from hall.services.wiring import make_context  # noqa: E402
from hall.store.db import make_engine  # noqa: E402
from hall.store.migrate import upgrade  # noqa: E402

MONTH = date(2026, 9, 1)  # 22 working days, no holiday


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def working_days(first: date) -> int:
    cal, n, d = WorkCalendar(), 0, first
    while d.month == first.month:
        n += cal.is_workday(d)
        d = date.fromordinal(d.toordinal() + 1)
    return n


def run(url: str, total: int, name: str) -> str:
    upgrade(url)
    engine = make_engine(url)
    ctx = make_context(engine, clock=ManualClock(datetime(2026, 11, 2, 2, tzinfo=UTC)))
    seed(ctx, forty_windows())
    days = working_days(MONTH)
    t0 = time.perf_counter()
    made = generate(engine, first=MONTH, days=days, per_day=total // days, seed=1)
    log(f"generated {made} in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    reports.report(ctx, period="month", on=MONTH, group="hall", roll_up_first=True)
    rollup_s = time.perf_counter() - t0
    timings = {}
    for group in ("counter", "service"):
        best = cpu = None
        for _ in range(3):
            t0, c0 = time.perf_counter(), time.process_time()
            data = reports.report(ctx, period="month", on=MONTH, group=group)
            took, used = time.perf_counter() - t0, time.process_time() - c0
            best = took if best is None else min(best, took)
            cpu = used if cpu is None else min(cpu, used)
        timings[group] = best
        log(f"{group}: best wall {best:.3f} s, cpu of this process {cpu:.3f} s")
        log(f"{group}: {len(data['rows'])} rows, issued {data['total']['issued']}")
    engine.dispose()
    return (f"report {name} tickets={made['tickets']} by_window {timings['counter']:.2f} s "
            f"by_service {timings['service']:.2f} s rollup {rollup_s:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    if args.database_url:
        admin = pg_admin_url(args.database_url)
        pg_exec(admin, f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        pg_exec(admin, f'CREATE DATABASE "{BENCH_DB}"')
        try:
            print(run(admin.set(database=BENCH_DB).render_as_string(hide_password=False),
                      args.tickets, "postgresql"))
        finally:
            pg_exec(admin, f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        return
    with tempfile.TemporaryDirectory() as tmp:
        print(run(f"sqlite:///{tmp}/report.db", args.tickets, "sqlite"))


if __name__ == "__main__":
    main()
