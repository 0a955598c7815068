"""A real python-socketio client as a screen, a phone or a device would use it."""
from __future__ import annotations

import queue
from typing import Any

import socketio


class LiveClient:
    """Connects to /hall, subscribes, and collects events in arrival order."""

    def __init__(self, url: str, token: str | None, transports=("websocket",)):
        self.url, self.token = url, token
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("*", self._on_any, namespace="/hall")
        self.transports = list(transports)

    def _on_any(self, event: str, data: Any) -> None:
        self.events.put(data)

    def connect(self) -> LiveClient:
        self.sio.connect(self.url, namespaces=["/hall"], auth={"token": self.token},
                         transports=self.transports, wait_timeout=10)
        return self

    def subscribe(self, room: str, last_seq: int = 0) -> dict[str, Any]:
        return self.sio.call("subscribe", {"room": room, "last_seq": last_seq},
                             namespace="/hall", timeout=10)

    def next_event(self, type_: str | None = None, timeout: float = 5) -> dict[str, Any]:
        while True:
            e = self.events.get(timeout=timeout)
            if type_ is None or e["type"] == type_:
                return e

    def close(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()
        self.sio.shutdown() if hasattr(self.sio, "shutdown") else None
