"""The bridge's HTTP link to the server: ``/api/v1`` with its device token, timeouts, and a
buffer for calls that must not be lost.

A call with ``buffer=True`` (a print-job result, a rating pressed on a pad) that cannot reach
the server is queued and replayed in order once the server answers again; while anything is
queued, later buffered calls queue behind it, so the server sees them in the order they
happened. A replayed call the server refuses (4xx) is dropped and logged: retrying it can
never succeed. With a spool file the queue also survives a restart of the agent.
"""
from __future__ import annotations

import json
import logging
import threading
from collections import deque
from pathlib import Path
from typing import Any

import requests

from hall.agent.bridge import LinkDown, LinkError

log = logging.getLogger(__name__)
TIMEOUT = (3.05, 10.0)  # connect, read (seconds)
GATEWAY_DOWN = (502, 503, 504)  # a proxy in front of a server that is restarting
Call = tuple[str, str, dict[str, Any] | None]


class HttpLink:
    def __init__(self, server: str, token: str, *, spool: Path | None = None,
                 timeout: tuple[float, float] = TIMEOUT, name: str = "") -> None:
        self.base = server.rstrip("/") + "/api/v1"
        self.name = name or server
        self._timeout = timeout
        self._http = requests.Session()
        self._http.headers.update({"Authorization": f"Bearer {token}",
                                   "Accept": "application/json"})
        self._lock = threading.RLock()
        self._spool = spool
        self._pending: deque[Call] = deque(self._load_spool())
        self.online: bool | None = None  # None until the first call
        self.replayed = self.dropped = 0

    @property
    def pending(self) -> int:
        return len(self._pending)

    def call(self, method: str, path: str, json: dict[str, Any] | None = None, *,
             buffer: bool = False) -> dict[str, Any] | None:
        if buffer:
            with self._lock:
                if self._pending:  # keep the order: behind what is already waiting
                    self._enqueue((method, path, json))
                    self.replay()
                    return None
                try:
                    return self._request(method, path, json)
                except LinkDown as exc:
                    log.info("%s: %s %s buffered (%s)", self.name, method, path, exc.reason)
                    self._enqueue((method, path, json))
                    return None
        return self._request(method, path, json)

    def replay(self) -> int:
        """Send what was buffered, oldest first, until the server stops answering; returns
        how many calls are still waiting."""
        with self._lock:
            while self._pending:
                method, path, body = self._pending[0]
                try:
                    self._request(method, path, body)
                    self.replayed += 1
                except LinkDown:
                    break
                except LinkError as exc:
                    self.dropped += 1
                    log.warning("%s: buffered %s %s refused, dropped: %s", self.name, method,
                                path, exc)
                self._pending.popleft()
                self._save_spool()
            return len(self._pending)

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, body: dict[str, Any] | None
                 ) -> dict[str, Any] | None:
        try:
            r = self._http.request(method, self.base + path, json=body, timeout=self._timeout)
        except requests.RequestException as exc:
            self.online = False
            raise LinkDown(f"{type(exc).__name__}: {exc}") from None
        if r.status_code in GATEWAY_DOWN:
            self.online = False
            raise LinkDown(f"HTTP {r.status_code} from a gateway", r.status_code)
        self.online = True
        try:
            data = r.json() if r.content else None
        except ValueError:
            data = None
        if r.status_code >= 400:
            raise LinkError(r.status_code, data if isinstance(data, dict) else None)
        return data

    # -- the queue's copy on disk (JSON lines) -----------------------------------------------

    def _enqueue(self, item: Call) -> None:
        self._pending.append(item)
        if self._spool is not None:
            with open(self._spool, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(item, ensure_ascii=False) + "\n")

    def _save_spool(self) -> None:
        if self._spool is None:
            return
        tmp = self._spool.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n"
                               for i in self._pending), encoding="utf-8")
        tmp.replace(self._spool)

    def _load_spool(self) -> list[Call]:
        if self._spool is None or not self._spool.exists():
            return []
        items = []
        for n, line in enumerate(self._spool.read_text(encoding="utf-8").splitlines(), 1):
            try:
                method, path, body = json.loads(line)
                items.append((str(method), str(path), body))
            except (ValueError, TypeError):
                log.warning("%s: line %d of %s is not a buffered call; skipped", self.name, n,
                            self._spool)
        return items
