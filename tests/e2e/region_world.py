"""What the region tests share: the broker (skipped or failed like the other services when
down), a region database of its own, the uplink and ingester as real processes, and a
link between a hall and the broker that a test can cut and restore."""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import uuid
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from hall.store.migrate import upgrade
from tests.conftest import PG_ADMIN_URL, unavailable, wait_for
from tests.e2e.server import FORK, Forked, Zygote

ROOT = Path(__file__).resolve().parents[2]
NATS_URL = os.environ.get("HALL_TEST_NATS", "nats://127.0.0.1:4222")


def need_nats() -> None:
    host, port = NATS_URL.rsplit("/", 1)[1].split(":")
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
    except OSError as exc:
        unavailable("NATS", exc)


def run_async(coro):
    """Run ``coro`` to its end on a loop of its own thread: in a worker where Playwright's sync
    API already runs an event loop, ``asyncio.run`` in this thread would be refused."""
    result: list = []
    errors: list = []

    def work() -> None:
        try:
            result.append(asyncio.run(coro))
        except BaseException as exc:  # handed back to the caller
            errors.append(exc)

    thread = threading.Thread(target=work, name="nats-admin")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


def names() -> tuple[str, str]:
    """A stream and subject prefix of this test's own, so parallel runs never meet."""
    tag = uuid.uuid4().hex[:10]
    return f"T_{tag}", f"t{tag}.events"


def drop_stream(stream: str) -> None:
    import nats

    async def drop() -> None:
        nc = await nats.connect(NATS_URL)
        with suppress(Exception):
            await nc.jetstream().delete_stream(stream)
        await nc.close()

    run_async(drop())


def stream_messages(stream: str) -> int:
    import nats

    async def count() -> int:
        nc = await nats.connect(NATS_URL)
        try:
            return (await nc.jetstream().stream_info(stream)).state.messages
        finally:
            await nc.close()

    return run_async(count())


@contextmanager
def region_database():
    """A migrated PostgreSQL database of the region's own, dropped afterwards."""
    name = f"region_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - reported as skip/fail
        unavailable("PostgreSQL", exc)
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    upgrade(url)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Worker:
    """``hall region uplink|ingest …`` as a real process (kill -9 able)."""

    def __init__(self, args: list[str], log: Path, env: dict[str, str] | None = None):
        self.args, self.log, self.env = args, log, {**os.environ, **(env or {})}
        self.proc: subprocess.Popen | Forked | None = None

    def start(self) -> Worker:
        argv = ["region", *self.args]
        if FORK:  # from the warm `hall` the servers come from: no new interpreter's imports
            mode = self.env.get("HALL_ASYNC_MODE", "gevent")
            self.proc = Zygote.of(mode).fork(argv, self.env, self.log)
            return self
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "hall.boot", *argv], cwd=ROOT,
                                         env=self.env, stdout=out, stderr=subprocess.STDOUT)
        return self

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def uplink(hall_db: str, nats_url: str, stream: str, prefix: str, log: Path) -> Worker:
    return Worker(["uplink", "--nats", nats_url, "--stream", stream, "--prefix", prefix],
                  log, {"HALL_DATABASE_URL": hall_db})


def ingester(region_db: str, stream: str, prefix: str, log: Path) -> Worker:
    return Worker(["ingest", "--database-url", region_db, "--nats", NATS_URL, "--stream",
                   stream, "--prefix", prefix, "--durable", "region", "--ack-wait", "2"], log)


class Link:
    """A TCP relay from 127.0.0.1:<port> to the broker: ``cut()`` closes the port and every
    connection through it (the hall's link is down), ``restore()`` opens it again."""

    def __init__(self, target: str = NATS_URL):
        host, port = target.rsplit("/", 1)[1].split(":")
        self.target = (host, int(port))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"nats://127.0.0.1:{self.port}"
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._server: socket.socket | None = None

    def restore(self) -> Link:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(8)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()
        return self

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            if self._server is not server:  # cut while this connection was coming in
                client.close()
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        with suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        for s in (src, dst):
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        if self._server is not None:
            with suppress(OSError):  # wakes the thread blocked in accept() (Linux)
                self._server.shutdown(socket.SHUT_RDWR)
            self._server.close()
            self._server = None
        with self._lock:
            for s in self._open:
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self._open.clear()


def hall_log(hall_db: str) -> list[tuple[int, str]]:
    """The hall's event log: (seq, type), in order."""
    engine = create_engine(hall_db, poolclass=NullPool)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT seq, type FROM events ORDER BY seq")).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def region_log(region_db: str, uid: str = "test") -> list[tuple[int, str]]:
    engine = create_engine(region_db, poolclass=NullPool)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT seq, type FROM region_events WHERE hall_uid = :u "
                                 "ORDER BY seq"), {"u": uid}).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def region_mark(region_db: str, uid: str = "test") -> int:
    engine = create_engine(region_db, poolclass=NullPool)
    with engine.connect() as conn:
        mark = conn.execute(text("SELECT seq FROM region_marks WHERE hall_uid = :u"),
                            {"u": uid}).scalar()
    engine.dispose()
    return mark or 0


def caught_up(hall_db: str, region_db: str, timeout: float = 30) -> list[tuple[int, str]]:
    """Wait until the region's mark reaches the hall's last seq; the hall's log."""
    log = hall_log(hall_db)
    wait_for(lambda: region_mark(region_db) >= log[-1][0], timeout, "region caught up",
             every=0.1)
    return log
