"""WAL checkpoints off the request path (SQLite).

By default SQLite checkpoints inside whichever commit crosses 1000 WAL pages, and the
checkpoint's fsync stalls that commit — in a one-process gevent server, every request with
it (measured: p99 110 ms in bench/issue.py). The server turns automatic checkpoints off
and runs a PASSIVE checkpoint from a real OS thread every second instead; sqlite3 releases
the GIL while it works, and a passive checkpoint never blocks writers.

A passive checkpoint alone never lets the WAL start over while tickets keep coming: writers
append while it copies, so it never catches up, and SQLite only rewinds the WAL when a writer
finds it fully copied. The WAL then grows without end (878 MB after 12,000 tickets in
bench/issue.py) and every page lookup walks a longer WAL index: server CPU per ticket rose
from 1.00 to 1.24 ms between the first ticket and the 10,000th. So once the WAL holds more
than ``RESTART_FRAMES``, the thread follows the passive copy with a RESTART checkpoint:
it holds writers back only while it copies the few frames written since (a few ms), then
the next writer rewinds the WAL, and ``journal_size_limit`` (store/db.py) gives the space
back.
"""
from __future__ import annotations

import logging
import sqlite3
import time

log = logging.getLogger(__name__)

RESTART_FRAMES = 4000  # ≈16 MB of 4 KiB pages, a few seconds of the busiest hall
# how long a RESTART may wait for readers still on the old WAL before giving up until the
# next round: it holds writers back meanwhile, so this is the longest stall it can cause
RESTART_WAIT_MS = 100


def start(path: str, async_mode: str, interval: float = 1.0) -> None:
    """Checkpoint every ``interval`` s: the timer is a green thread, the work runs in the
    async library's pool of OS threads (so the event loop never waits on an fsync)."""
    conn = sqlite3.connect(path, timeout=RESTART_WAIT_MS / 1000, check_same_thread=False)

    def checkpoint() -> None:
        try:
            _busy, frames, _copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if frames >= RESTART_FRAMES:
                conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
        except sqlite3.Error:
            log.exception("WAL checkpoint failed; will retry")

    if async_mode == "gevent":
        import gevent

        def green_loop() -> None:
            while True:
                gevent.sleep(interval)
                gevent.get_hub().threadpool.apply(checkpoint)

        gevent.spawn(green_loop)
    elif async_mode == "eventlet":
        import eventlet
        from eventlet import tpool

        def eventlet_loop() -> None:
            while True:
                eventlet.sleep(interval)
                tpool.execute(checkpoint)

        eventlet.spawn(eventlet_loop)
    else:
        import threading

        def thread_loop() -> None:
            while True:
                time.sleep(interval)
                checkpoint()

        threading.Thread(target=thread_loop, name="wal-checkpoint", daemon=True).start()
