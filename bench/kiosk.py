"""Kiosk tap → last printer byte: how long a visitor waits between touching "take a number"
and the printer having received everything for their ticket.

One real server process (``hall run``, gevent by default; HALL_ASYNC_MODE is passed
through) on a fresh instance directory, seeded with the demo hall (opening hours dropped,
quotas raised and per-person limits removed so that the run never hits a refusal), one
kiosk device whose printer URL points at the ESC/POS emulator running in this process over
TCP. One tap is what the kiosk page does: ``POST /api/v1/tickets`` then
``POST /api/v1/print-jobs`` (the server asks the printer's status, sends the ticket, asks
again, records the result). The time is from just before the first request to the last
byte the emulator received for that ticket (the status query after the cut), stamped in
this process by the emulator's reader. Taps are sequential, as at one kiosk.

Modes: ``native`` (GB18030 text in the printer's double-byte mode, native QR; the profile
of Chinese-made printers) and ``raster`` (Chinese drawn into paper-wide images, QR native:
``chinese=raster``, the Epson TM-T88 case); ``raster-qr`` (QR as an image too, the
``raster`` profile) is printed to stderr as well. 80 mm paper.

Prints one line per mode on stdout (details on stderr):

    kiosk native: p50 20 ms p99 45 ms
    kiosk raster: p50 … p99 …

    .venv/bin/python bench/kiosk.py [--taps 300] [--warmup 30] [--modes native,raster,raster-qr]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.issue import bench_layout as issue_layout  # noqa: E402
from bench.server import Server as BenchServer  # noqa: E402
from bench.server import log  # noqa: E402
from drivers.escpos.emulator import PrinterEmulator  # noqa: E402

MODES = {"native": "profile=generic&paper=80",
         "raster": "profile=generic&paper=80&chinese=raster",
         "raster-qr": "profile=raster&paper=80"}


def bench_layout(dest: Path) -> tuple[Path, list[str]]:
    """bench/issue.py's layout (quotas that never run out), nothing that refuses a tap."""
    path, codes = issue_layout(dest)
    text = re.sub(r"(?m)^per_person_daily_limit\s*=\s*\d+\n", "",
                  path.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")
    return path, codes


class TimedEmulator(PrinterEmulator):
    """The emulator, stamping when the last bytes of any connection arrived."""

    def __init__(self) -> None:
        super().__init__(None, paper="80")  # no previews: Pillow would compete for the CPU
        self.last_byte = 0.0

    def _parser(self, reply):
        parser = super()._parser(reply)
        feed = parser.feed

        def timed(data: bytes) -> None:
            self.last_byte = time.perf_counter()
            feed(data)

        parser.feed = timed
        return parser


class Server(BenchServer):
    """``hall run`` on a SQLite file of its own, whose kiosk's printer the bench sets."""

    def __init__(self, workdir: Path):
        self.db = workdir / "hall.db"
        super().__init__({**os.environ, "HALL_DATABASE_URL": f"sqlite:///{self.db}",
                          "HALL_INSTANCE": str(workdir), "HALL_SECRET_KEY": "bench-kiosk",
                          # one kiosk token taps far faster than a person: no per-kiosk
                          # limit (HALL_RATELIMIT_ENABLED=1 with a high
                          # HALL_RATELIMIT_ISSUE measures what the limiter's check costs)
                          "HALL_RATELIMIT_ENABLED":
                              os.environ.get("HALL_RATELIMIT_ENABLED", "0")}, workdir)

    def set_printer(self, url: str) -> None:
        con = sqlite3.connect(self.db, timeout=10)
        try:
            con.execute("UPDATE devices SET url = ? WHERE kind = 'kiosk'", (url,))
            con.commit()
        finally:
            con.close()


class Kiosk:
    """One kiosk's keep-alive connection, tapping as the page does."""

    def __init__(self, port: int, token: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Bearer {token}",
                        "Content-Type": "application/json"}

    def post(self, path: str, body: dict) -> dict:
        self.conn.request("POST", path, body=json.dumps(body).encode(), headers=self.headers)
        resp = self.conn.getresponse()
        data = json.loads(resp.read())
        if resp.status >= 300:
            raise RuntimeError(f"{path}: HTTP {resp.status} {data}")
        return data

    def tap(self, service: str) -> dict:
        ticket = self.post("/api/v1/tickets", {"service": service})
        return self.post("/api/v1/print-jobs", {"ticket_id": ticket["id"]})


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def run_mode(server: Server, emu: TimedEmulator, kiosk: Kiosk, services: list[str],
             mode: str, taps: int, warmup: int) -> list[float]:
    server.set_printer(f"escpos+tcp://127.0.0.1:{emu.tcp_port}?{MODES[mode]}")
    lat, http_lat = [], []
    for i in range(warmup + taps):
        before = len(emu.tickets)
        t0 = time.perf_counter()
        answer = kiosk.tap(services[i % len(services)])
        t_http = time.perf_counter()
        if answer["state"] != "printed":
            sys.exit(f"{mode}: tap {i} was not printed: {answer}")
        emu.wait_for_tickets(before + 1, timeout=10)
        if i >= warmup:
            lat.append(emu.last_byte - t0)
            http_lat.append(t_http - t0)
    last = emu.tickets[-1].ticket
    log(f"{mode}: {taps} taps; last ticket {len(last.lines)} text lines, "
        f"{len(last.images)} images, qr {len(last.qr)}; HTTP round trips p50 "
        f"{percentile(http_lat, 50) * 1000:.1f} ms p99 {percentile(http_lat, 99) * 1000:.1f} ms")
    return lat


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--taps", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--modes", default="native,raster,raster-qr")
    args = ap.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    unknown = set(modes) - set(MODES)
    if unknown:
        ap.error(f"unknown mode(s) {', '.join(sorted(unknown))}; known: {', '.join(MODES)}")
    workdir = Path(tempfile.mkdtemp(prefix="hall-bench-kiosk-"))
    server = Server(workdir)
    emu = TimedEmulator()
    emu.listen_tcp()
    try:
        layout, services = bench_layout(workdir)
        server.cli("seed", str(layout), "--ignore-hours")
        token = server.cli("device", "add", "--kind", "kiosk", "--name", "bench").strip()
        server.start()
        emu.start()
        kiosk = Kiosk(server.port, token)
        log(f"server {server.port} ({os.environ.get('HALL_ASYNC_MODE', 'gevent')}), "
            f"emulator 127.0.0.1:{emu.tcp_port}, {len(services)} services, workdir {workdir}")
        for mode in modes:
            lat = run_mode(server, emu, kiosk, services, mode, args.taps, args.warmup)
            line = (f"kiosk {mode}: p50 {percentile(lat, 50) * 1000:.0f} ms "
                    f"p99 {percentile(lat, 99) * 1000:.0f} ms")
            if mode in ("native", "raster"):
                print(line, flush=True)
            else:
                log(line)
    finally:
        server.stop()
        emu.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
