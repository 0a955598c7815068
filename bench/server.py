"""What the benches that run a real server share: the `hall` command, a free port, a
server process (``hall run`` on a temp instance, its CPU time, its log) and a PostgreSQL
database of the bench's own, created and dropped. Used by bench/issue.py, bench/kiosk.py
(its server a subclass) and bench/simulate.py."""
from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "hall_bench"


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def hall_bin() -> str:
    beside = Path(sys.executable).parent / "hall"
    found = str(beside) if beside.exists() else shutil.which("hall")
    if not found:
        sys.exit("`hall` is not installed: .venv/bin/pip install --no-deps -e .")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- PostgreSQL database


def pg_urls(admin_url: str, name: str = BENCH_DB):
    from sqlalchemy.engine import make_url

    admin = make_url(admin_url)
    if admin.drivername == "postgresql":
        admin = admin.set(drivername="postgresql+psycopg")
    return admin, admin.set(database=name)


def pg_create(admin_url, name: str = BENCH_DB) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def pg_drop(admin_url, name: str = BENCH_DB) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


# ---------------------------------------------------------------- server

# --tcp-nodelay (an experiment, not how Hall runs): ``hall run`` with TCP_NODELAY set on
# every accepted connection. gevent's pywsgi sends a response's headers and body in two
# send() calls; with Nagle on, the body waits for the client's delayed ACK (40 ms on Linux)
# on every keep-alive request after the first. This measures what setting it would gain.
NODELAY_LAUNCHER = """
import socket, sys
from hall.boot import patch
patch("gevent")
from gevent import pywsgi
_handle = pywsgi.WSGIHandler.handle
def handle(self):
    self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return _handle(self)
pywsgi.WSGIHandler.handle = handle
from hall.cli import cli
cli(["run", "--host", sys.argv[1], "--port", sys.argv[2]], prog_name="hall")
"""


class Server:
    def __init__(self, env: dict[str, str], workdir: Path, nodelay: bool = False):
        # The checkout first on the path: the server runs in a temp dir, and an editable
        # install made before a new top-level package (kiosk/, counter/, admin/) was added
        # would not find it.
        self.env = {**env, "PYTHONPATH": os.pathsep.join(
            p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)}
        self.nodelay = nodelay
        self.workdir = workdir
        self.port = free_port()
        self.log_path = workdir / "server.log"
        self.proc: subprocess.Popen | None = None

    def cli(self, *args: str) -> str:
        out = subprocess.run([hall_bin(), *args], env=self.env, cwd=self.workdir,
                             capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            sys.exit(f"hall {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
        return out.stdout

    def start(self) -> None:
        self.log_file = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        cmd = [hall_bin(), "run", "--host", "127.0.0.1", "--port", str(self.port)]
        if self.nodelay:
            cmd = [sys.executable, "-c", NODELAY_LAUNCHER, "127.0.0.1", str(self.port)]
        self.proc = subprocess.Popen(cmd, env=self.env, cwd=self.workdir, stdout=self.log_file,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"server exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/api/v1/queues")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
                conn.close()
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        sys.exit(f"server did not answer GET /api/v1/queues within 60 s:\n{self.tail()}")

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far."""
        return sum(self.cpu_split())

    def cpu_split(self) -> tuple[float, float]:
        """(user, system) CPU time the server process has used so far: on loopback the
        kernel's TCP work for both ends is charged to the sender, so system time is real."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        return int(fields[11]) / tick, int(fields[12]) / tick

    def tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if getattr(self, "log_file", None):
            self.log_file.close()
