"""Start the real server (`hall run`) as a separate OS process for end-to-end tests."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, database_url: str, instance: Path, port: int | None = None,
                 async_mode: str = "gevent", extra_env: dict[str, str] | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "HALL_DATABASE_URL": database_url,
                    "HALL_INSTANCE": str(instance), "HALL_SECRET_KEY": "e2e-secret",
                    "HALL_ASYNC_MODE": async_mode, **(extra_env or {})}
        self.proc: subprocess.Popen | None = None
        self.log = instance / f"server-{self.port}.log"

    def start(self, timeout: float = 30) -> Server:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "hall.boot", "run", "--port", str(self.port)],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if requests.get(self.url + "/api/v1/openapi.json", timeout=1).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
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
