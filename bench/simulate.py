"""A 40-window hall's day at maximum speed (issue 22): `hall simulate` plays 3,000 visitors
through the HTTP API of one real server, then the day's report must equal what the
simulator's own log says happened.

A fresh instance (a SQLite file in a temp dir, or ``--database-url``: a PostgreSQL server
where the bench creates its own database ``hall_bench_sim`` and drops it at the end) gets
the demo hall grown to 40 windows (bench/layouts.py), opening hours ignored and daily
quotas lifted so nobody is turned away. One ``hall run`` serves it with rate limits off
(``HALL_RATELIMIT_ENABLED=0``: ten simulated kiosks issue far faster than any real one).
``hall simulate --speed S`` (default 1,000,000: every wait of the day is a few
microseconds, so the players go as fast as the server answers) plays the day in its own
process: one kiosk thread, one thread per window, a rating pad per window.

Measured: the wall time of the day, the server's CPU time over it. Checked: the log has no
error, and the day's report (hall.services.supervision.reports, what GET /api/v1/reports
answers) equals the log's counts — tickets taken, called, served, by outcome, no-shows,
transfers, ratings and bad ratings. Prints one line on stdout, details on stderr:

    simulate sqlite: 3000 visitors, 3178 tickets in 61.2 s, server CPU 40.3 s, errors 0,
                     report = log

    .venv/bin/python bench/simulate.py [--visitors 3000] [--speed 1000000] [--seed 1]
                                       [--database-url postgresql://postgres@127.0.0.1:5432/test]

Exits 1 on any error or mismatch.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from bench.layouts import forty_windows  # noqa: E402
from bench.server import Server, hall_bin, log, pg_create, pg_drop, pg_urls  # noqa: E402
from hall.services.config.layout.seed import seed  # noqa: E402
from hall.services.supervision import reports  # noqa: E402
from hall.services.wiring import make_context  # noqa: E402
from hall.simulate.day import counts  # noqa: E402
from hall.store.db import make_engine  # noqa: E402
from hall.store.migrate import upgrade  # noqa: E402

BENCH_DB = "hall_bench_sim"


def seed_hall(url: str) -> None:
    """The 40-window hall, with no quota a day of 3,000 could exhaust."""
    upgrade(url)
    layout = forty_windows()
    for service in layout["services"]:
        service["daily_quota"] = None
    engine = make_engine(url)
    try:
        seed(make_context(engine), layout, ignore_hours=True)
    finally:
        engine.dispose()


def play(server: Server, env: dict[str, str], args, log_path: Path) -> subprocess.CompletedProcess:
    cmd = [hall_bin(), "simulate", "--server", f"http://127.0.0.1:{server.port}",
           "--speed", str(args.speed), "--seed", str(args.seed), "--visitors",
           str(args.visitors), "--log", str(log_path)]
    return subprocess.run(cmd, env=env, cwd=server.workdir, capture_output=True, text=True)


def compare(url: str, log_path: Path) -> tuple[dict, dict]:
    """The day's report and the log's counts, in the same terms."""
    mine = counts(log_path)
    engine = make_engine(url)
    try:
        ctx = make_context(engine)
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        day = reports.report(ctx, period="day", on=today, group="hall")["total"]
    finally:
        engine.dispose()
    report = {"issued": day["issued"], "called": day["called"], "served": day["served"],
              "outcomes": {k: v for k, v in day["outcomes"].items() if v},
              "no_show": day["no_show"], "transfers": day["transfers"],
              "rated": day["rated"], "bad": day["bad_ratings"]}
    logged = {"issued": mine["issued"], "called": mine["called"],
              "served": mine["finished"], "outcomes": mine["outcomes"],
              "no_show": mine["skipped"], "transfers": mine["transferred"],
              "rated": mine["rated"], "bad": mine["bad"]}
    return report, logged


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--visitors", type=int, default=3000)
    ap.add_argument("--speed", type=float, default=1_000_000,
                    help="simulated seconds per real second")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--database-url", default=None,
                    help="PostgreSQL admin URL; the bench uses its own database " + BENCH_DB)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hall-bench-simulate-"))
    env = dict(os.environ, HALL_INSTANCE=str(work / "instance"), HALL_RATELIMIT_ENABLED="0")
    pg_admin = None
    if args.database_url:
        pg_admin, pg_bench = pg_urls(args.database_url, BENCH_DB)
        pg_create(pg_admin, BENCH_DB)
        url = pg_bench.render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{work / 'instance' / 'hall.db'}"
    env["HALL_DATABASE_URL"] = url  # the server's and the simulator's (its accounts)
    backend = "postgresql" if pg_admin is not None else "sqlite"
    server = Server(env, work)
    log_path = work / "simulate.jsonl"
    try:
        seed_hall(url)
        server.start()
        log(f"server pid {server.proc.pid} on port {server.port} "
            f"({env.get('HALL_ASYNC_MODE', 'gevent')}, {backend}); 40 windows; "
            f"{args.visitors} visitors at {args.speed:g}x; load {os.getloadavg()[0]:.1f}")
        cpu0, wall0 = server.cpu_seconds(), time.monotonic()
        done = play(server, env, args, log_path)
        wall, cpu = time.monotonic() - wall0, server.cpu_seconds() - cpu0
        log(f"simulator exit {done.returncode}; load {os.getloadavg()[0]:.1f}")
        if done.returncode != 0:
            log(done.stdout[-2000:], done.stderr[-2000:])
        server.stop()
        report, logged = compare(url, log_path)
        errors = sum(1 for line in log_path.read_text(encoding="utf-8").splitlines()
                     if '"do": "error"' in line)
    finally:
        server.stop()
        if pg_admin is not None:
            pg_drop(pg_admin, BENCH_DB)
        shutil.rmtree(work, ignore_errors=True)
    same = report == logged
    log(f"report {report}")
    log(f"log    {logged}")
    print(f"simulate {backend}: {args.visitors} visitors, {logged['issued']} tickets in "
          f"{wall:.1f} s, server CPU {cpu:.1f} s, errors {errors}, "
          f"report {'= log' if same else '!= log'}", flush=True)
    return 0 if same and errors == 0 and done.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
