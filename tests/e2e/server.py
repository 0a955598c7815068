"""Start the real server (`hall run`) as a separate OS process for end-to-end tests.

Each server is its own process, forked from a warm `hall` of its async mode
(tests/e2e/zygote.py: the monkey patching and Hall's imports done once per test process
instead of ~2 s of CPU per server). HALL_TEST_FORK=0 starts `python -m hall.boot` instead."""
from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
FORK = os.environ.get("HALL_TEST_FORK", "1") != "0"


class Zygote:
    """One warm `hall` per async mode and test process; it forks the servers."""

    running: dict[str, Zygote] = {}
    lock = threading.Lock()

    def __init__(self, mode: str):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.e2e.zygote", mode], cwd=ROOT,
                                     env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)
        ready = self.proc.stdout.readline()
        if not ready.startswith('{"ready"'):
            raise RuntimeError(f"the {mode} zygote did not start: {ready!r}")

    @classmethod
    def of(cls, mode: str) -> Zygote:
        with cls.lock:
            if mode not in cls.running or cls.running[mode].proc.poll() is not None:
                cls.running[mode] = cls(mode)
            return cls.running[mode]

    def fork(self, argv: list[str], env: dict[str, str], log: Path, cwd: Path = ROOT
             ) -> Forked:
        with self.lock:
            self.proc.stdin.write(json.dumps({"argv": argv, "env": env, "cwd": str(cwd),
                                              "log": str(log)}) + "\n")
            answer = json.loads(self.proc.stdout.readline())
        return Forked(answer["pid"], log)

    @classmethod
    def stop_all(cls) -> None:
        for zygote in cls.running.values():
            zygote.proc.stdin.close()
            zygote.proc.terminate()
            zygote.proc.wait(timeout=10)


atexit.register(Zygote.stop_all)


class Forked:
    """What Server needs of subprocess.Popen, for a process forked by a Zygote (its parent).
    It has ended once it is a zombie or gone; its pid is told apart from a later process's
    by its start time, so a signal never reaches a stranger. Its exit status is the
    zygote's to collect: ``returncode`` is -1 once it has ended."""

    def __init__(self, pid: int, log: Path):
        self.pid, self.log, self.returncode = pid, log, None
        self.started = self._stat()[1]

    def _stat(self) -> tuple[str, str]:
        """(state, start time) from /proc; ("X", "") for a pid that is gone."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return "X", ""
        return fields[0], fields[19]

    def poll(self) -> int | None:
        if self.returncode is None:
            state, started = self._stat()
            if state in ("Z", "X") or started != self.started:
                self.returncode = -1
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"hall (pid {self.pid})", timeout)
            time.sleep(0.01)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, database_url: str, instance: Path, port: int | None = None,
                 async_mode: str = "gevent", extra_env: dict[str, str] | None = None,
                 command: str = "run", fork: bool = FORK, cwd: Path = ROOT):
        self.port = port or free_port()
        self.fork = fork  # from a warm zygote, or a new interpreter (python -m hall.boot)
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "HALL_DATABASE_URL": database_url,
                    "HALL_INSTANCE": str(instance), "HALL_SECRET_KEY": "e2e-secret",
                    "HALL_ASYNC_MODE": async_mode,
                    # tests drive hundreds of tickets a minute from one kiosk; the limits
                    # themselves are tested in test_rate_limits.py
                    "HALL_RATELIMIT_ENABLED": "0", **(extra_env or {})}
        self.proc: subprocess.Popen | Forked | None = None
        self.command = command  # "run", or "demo" (seeds the demo hall and its devices)
        self.cwd = cwd  # the working directory, which a relative HALL_INSTANCE is under
        self.log = instance / f"server-{self.port}.log"

    def start(self, timeout: float = 30) -> Server:
        """Start and wait until the API answers; a server that never answers is stopped,
        so it cannot outlive the test that started it."""
        try:
            return self._start(timeout)
        except Exception:
            self.stop()
            raise

    def _start(self, timeout: float) -> Server:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        argv = [self.command, "--port", str(self.port)]
        if self.fork:
            self.proc = Zygote.of(self.env["HALL_ASYNC_MODE"]).fork(argv, self.env, self.log,
                                                                   self.cwd)
        else:
            with open(self.log, "ab") as out:  # the child keeps its own copy of the descriptor
                self.proc = subprocess.Popen([sys.executable, "-m", "hall.boot", *argv],
                                             cwd=self.cwd, env=self.env, stdout=out,
                                             stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if requests.get(self.url + "/api/v1/openapi.json", timeout=1).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.02)
        raise TimeoutError(f"server did not answer: {self.log.read_text()[-2000:]}")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()  # SIGKILL: no clean-up, no atexit, no flush
        self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@contextmanager
def running_hall(ctx, db_url: str, tmp_path: Path, async_mode: str = "gevent",
                 hall_timezone: str | None = None):
    """The small test hall served by a real process: a kiosk, a screen and keypads at
    counters 1–3 (all three opened). Yields (server, device values by name, post).
    ``hall_timezone`` replaces the hall's zone (Asia/Shanghai) before the server starts."""
    from sqlalchemy import update

    from hall.services.config import accounts
    from hall.services.config.layout.seed import load_layout, seed
    from hall.store.models import Hall
    from tests.conftest import DATA

    seed(ctx, load_layout(DATA / "small_hall.toml"))
    if hall_timezone is not None:
        with ctx.engine.begin() as conn:
            conn.execute(update(Hall).values(timezone=hall_timezone))
    tokens = {kind: accounts.add_device(ctx, kind=kind).value for kind in ("kiosk", "screen")}
    for n in (1, 2, 3):
        tokens[f"keypad{n}"] = accounts.add_device(ctx, kind="keypad", counter_number=n).value
    server = Server(db_url, tmp_path, async_mode=async_mode).start()
    http = requests.Session()

    def post(path: str, who: str, **json):
        r = http.post(server.url + path, json=json or None, timeout=5,
                      headers={"Authorization": f"Bearer {tokens[who]['token']}"})
        assert r.status_code < 300, r.text
        return r.json()

    try:
        for n in (1, 2, 3):
            post(f"/api/v1/counters/{n}/open", f"keypad{n}")
        yield server, tokens, post
    finally:
        http.close()
        server.stop()
