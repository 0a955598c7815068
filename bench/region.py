"""Region: 100 halls' days published through NATS JetStream into one region ingester
(issue 23): ingest rate, lag from hall commit to region commit at a live rate, catch-up
after an outage of 10 halls, and the month report over 100 halls (PostgreSQL).

Each hall's day comes from the simulator's plan (hall/simulate/plan.py ``day``: arrivals,
services, service times, outcomes, no-shows, ratings) played through a FIFO queue at 20
windows, giving the events the hall would log (counter.state, ticket.issued, .called,
.started, .finished or .skipped, .rated) with the hall's payloads. They are published on
``regionpages.bench.<hall>`` with ``Nats-Msg-Id`` as the uplink does, and ingested by the
real ``link.ingest`` (its batches, ``incoming.apply`` and the fold of the pages).

    .venv/bin/python bench/region.py [--halls 100] [--visitors 3000] [--keep] [--month-only]
                                     [--database-url postgresql://postgres@127.0.0.1:5432/test]

Phases (stdout: one line; stderr: details):
1. backlog: every hall's day 1 published first, then the ingester started: events/s;
2. live: day 2 published at ``--live-rate`` events/s, each stamped with its publish time
   (the hall's commit): lag p50/p99 to the region's commit (``ingested_at``);
3. outage: 10 halls' events of 30 minutes of their busiest hour (scaled to the day's
   visitors) held back, then published at once: the time until the region has them all;
4. month: day 1's day rows copied to the month's other days (a month of 100 halls' rows),
   then the month report per hall and per service (best of 3).
"""
from __future__ import annotations

import argparse
import asyncio
import heapq
import json
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.call_next import pg_admin_url, pg_exec  # noqa: E402
from hall.services.context import SystemClock, read, run  # noqa: E402
from hall.services.region import link as region_link  # noqa: E402
from hall.services.region import reports, tree  # noqa: E402
from hall.services.wiring import make_context  # noqa: E402
from hall.simulate import plan  # noqa: E402
from hall.store.db import make_engine  # noqa: E402
from hall.store.migrate import upgrade  # noqa: E402

DB = "regionpages_bench"
STREAM, PREFIX = "REGIONPAGES_BENCH", "regionpages.bench"
SERVICES = [f"s{i}" for i in range(1, 13)]
WINDOWS = 20
DAY1 = date(2026, 9, 1)


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def hall_day(n: int, visitors: int, day: date) -> list[tuple[datetime, str, dict]]:
    """(at, type, payload) of one hall's day, in order."""
    opening = datetime(day.year, day.month, day.day, 1, tzinfo=UTC)  # 09:00 in Shanghai
    out = [(opening, "counter.state", {"counter_id": w, "counter_number": w, "state": "open"})
           for w in range(1, WINDOWS + 1)]
    free = [(opening, w) for w in range(1, WINDOWS + 1)]
    for v in plan.day(seed=n * 1000 + day.toordinal(), services=SERVICES, visitors=visitors):
        svc = SERVICES.index(v.service) + 1
        at = opening + timedelta(seconds=v.at)
        out.append((at, "ticket.issued", {"ticket": {
            "id": v.n, "number": f"A{v.n:03d}", "state": "waiting", "issued_at": at.isoformat(),
            "service": {"id": svc, "code": v.service, "name": f"事项{svc}",
                        "department": {"id": svc % 4 + 1, "name": f"部门{svc % 4 + 1}"}}}}))
        ready, window = heapq.heappop(free)
        called = max(at, ready)
        base = {"ticket_id": v.n, "service_id": svc, "counter_id": window}
        out.append((called, "ticket.called", {**base, "counter_number": window, "recalls": 0}))
        if v.no_show:
            gone = called + timedelta(minutes=2)
            out.append((gone, "ticket.skipped", base))
            heapq.heappush(free, (gone, window))
            continue
        started = called + timedelta(seconds=40)
        finished = started + timedelta(minutes=v.minutes)
        out.append((started, "ticket.started", base))
        out.append((finished, "ticket.finished", {**base, "outcome": v.outcome}))
        if v.rating:
            out.append((finished + timedelta(seconds=20), "ticket.rated",
                        {"ticket_id": v.n, "counter_id": window, "level": v.rating[0]}))
        heapq.heappush(free, (finished, window))
    out.sort(key=lambda e: e[0])
    return out


class Publisher:
    def __init__(self, nc, halls: int):
        self.nc, self.seq = nc, dict.fromkeys(range(halls), 0)

    async def send(self, n: int, at: datetime, kind: str, payload: dict) -> None:
        self.seq[n] += 1
        uid = f"h{n:03d}"
        body = {"hall": uid, "seq": self.seq[n], "at": at.isoformat(), "type": kind,
                "payload": payload}
        await self.nc.publish(f"{PREFIX}.{uid}", json.dumps(body, ensure_ascii=False).encode(),
                              headers={"Nats-Msg-Id": f"{uid}:{self.seq[n]}"})


async def caught_up(ctx, pub: Publisher, timeout: float = 3600) -> None:
    from sqlalchemy import text

    want = {f"h{n:03d}": s for n, s in pub.seq.items()}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with ctx.engine.connect() as conn:
            have = dict(conn.execute(text("SELECT hall_uid, seq FROM region_marks")).all())
        if all(have.get(u, 0) >= s for u, s in want.items()):
            return
        await asyncio.sleep(0.2)
    raise SystemExit("FAIL: the region did not catch up")


async def main(args) -> str:
    import nats
    from sqlalchemy import text

    admin = pg_admin_url(args.database_url)
    if args.month_only:  # phase 4 again on the database a --keep run left
        url = admin.set(database=DB).render_as_string(hide_password=False)
        upgrade(url)
        ctx = make_context(make_engine(url), clock=SystemClock(), secret=b"bench")
        try:
            best = month(ctx)
        finally:
            ctx.engine.dispose()
        return (f"region month by_hall {best['hall']:.3f} s "
                f"by_service {best['service']:.3f} s")
    pg_exec(admin, f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    pg_exec(admin, f'CREATE DATABASE "{DB}"')
    url = admin.set(database=DB).render_as_string(hide_password=False)
    upgrade(url)
    ctx = make_context(make_engine(url), clock=SystemClock(), secret=b"bench")
    run(ctx, lambda u: tree.add_place(u, "city", "市", "city"))
    for n in range(args.halls):
        run(ctx, lambda u, n=n: tree.attach_hall(u, f"h{n:03d}", "city", f"中心{n:03d}"))
    run(ctx, lambda u: tree.add_account(u, "mayor", "市督查", "supervisor", "city"))
    nc = await nats.connect(args.nats)
    js = nc.jetstream()
    try:
        await js.delete_stream(STREAM)
    except Exception:  # noqa: BLE001 - not there yet
        pass
    link = region_link.Link(url=args.nats, stream=STREAM, prefix=PREFIX)
    await js.add_stream(name=STREAM, subjects=[f"{PREFIX}.>"])
    pub = Publisher(nc, args.halls)
    stop = asyncio.Event()
    try:
        # 1. backlog
        days1 = [hall_day(n, args.visitors, DAY1) for n in range(args.halls)]
        total = sum(len(d) for d in days1)
        for n, events in enumerate(days1):
            for at, kind, payload in events:
                await pub.send(n, at, kind, payload)
        await nc.flush()
        log(f"published {total} events of {args.halls} halls' day 1")
        started = time.monotonic()
        ingester = asyncio.create_task(region_link.ingest(ctx, link, durable="bench",
                                                          stop=stop))
        await caught_up(ctx, pub)
        rate = total / (time.monotonic() - started)
        log(f"backlog: {total} events in {total / rate:.1f} s: {rate:.0f} events/s")
        # 2. live, then 3. outage
        day2 = [hall_day(n, args.visitors, DAY1 + timedelta(days=1)) for n in range(args.halls)]
        merged = sorted(((at, n, kind, p) for n, d in enumerate(day2) for at, kind, p in d),
                        key=lambda e: e[0])
        live_n = int(args.live_rate * args.live_seconds)
        outage = set(range(10))
        held_n = _outage_events(args)
        # the 10 halls' link is down from the start of the live phase: their next held_n
        # events wait in the halls; the other 90 publish live
        held = [(n, kind, p) for _at, n, kind, p in merged if n in outage][:held_n]
        sent, mark = 0, time.monotonic()
        first_live_seq = dict(pub.seq)
        for _at, n, kind, p in merged[:live_n]:
            if n in outage:
                continue
            await pub.send(n, datetime.now(UTC), kind, p)
            sent += 1
            ahead = mark + sent / args.live_rate - time.monotonic()
            if ahead > 0:
                await asyncio.sleep(ahead)
        await nc.flush()
        await caught_up(ctx, Publisher_view(pub, outage, first_live_seq))
        with ctx.engine.connect() as conn:
            p50, p99 = conn.execute(text(
                "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x), "
                "percentile_cont(0.99) WITHIN GROUP (ORDER BY x) FROM (SELECT "
                "EXTRACT(EPOCH FROM ingested_at - at) * 1000 AS x FROM region_events e "
                "JOIN (SELECT unnest(CAST(:u AS text[])) AS u, unnest(CAST(:s AS bigint[])) "
                "AS s) f ON e.hall_uid = f.u AND e.seq > f.s) q"),
                {"u": [f"h{n:03d}" for n in first_live_seq if n not in outage],
                 "s": [first_live_seq[n] for n in first_live_seq if n not in outage]}).one()
        log(f"live: {sent} events at {args.live_rate}/s, lag p50 {p50:.0f} ms p99 {p99:.0f} ms")
        started = time.monotonic()
        for n, kind, p in held:
            await pub.send(n, datetime.now(UTC), kind, p)
        await nc.flush()
        await caught_up(ctx, pub)
        catch_up = time.monotonic() - started
        log(f"outage: {len(held)} events of 10 halls held back, caught up in {catch_up:.1f} s")
        stop.set()
        await ingester
        # 4. the month
        copy_month(ctx)
        best = month(ctx)
        return (f"region halls={args.halls} visitors={args.visitors} ingest {rate:.0f} ev/s "
                f"lag p50 {p50:.0f} ms p99 {p99:.0f} ms outage catch-up {catch_up:.1f} s "
                f"({len(held)} ev) month by_hall {best['hall']:.3f} s "
                f"by_service {best['service']:.3f} s")
    finally:
        stop.set()
        try:
            await js.delete_stream(STREAM)
        finally:
            await nc.close()
            ctx.engine.dispose()
            if not args.keep:
                pg_exec(admin, f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')


def copy_month(ctx) -> None:
    """Day 1's day rows and wait histograms copied to the month's other days."""
    from sqlalchemy import text

    models = __import__("hall.store.models", fromlist=["x"])
    with ctx.engine.begin() as conn:
        for table in (models.RegionDayStat.__table__, models.RegionWaitFine,
                      models.RegionWaitMinutes,
                      models.RegionWaitHours):
            cols = ", ".join(c.name for c in table.columns if c.name != "day")
            for k in range(2, 30):
                conn.execute(text(f"INSERT INTO {table.name} (day, {cols}) "
                                  f"SELECT day + {k}, {cols} FROM {table.name} "
                                  f"WHERE day = :d"), {"d": DAY1})
    with ctx.engine.connect() as conn:
        # a live region's month accumulates over 30 days with autovacuum analysing as it
        # grows; here it appears at once, so its statistics are brought up to date
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))


def month(ctx) -> dict[str, float]:
    """The month report per hall and per service: the best of 3 each."""
    best = {}
    for group in ("hall", "service"):
        times = []
        for _ in range(3):
            t0 = time.monotonic()
            data = read(ctx, lambda u, g=group: reports.report(
                u, "mayor", period="month", on=DAY1, group=g))
            times.append(time.monotonic() - t0)
        best[group] = min(times)
        log(f"month by {group}: {len(data['rows'])} rows, best {best[group]:.3f} s")
    return best


def _outage_events(args) -> int:
    """10 halls' events in 30 minutes of their busiest hour (weight 1.7 of an average)."""
    per_visitor = 4.5  # issued, called, started, finished, rated three times in four
    hours = sum(w for _, w in plan.hours(9, 17))
    return int(10 * args.visitors * per_visitor * 1.7 / hours * 0.5)


class Publisher_view:  # noqa: N801 - a Publisher's marks, minus the halls held back
    def __init__(self, pub: Publisher, outage: set[int], before: dict[int, int]):
        self.seq = {n: (before[n] if n in outage else s) for n, s in pub.seq.items()}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--halls", type=int, default=100)
    parser.add_argument("--visitors", type=int, default=3000)
    parser.add_argument("--live-rate", type=float, default=500.0)
    parser.add_argument("--live-seconds", type=float, default=20.0)
    parser.add_argument("--nats", default="nats://127.0.0.1:4222")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--keep", action="store_true", help="keep the region's database")
    parser.add_argument("--month-only", action="store_true",
                        help="only the month report, on the database a --keep run left")
    print(asyncio.run(main(parser.parse_args())))
