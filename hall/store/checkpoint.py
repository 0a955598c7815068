"""WAL checkpoints off the request path (SQLite).

By default SQLite checkpoints inside whichever commit crosses 1000 WAL pages, and the
checkpoint's fsync stalls that commit — in a one-process gevent server, every request with
it (measured: p99 110 ms in bench/issue.py). The server turns automatic checkpoints off
and runs a PASSIVE checkpoint from a real OS thread every second instead; sqlite3 releases
the GIL while it works, and a passive checkpoint never blocks writers.
"""
from __future__ import annotations

import logging
import sqlite3
import time

log = logging.getLogger(__name__)


def start(path: str, async_mode: str, interval: float = 1.0) -> None:
    """Checkpoint every ``interval`` s: the timer is a green thread, the work runs in the
    async library's pool of OS threads (so the event loop never waits on an fsync)."""
    conn = sqlite3.connect(path, timeout=10, check_same_thread=False)

    def checkpoint() -> None:
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
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
