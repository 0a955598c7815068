"""Tickets issued per second over HTTP, as kiosks would issue them.

One real server process (``hall run``, gevent by default; HALL_ASYNC_MODE is passed through)
on a fresh instance directory, seeded with the demo hall (quotas raised so that none runs
out), and N concurrent keep-alive clients posting ``POST /api/v1/tickets`` with a kiosk's
device token, each rotating over the 12 demo services (``--services 1``: all in the first
one). Nobody calls, so every ticket stays waiting. Warm-up, a measured window at the start,
then issuing on until ``--fill`` tickets (10,000) wait, then a second measured window: the
cost of issuing must not grow with the line. Afterwards the database itself is checked:
ticket numbers are unique per (prefix, day), gapless, the tickets in it are exactly the 2xx
responses the clients got, and the kept waiting counts equal a real COUNT.

Prints one line on stdout (here wrapped; details on stderr):

    issue: 1234 tickets/s p50 3.1 ms p99 9.8 ms;
           after 10000 waiting 1230 tickets/s p50 3.1 ms p99 9.9 ms; duplicates 0

    .venv/bin/python bench/issue.py [--seconds 3] [--fill 10000] [--services 1] [--clients 8]
                                    [--procs 1]
                                    [--database-url postgresql://postgres@127.0.0.1:5432/test]
                                    [--profile /tmp/issue.svg] [--tcp-nodelay]

``--procs`` spreads the client threads over that many processes, so the clients' own GIL
cannot cap the figure (measured: one process of 8 threads uses ~4 % of a core, so 1 is
enough). ``--database-url`` runs against PostgreSQL: the URL names a server and a database
to connect to for administration; the bench creates its own database ``hall_bench`` there
and drops it at the end. ``--profile`` records the server with py-spy during warm-up and
window (``.svg`` flame graph, ``.txt`` collapsed stacks, ``.json`` speedscope; py-spy must
be installed: ``.venv/bin/pip install py-spy``). ``--tcp-nodelay`` is an experiment, see
NODELAY_LAUNCHER below and bench/README.md.
"""
from __future__ import annotations

import argparse
import http.client
import json
import math
import multiprocessing
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from bench.server import (  # noqa: E402
    Server,
    log,
    pg_create,
    pg_drop,
    pg_urls,
)

DEMO = ROOT / "hall" / "seed" / "demo_hall.toml"
BIG_QUOTA = 10_000_000


def bench_layout(dest: Path) -> tuple[Path, list[str]]:
    """The demo layout with every daily quota raised (the demo's total is ~1,600 tickets,
    a second and a half at the target rate). Generated, so it follows the demo."""
    text = DEMO.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^daily_quota\s*=\s*\d+", f"daily_quota = {BIG_QUOTA}", text)
    path = dest / "bench_hall.toml"
    path.write_text(text, encoding="utf-8")
    codes = re.findall(r'(?ms)^\[\[services\]\]\s*\ncode\s*=\s*"([^"]+)"', text)
    return path, codes


# ---------------------------------------------------------------- clients


class Budget:
    """How many tickets the fill phase still has to issue, shared by its clients."""

    def __init__(self, n: int):
        self.left = n
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            self.left -= 1
            return self.left >= 0


def client_thread(port: int, token: str, services: list[str], index: int, t_start: float,
                  t_end: float, out: dict, budget: Budget | None = None) -> None:
    """One kiosk: a keep-alive connection issuing tickets back to back until t_end (or
    until the budget is spent)."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    bodies = [json.dumps({"service": code}).encode() for code in services]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    lat: list[float] = []
    ok = measured = 0
    statuses: dict[int, int] = {}
    sample = ""
    i = index
    while True:
        t0 = time.monotonic()
        if t0 >= t_end or (budget is not None and not budget.take()):
            break
        try:
            conn.request("POST", "/api/v1/tickets", body=bodies[i % len(bodies)],
                         headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            status = resp.status
        except (OSError, http.client.HTTPException) as exc:
            statuses[-1] = statuses.get(-1, 0) + 1
            sample = sample or repr(exc)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        t1 = time.monotonic()
        i += 1
        if 200 <= status < 300:
            ok += 1
            if t_start <= t0 and t1 <= t_end:
                measured += 1
                lat.append(t1 - t0)
        else:
            statuses[status] = statuses.get(status, 0) + 1
            sample = sample or body[:300].decode(errors="replace")
    conn.close()
    out.update(lat=lat, ok=ok, measured=measured, statuses=statuses, sample=sample)


def run_clients(port: int, token: str, services: list[str], first: int, count: int,
                t_start: float, t_end: float, budget: Budget | None = None) -> dict:
    """``count`` client threads in this process (client indexes first..first+count-1)."""
    results = [{} for _ in range(count)]
    threads = [threading.Thread(target=client_thread, args=(
        port, token, services, first + k, t_start, t_end, results[k], budget), daemon=True)
        for k in range(count)]
    cpu0 = time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    merged = {"lat": [], "ok": 0, "measured": 0, "statuses": {}, "sample": "",
              "cpu": time.process_time() - cpu0}
    for r in results:
        merged["lat"] += r["lat"]
        merged["ok"] += r["ok"]
        merged["measured"] += r["measured"]
        for k, v in r["statuses"].items():
            merged["statuses"][k] = merged["statuses"].get(k, 0) + v
        merged["sample"] = merged["sample"] or r["sample"]
    return merged


def _proc_entry(args, queue) -> None:
    queue.put(run_clients(*args))


def drive(port: int, token: str, services: list[str], clients: int, procs: int,
          warmup: float, seconds: float) -> tuple[dict, float, float]:
    """Run all clients; returns merged results and the measured window (monotonic, which
    is one clock for every process on Linux)."""
    t_start = time.monotonic() + warmup + (0.5 if procs > 1 else 0.0)
    t_end = t_start + seconds
    if procs <= 1:
        return run_clients(port, token, services, 0, clients, t_start, t_end), t_start, t_end
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    shares = [clients // procs + (1 if p < clients % procs else 0) for p in range(procs)]
    workers, first = [], 0
    for share in shares:
        args = (port, token, services, first, share, t_start, t_end)
        workers.append(ctx.Process(target=_proc_entry, args=(args, queue)))
        first += share
    for w in workers:
        w.start()
    parts = [queue.get() for _ in workers]
    for w in workers:
        w.join()
    merged = {"lat": [], "ok": 0, "measured": 0, "statuses": {}, "sample": "", "cpu": 0.0}
    for r in parts:
        for k in ("lat", "ok", "measured", "cpu"):
            merged[k] += r[k]
        for k, v in r["statuses"].items():
            merged["statuses"][k] = merged["statuses"].get(k, 0) + v
        merged["sample"] = merged["sample"] or r["sample"]
    return merged, t_start, t_end


def fill(port: int, token: str, services: list[str], clients: int, n: int) -> dict:
    """Issue ``n`` more tickets as fast as the clients can, untimed."""
    return run_clients(port, token, services, 0, clients, math.inf, math.inf, Budget(n))


# ---------------------------------------------------------------- verification

CHECKS = {
    "tickets": "SELECT count(*) FROM tickets",
    # numbers taken twice within one (hall, prefix, day)
    "duplicates": """SELECT coalesce(sum(n - 1), 0) FROM (
        SELECT count(*) AS n FROM tickets GROUP BY hall_id, prefix, day, seq_no
        HAVING count(*) > 1) d""",
    "duplicate_numbers": """SELECT coalesce(sum(n - 1), 0) FROM (
        SELECT count(*) AS n FROM tickets GROUP BY hall_id, day, number
        HAVING count(*) > 1) d""",
    # the waiting counts the triggers keep (waiting_counts) against a real COUNT
    "count_drift": """SELECT (SELECT count(*) FROM waiting_counts w WHERE w.waiting <> (
            SELECT count(*) FROM tickets t WHERE t.service_id = w.service_id
            AND t.kind = w.kind AND t.state = 'waiting'))
        + (SELECT count(*) FROM (SELECT DISTINCT service_id, kind FROM tickets
            WHERE state = 'waiting') g WHERE NOT EXISTS (SELECT 1 FROM waiting_counts w
            WHERE w.service_id = g.service_id AND w.kind = g.kind))""",
    # per (prefix, day): numbers 1..N with no hole, and the counter row says N
    "gaps": """SELECT count(*) FROM (
        SELECT t.hall_id, t.prefix, t.day, count(*) AS n, max(t.seq_no) AS top
        FROM tickets t GROUP BY t.hall_id, t.prefix, t.day) g
        LEFT JOIN number_counters c ON c.hall_id = g.hall_id AND c.prefix = g.prefix
             AND c.day = g.day
        WHERE g.n <> g.top OR c.last IS NULL OR c.last <> g.top""",
}


def verify_sqlite(path: Path) -> dict[str, int]:
    con = sqlite3.connect(path)
    try:
        return {k: int(con.execute(q).fetchone()[0]) for k, q in CHECKS.items()}
    finally:
        con.close()


def verify_pg(url) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {k: int(conn.execute(text(q)).scalar_one()) for k, q in CHECKS.items()}
    finally:
        engine.dispose()


def pct(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    i = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[i]


# ---------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=3.0, help="each measured window")
    ap.add_argument("--fill", type=int, default=10_000,
                    help="tickets waiting before the second window")
    ap.add_argument("--services", type=int, default=0,
                    help="issue to the first N demo services only (default: all 12)")
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--clients", type=int, default=8, help="concurrent keep-alive clients")
    ap.add_argument("--procs", type=int, default=1, help="client processes (threads split)")
    ap.add_argument("--database-url", default=None,
                    help="PostgreSQL admin URL; the bench uses its own database hall_bench")
    ap.add_argument("--tcp-nodelay", action="store_true",
                    help="experiment: serve with TCP_NODELAY on accepted sockets (gevent)")
    ap.add_argument("--profile", default=None, metavar="SVG",
                    help="py-spy flame graph of the server during the measured window")
    args = ap.parse_args()
    if args.tcp_nodelay and os.environ.get("HALL_ASYNC_MODE", "gevent") != "gevent":
        ap.error("--tcp-nodelay is an experiment on gevent's pywsgi server only")

    work = Path(tempfile.mkdtemp(prefix="hall-bench-issue-"))
    # one kiosk token issues thousands of tickets a second here: no per-kiosk rate limit
    env = dict(os.environ, HALL_INSTANCE=str(work / "instance"), HALL_RATELIMIT_ENABLED="0")
    env.pop("HALL_DATABASE_URL", None)
    pg_admin = pg_bench = None
    if args.database_url:
        pg_admin, pg_bench = pg_urls(args.database_url)
        pg_create(pg_admin)
        env["HALL_DATABASE_URL"] = pg_bench.render_as_string(hide_password=False)
    server = Server(env, work, nodelay=args.tcp_nodelay)
    spy = None
    try:
        layout, services = bench_layout(work)
        services = services[:args.services] if args.services else services
        server.cli("seed", str(layout), "--ignore-hours")
        token = server.cli("device", "add", "--kind", "kiosk", "--name", "bench").strip()
        token = token.splitlines()[-1].strip()
        server.start()
        backend = "postgresql" if pg_bench is not None else "sqlite"
        log(f"server pid {server.proc.pid} on port {server.port} "
            f"({env.get('HALL_ASYNC_MODE', 'gevent')}, {backend}); {len(services)} services; "
            f"{args.clients} clients in {args.procs} process(es)"
            f"{'; TCP_NODELAY experiment' if args.tcp_nodelay else ''}")
        if args.profile:
            spy = start_profile(args, server)
        (user0, sys0), wall0 = server.cpu_split(), time.monotonic()
        res, t_start, t_end = drive(server.port, token, services, args.clients, args.procs,
                                    args.warmup, args.seconds)
        user1, sys1 = server.cpu_split()
        server_cpu, server_sys = user1 + sys1 - user0 - sys0, sys1 - sys0
        elapsed = time.monotonic() - wall0
        filled = fill(server.port, token, services, args.clients, max(0, args.fill - res["ok"]))
        log(f"filled: {res['ok'] + filled['ok']} tickets waiting before the second window")
        cpu2 = server.cpu_seconds()
        late, t_start2, t_end2 = drive(server.port, token, services, args.clients, args.procs,
                                       0.0, args.seconds)
        late_cpu = server.cpu_seconds() - cpu2
    finally:
        if spy is not None:
            spy.wait(args.seconds + args.warmup + 30)
        server.stop()
    try:
        checks = verify_pg(pg_bench) if pg_bench is not None else \
            verify_sqlite(work / "instance" / "hall.db")
    finally:
        if pg_admin is not None:
            pg_drop(pg_admin)
        shutil.rmtree(work, ignore_errors=True)

    ok = res["ok"] + filled["ok"] + late["ok"]
    statuses = {k: res["statuses"].get(k, 0) + filled["statuses"].get(k, 0)
                + late["statuses"].get(k, 0)
                for k in {*res["statuses"], *filled["statuses"], *late["statuses"]}}
    log(f"2xx {ok} (measured windows {res['measured']} in {t_end - t_start:.1f} s, "
        f"{late['measured']} in {t_end2 - t_start2:.1f} s); other statuses {statuses or 'none'} "
        f"{res['sample'] or filled['sample'] or late['sample']}")
    log(f"first window: server CPU {100 * server_cpu / elapsed:.0f}% of one core "
        f"({100 * server_sys / max(server_cpu, 1e-9):.0f}% of it system time); "
        f"client CPU {100 * res['cpu'] / elapsed:.0f}% of one core")
    # CPU per ticket says what a ticket costs even when other work shares the machine
    log(f"server CPU per ticket: {1000 * server_cpu / max(res['ok'], 1):.2f} ms at the start, "
        f"{1000 * late_cpu / max(late['ok'], 1):.2f} ms after {res['ok'] + filled['ok']}")
    log(f"database: {checks}")
    print(f"issue: {figures(res, t_end - t_start)}; after {res['ok'] + filled['ok']} waiting "
          f"{figures(late, t_end2 - t_start2)}; duplicates {checks['duplicates']}", flush=True)
    bad = []
    if checks["tickets"] != ok:
        bad.append(f"{checks['tickets']} tickets in the database but {ok} 2xx responses")
    if checks["count_drift"]:
        bad.append(f"{checks['count_drift']} waiting counts differ from a real COUNT")
    if checks["duplicates"] or checks["duplicate_numbers"]:
        bad.append("duplicate ticket numbers")
    if checks["gaps"]:
        bad.append(f"{checks['gaps']} (prefix, day) sequences with holes or a stale counter")
    for b in bad:
        log(f"FAIL: {b}")
    return 1 if bad else 0


def figures(res: dict, window: float) -> str:
    lat = sorted(res["lat"])
    return (f"{res['measured'] / window:.0f} tickets/s p50 {1000 * pct(lat, 50):.1f} ms "
            f"p99 {1000 * pct(lat, 99):.1f} ms")


def start_profile(args, server: Server):
    spy_bin = Path(sys.executable).parent / "py-spy"
    spy_bin = str(spy_bin) if spy_bin.exists() else shutil.which("py-spy")
    if not spy_bin:
        sys.exit("--profile needs py-spy: .venv/bin/pip install py-spy")
    # started now, it samples the warm-up too: a delay would need a thread, and the
    # warm-up is the same work as the window
    fmt = {".txt": "raw", ".json": "speedscope"}.get(Path(args.profile).suffix, "flamegraph")
    return subprocess.Popen([spy_bin, "record", "--pid", str(server.proc.pid), "--output",
                             args.profile, "--format", fmt, "--rate", "250",
                             "--duration", str(int(args.seconds + args.warmup)), "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    sys.exit(main())
