"""Fan-out latency: a call made through the API, received by N connected screens.

For each async mode and each N, one real server process (``hall run``, HALL_ASYNC_MODE set)
on a fresh instance directory seeded with the demo hall (quotas raised, as in issue.py).
N Socket.IO clients connect to ``/hall`` over the websocket transport with a screen's
device token and subscribe to ``hall:<id>`` from the hall's current seq, as a hall screen
does after drawing its snapshot (``--backlog``: from seq 0, so each ack carries the log so
far). By default they are bench/lean_client.py clients: the Socket.IO protocol on an
``asyncio.Protocol`` that, like a browser, offers permessage-deflate. ``--client socketio``
uses python-socketio's ``AsyncClient`` instead (needs aiohttp), which costs ~75 µs of CPU per
message received, 4 times the lean client: on a 2-core box shared with the server, 1,000
of those measure mostly themselves. The clients are split over a few processes with one
event loop each.

Then the keypad of window 1 opens the counter once, a kiosk issues tickets for the window's
services, and, after two unmeasured warm-up calls (the first call after start compiles SQL
and fills caches), the bench makes M calls, one every ``--spacing`` ms: ``call-next``, then,
half a spacing later, ``skip`` (so that the counter is free for the next call; the skip is
fanned out too, as it would be in a hall, and so is the call's queue.stats). For each call
the latency is from just before the call request is sent (the caller's
``time.perf_counter()``) to a client's receipt of ``ticket.called`` (the client's
``time.perf_counter()`` when the bytes arrive, before parsing). Every process runs on this
machine, and ``perf_counter`` is CLOCK_MONOTONIC, one clock for all of them.

One line per run on stdout (details on stderr):

    screens gevent N=1000: p50 12 ms p99 41 ms max 60 ms rss 190 MB received 20000/20000

p50/p99/max are over all (call, client) pairs; rss is the server's VmRSS once every client
is connected and subscribed; received counts (call, client) pairs that arrived within
``--wait`` seconds of the last call.

    .venv/bin/python bench/screens.py [--modes gevent,eventlet] [--clients 100,1000,5000]
                                      [--calls 20] [--spacing MS] [--procs 2]
                                      [--client lean|socketio] [--backlog]
                                      [--profile /tmp/screens-{mode}-{n}.txt]
                                      [--loop asyncio|uvloop]

``HALL_FANOUT=stock`` in the environment (passed to the server) runs python-engineio and
python-socketio exactly as they come, for comparison (hall/realtime/fanout.py).

``--spacing`` defaults to 200 ms, and to N/5 ms above 1,000 clients (1 s at 5,000): on a
2-core machine 5,000 clients cannot take in 15 events a second (a call, its queue.stats and
a skip every 200 ms) without falling further behind on every call. The line then says
``(calls 1000 ms apart)``. A client that cannot connect and subscribe within 20 s counts as
failed; after ~2 % failures a client process stops trying (a server refusing connections),
and the line says ``connected K/N``; received/expected still counts every (call, client)
pair of all N.

``--profile`` records the server with py-spy during the calls (``{mode}`` and ``{n}`` in the
name are filled in; ``.txt`` collapsed stacks, ``.json`` speedscope, else a flame graph).
``--loop uvloop`` runs the clients on uvloop (``pip install uvloop``). The open-files limit
is raised to its hard limit before anything starts, so the server (which inherits it) and
the client processes can hold every connection.
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from issue import Server, bench_layout, pct  # noqa: E402  (same set-up as issue.py)

WINDOW = 1  # the window whose keypad calls


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def raise_nofile(need: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else max(soft, need)
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if want < need:
        log(f"warning: open-files limit {want} is below the ~{need} this run needs")
    return want


# ---------------------------------------------------------------- client processes


def client_proc(conn, url: str, token: str, room: str, count: int, concurrency: int,
                use_uvloop: bool, kind: str = "lean", last_seq: int = 0) -> None:
    """Entry of one client process: ``count`` AsyncClients on one event loop.

    Protocol on ``conn``: sends ("ready", stats) once every client is subscribed; receives
    ("calls", {ticket_id: send_time}, wait_s) and answers ("done", latencies, stats);
    receives ("exit",) and leaves without closing anything (the server is gone by then).
    """
    import asyncio

    try:
        if use_uvloop:
            import uvloop

            uvloop.run(_client_main(conn, url, token, room, count, concurrency, kind,
                                     last_seq))
        else:
            asyncio.run(_client_main(conn, url, token, room, count, concurrency, kind,
                                     last_seq))
    finally:
        conn.close()
        os._exit(0)


async def _client_main(conn, url, token, room, count, concurrency, kind="lean",
                       last_seq=0) -> None:
    per_client = 20.0  # seconds for one client to connect and subscribe
    import asyncio

    import socketio

    loop = asyncio.get_running_loop()
    received: list[tuple[int, object, float]] = []  # (client, ticket id, perf_counter)
    clients: list = []
    errors: dict[str, int] = {}
    sem = asyncio.Semaphore(concurrency)

    def make(index: int):
        sio = socketio.AsyncClient(reconnection=False, handle_sigint=False)

        def on_called(data):  # plain function: the client calls it without a task
            received.append((index, data.get("ticket_id") if isinstance(data, dict) else None,
                             time.perf_counter()))

        sio.on("ticket.called", on_called, namespace="/hall")
        return sio

    state = {"failed": 0, "skipped": 0}
    give_up = max(20, count // 50)  # a server refusing connections: stop trying, report

    def fail(key: str) -> None:
        errors[key] = errors.get(key, 0) + 1
        state["failed"] += 1

    async def close_quietly(sio) -> None:
        try:
            await asyncio.wait_for(sio.disconnect(), 2)
        except Exception:  # noqa: BLE001 - best effort on a failed client
            pass
        http = getattr(sio.eio, "http", None)
        if http is not None and not http.closed:
            await http.close()

    async def connect_socketio(index: int) -> None:
        sio = make(index)
        async with sem:
            if state["failed"] >= give_up:
                state["skipped"] += 1
                return
            try:
                await asyncio.wait_for(sio.connect(
                    url, namespaces=["/hall"], auth={"token": token},
                    transports=["websocket"], wait_timeout=per_client), per_client)
                ack = await sio.call("subscribe", {"room": room, "last_seq": last_seq},
                                     namespace="/hall", timeout=per_client)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                fail(type(exc).__name__ + (": " + str(exc)[:80] if str(exc) else ""))
                await close_quietly(sio)
                return
        if not (isinstance(ack, dict) and ack.get("ok")):
            fail(f"subscribe refused: {str(ack)[:120]}")
            await close_quietly(sio)
            return
        clients.append(sio)

    from urllib.parse import urlsplit

    import lean_client

    where = urlsplit(url)

    async def connect_lean(index: int) -> None:
        def on_called(ticket_id, t: float) -> None:
            received.append((index, ticket_id, t))

        async with sem:
            if state["failed"] >= give_up:
                state["skipped"] += 1
                return
            try:
                client = await lean_client.connect(where.hostname, where.port, token, room,
                                                   on_called, per_client, last_seq)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                fail(type(exc).__name__ + (": " + str(exc)[:80] if str(exc) else ""))
                return
        clients.append(client)

    connect = connect_lean if kind == "lean" else connect_socketio

    t0 = time.perf_counter()
    await asyncio.gather(*(connect(i) for i in range(count)))
    cpu0 = time.process_time()
    if state["skipped"]:
        errors[f"not tried after {state['failed']} failures"] = state["skipped"]
    conn.send(("ready", {"connected": len(clients), "errors": errors,
                         "seconds": time.perf_counter() - t0}))

    msg = await loop.run_in_executor(None, conn.recv)
    assert msg[0] == "calls", msg
    sent: dict[int, float] = msg[1]
    wait_s: float = msg[2]
    want = len(clients) * len(sent)
    deadline = time.perf_counter() + wait_s

    def got() -> int:
        return sum(1 for _, tid, _ in received if tid in sent)

    while got() < want and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    lat, seen, dupes, foreign = [], set(), 0, 0
    for client, tid, t in received:
        if tid not in sent:
            foreign += 1
            continue
        if (client, tid) in seen:
            dupes += 1
            continue
        seen.add((client, tid))
        lat.append((tid, t - sent[tid]))
    conn.send(("done", lat, {"received": len(lat), "expected": want, "duplicates": dupes,
                             "foreign": foreign, "cpu": time.process_time() - cpu0,
                             "connected": len(clients)}))
    await loop.run_in_executor(None, conn.recv)  # ("exit",)


class ClientPool:
    def __init__(self, url: str, token: str, room: str, n: int, procs: int, concurrency: int,
                 use_uvloop: bool, kind: str = "lean", last_seq: int = 0):
        ctx = multiprocessing.get_context("fork")
        self.workers, self.pipes = [], []
        shares = [n // procs + (1 if p < n % procs else 0) for p in range(procs)]
        for share in shares:
            if share == 0:
                continue
            here, there = ctx.Pipe()
            w = ctx.Process(target=client_proc,
                            args=(there, url, token, room, share, concurrency, use_uvloop,
                                  kind, last_seq),
                            daemon=True)
            w.start()
            there.close()
            self.workers.append(w)
            self.pipes.append(here)

    def recv_all(self, kind: str, timeout: float) -> list:
        out = []
        for p in self.pipes:
            if not p.poll(timeout):
                raise TimeoutError(f"a client process did not report {kind!r} in {timeout} s")
            msg = p.recv()
            assert msg[0] == kind, msg
            out.append(msg[1:])
        return out

    def send_all(self, *msg) -> None:
        for p in self.pipes:
            p.send(msg)

    def stop(self) -> None:
        for p in self.pipes:
            try:
                p.send(("exit",))
            except OSError:
                pass
        for w in self.workers:
            w.join(5)
            if w.is_alive():
                w.kill()
                w.join(5)


# ---------------------------------------------------------------- the server

# ---------------------------------------------------------------- the caller


class Api:
    """Keep-alive HTTP to the server with a device's bearer token."""

    def __init__(self, port: int, token: str):
        self.port, self.token = port, token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, path: str, body: dict | None = None) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else b""
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json",
                   "Content-Length": str(len(data))}
        self.conn.request("POST", path, body=data, headers=headers)
        resp = self.conn.getresponse()
        raw = resp.read()
        try:
            return resp.status, json.loads(raw) if raw else {}
        except ValueError:
            return resp.status, {"raw": raw[:300].decode(errors="replace")}

    def get(self, path: str) -> tuple[int, dict]:
        self.conn.request("GET", path, headers={"Authorization": f"Bearer {self.token}"})
        resp = self.conn.getresponse()
        return resp.status, json.loads(resp.read() or b"{}")

    def close(self) -> None:
        self.conn.close()


def window_services(db: Path, hall_id: int, number: int) -> tuple[int, list[str]]:
    con = sqlite3.connect(db)
    try:
        counter_id = con.execute("SELECT id FROM counters WHERE hall_id = ? AND number = ?",
                                 (hall_id, number)).fetchone()[0]
        codes = [r[0] for r in con.execute(
            "SELECT s.code FROM counter_services cs JOIN services s ON s.id = cs.service_id "
            "WHERE cs.counter_id = ? ORDER BY s.id", (counter_id,))]
        return counter_id, codes
    finally:
        con.close()


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_profile(path: str, pid: int, seconds: float):
    spy_bin = Path(sys.executable).parent / "py-spy"
    spy_bin = str(spy_bin) if spy_bin.exists() else shutil.which("py-spy")
    if not spy_bin:
        sys.exit("--profile needs py-spy: .venv/bin/pip install py-spy")
    fmt = {".txt": "raw", ".json": "speedscope"}.get(Path(path).suffix, "flamegraph")
    return subprocess.Popen([spy_bin, "record", "--pid", str(pid), "--output", path,
                             "--format", fmt, "--rate", "250", "--duration",
                             str(max(1, round(seconds))), "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


# ---------------------------------------------------------------- one run


def run_one(mode: str, n: int, args) -> str:
    work = Path(tempfile.mkdtemp(prefix=f"hall-bench-screens-{mode}-{n}-"))
    env = dict(os.environ, HALL_INSTANCE=str(work / "instance"), HALL_ASYNC_MODE=mode,
               HALL_RATELIMIT_ENABLED="0")
    env.pop("HALL_DATABASE_URL", None)
    env.pop("HALL_MESSAGE_QUEUE", None)
    server = Server(env, work)
    pool = spy = None
    try:
        layout, _ = bench_layout(work)
        server.cli("seed", str(layout), "--ignore-hours")
        screen = server.cli("device", "add", "--kind", "screen", "--name", "bench")
        keypad = server.cli("device", "add", "--kind", "keypad", "--counter", str(WINDOW),
                            "--name", "bench")
        kiosk = server.cli("device", "add", "--kind", "kiosk", "--name", "bench")
        screen, keypad, kiosk = (t.strip().splitlines()[-1].strip()
                                 for t in (screen, keypad, kiosk))
        db = work / "instance" / "hall.db"
        with sqlite3.connect(db) as con:
            hall_id = con.execute("SELECT id FROM halls ORDER BY id LIMIT 1").fetchone()[0]
        counter_id, services = window_services(db, hall_id, WINDOW)
        server.start()
        pid = server.proc.pid
        url = f"http://127.0.0.1:{server.port}"

        desk, kiosk_api = Api(server.port, keypad), Api(server.port, kiosk)
        status, body = desk.post(f"/api/v1/counters/{counter_id}/open")
        if status >= 300:
            sys.exit(f"open counter {counter_id}: {status} {body}")
        for i in range(args.calls + args.warmup_calls + 2):
            status, body = kiosk_api.post("/api/v1/tickets",
                                          {"service": services[i % len(services)]})
            if status >= 300:
                sys.exit(f"issue a ticket: {status} {body}")
        kiosk_api.close()
        rss0 = rss_kb(pid)

        t_conn = time.perf_counter()
        procs = max(1, min(args.procs, n))
        spacing = args.spacing or max(200.0, n / 5)
        # A hall screen subscribes from the last_seq of the snapshot it has just drawn, so
        # its ack carries no backlog; so do these clients.
        with sqlite3.connect(db) as con:
            last_seq = 0 if args.backlog else con.execute(
                "SELECT last_seq FROM halls WHERE id = ?", (hall_id,)).fetchone()[0]
        pool = ClientPool(url, screen, f"hall:{hall_id}", n, procs, args.concurrency,
                          args.loop == "uvloop", args.client, last_seq)
        ready = pool.recv_all("ready", timeout=args.connect_timeout)
        connected = sum(r[0]["connected"] for r in ready)
        errors: dict[str, int] = {}
        for r in ready:
            for k, v in r[0]["errors"].items():
                errors[k] = errors.get(k, 0) + v
        time.sleep(1.0)  # let the server settle (connect handlers, garbage) before RSS
        rss1 = rss_kb(pid)
        log(f"[{mode} N={n}] server pid {pid}; {connected}/{n} clients connected and "
            f"subscribed in {time.perf_counter() - t_conn:.1f} s over {len(pool.workers)} "
            f"process(es){'; errors ' + str(errors) if errors else ''}; "
            f"RSS {rss0 / 1024:.0f} MB before, {rss1 / 1024:.0f} MB after "
            f"({(rss1 - rss0) / max(connected, 1):.1f} KB per client)")

        for _ in range(args.warmup_calls):  # the first calls compile SQL, fill caches
            for step in ("call-next", "skip"):
                status, body = desk.post(f"/api/v1/counters/{counter_id}/{step}")
                if status >= 300:
                    sys.exit(f"warm-up {step}: {status} {body}")
                time.sleep(spacing / 2000)
        if args.profile:
            path = args.profile.format(mode=mode, n=n)
            spy = start_profile(path, pid, args.calls * spacing / 1000 + 1)
            time.sleep(0.5)  # py-spy attaches
        sent: dict[int, float] = {}
        call_ms: list[float] = []
        half = spacing / 2000
        load0 = os.getloadavg()[0]
        cpu0, wall0 = cpu_seconds(pid), time.perf_counter()
        for i in range(args.calls):
            tick = wall0 + i * spacing / 1000
            while (now := time.perf_counter()) < tick:
                time.sleep(min(tick - now, 0.05))
            t0 = time.perf_counter()
            status, body = desk.post(f"/api/v1/counters/{counter_id}/call-next")
            call_ms.append(1000 * (time.perf_counter() - t0))
            ticket = body.get("ticket") if isinstance(body, dict) else None
            if status >= 300 or not ticket:
                sys.exit(f"call-next: {status} {body}")
            sent[ticket["id"]] = t0
            while (now := time.perf_counter()) < tick + half:
                time.sleep(min(tick + half - now, 0.05))
            status, body = desk.post(f"/api/v1/counters/{counter_id}/skip")
            if status >= 300:
                sys.exit(f"skip: {status} {body}")
        desk.close()

        pool.send_all("calls", sent, args.wait)
        done = pool.recv_all("done", timeout=args.wait + 60)
        server_cpu = cpu_seconds(pid) - cpu0  # the calls and every fan-out they caused
        pairs = [x for d in done for x in d[0]]
        lat = sorted(x for _, x in pairs)
        first: dict[int, float] = {}
        last: dict[int, float] = {}
        for tid, x in pairs:
            first[tid] = min(first.get(tid, x), x)
            last[tid] = max(last.get(tid, x), x)
        stats = [d[1] for d in done]
        received = sum(s["received"] for s in stats)
        expected = n * len(sent)  # every client that should be there, connected or not
        if spy is not None:
            _, err = spy.communicate(timeout=60)
            if spy.returncode:
                log(f"py-spy failed: {err.decode(errors='replace')[-500:]}")
            else:
                log(f"[{mode} N={n}] profile written to {args.profile.format(mode=mode, n=n)}")
        log(f"[{mode} N={n}] call-next HTTP p50 {pct(sorted(call_ms), 50):.1f} ms max "
            f"{max(call_ms):.1f} ms; CPU per call (call-next + skip and both fan-outs): "
            f"server {1000 * server_cpu / len(sent):.0f} ms, clients "
            f"{' + '.join('%.0f' % (1000 * s['cpu'] / len(sent)) for s in stats)} ms; "
            f"duplicates {sum(s['duplicates'] for s in stats)}; machine load average "
            f"{load0:.1f} before the calls, {os.getloadavg()[0]:.1f} after (2 cores)")
        if first:
            lasts = sorted(last.values())
            log(f"[{mode} N={n}] per call, median over calls: first client "
                f"{1000 * pct(sorted(first.values()), 50):.1f} ms, last client "
                f"{1000 * pct(lasts, 50):.1f} ms after the request was sent; last client "
                f"per call, in call order: {' '.join(f'{1000 * last[t]:.0f}' for t in sent)} ms")
        top = lat[-1] if lat else float("nan")
        return (f"screens {mode} N={n}: p50 {1000 * pct(lat, 50):.0f} ms "
                f"p99 {1000 * pct(lat, 99):.0f} ms max {1000 * top:.0f} ms "
                f"rss {rss1 / 1024:.0f} MB received {received}/{expected}"
                + ("" if connected == n else f" connected {connected}/{n}")
                + ("" if spacing == 200 else f" (calls {spacing:.0f} ms apart)")
                + ("" if args.client == "lean" else " [python-socketio clients]")
                + (" [subscribed from seq 0]" if args.backlog else "")
)
    finally:
        if spy is not None and spy.poll() is None:
            spy.kill()
            spy.wait()
        server.stop()
        if pool is not None:
            pool.stop()
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--modes", default="gevent,eventlet")
    ap.add_argument("--clients", default="100,1000,5000", help="comma-separated N values")
    ap.add_argument("--calls", type=int, default=20)
    ap.add_argument("--spacing", type=float, default=None,
                    help="ms between calls (default: 200, or N/5 when N > 1000)")
    ap.add_argument("--warmup-calls", type=int, default=2,
                    help="unmeasured calls (and skips) before the measured ones")
    ap.add_argument("--procs", type=int, default=2, help="client processes")
    ap.add_argument("--concurrency", type=int, default=50,
                    help="connections being opened at once per client process")
    ap.add_argument("--connect-timeout", type=float, default=300.0)
    ap.add_argument("--wait", type=float, default=10.0,
                    help="seconds after the last call for stragglers")
    ap.add_argument("--profile", default=None, metavar="FILE",
                    help="py-spy the server during the calls; {mode} and {n} are filled in")
    ap.add_argument("--backlog", action="store_true",
                    help="subscribe from seq 0: every ack carries the log so far (~50 events)")
    ap.add_argument("--client", choices=["lean", "socketio"], default="lean",
                    help="lean: bench/lean_client.py (the protocol on an asyncio.Protocol); "
                         "socketio: python-socketio's AsyncClient (needs aiohttp)")
    ap.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio",
                    help="the client processes' event loop (uvloop: pip install uvloop)")
    args = ap.parse_args()
    log(f"clients: {'lean_client' if args.client == 'lean' else 'socketio.AsyncClient'} on "
        f"{args.loop}, {args.procs} process(es)")
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    sizes = [int(x) for x in args.clients.split(",") if x.strip()]
    raise_nofile(max(sizes) + 1000)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    for mode in modes:
        for n in sizes:
            print(run_one(mode, n, args), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
