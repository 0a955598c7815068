"""The contract between the agent runtime and a device bridge (printer, LED, keypad, pad).

A bridge drives one device (or one bus of devices) and is a client of the server like any
other: it acts through the HTTP API with its device's token and hears the hall through the
/hall Socket.IO namespace. The runtime (``hall.agent.runtime``) owns the connection: it
connects with the bridge's token, subscribes to ``rooms()`` with the last seq it saw (resync:
backlog events or a snapshot), reconnects with backoff, buffers API calls it could not
deliver, and reports ``health()`` every few seconds. The bridge owns only its device.

In the one-box default the same bridges run inside the server process, against the server's
own URL, so there is one code path for both layouts.
"""
from __future__ import annotations

from typing import Any, Protocol


class Link(Protocol):
    """What the runtime gives a bridge to act with (HTTP API, authenticated as the bridge)."""

    def call(self, method: str, path: str, json: dict[str, Any] | None = None, *,
             buffer: bool = False) -> dict[str, Any] | None:
        """Call ``/api/v1`` + path with the bridge's token; returns the JSON body, or raises
        ``LinkError`` (with ``.status`` and ``.body``) on a 4xx/5xx answer. With
        ``buffer=True`` a call that cannot reach the server is queued and retried in order
        after reconnecting (returns None then) — for reports that must not be lost."""
        ...


class LinkError(Exception):
    def __init__(self, status: int, body: dict[str, Any] | None):
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body or {}


class LinkDown(LinkError):
    """The server could not be reached (refused, timed out, or a proxy's 502/503/504);
    ``status`` is 0 unless a proxy answered. A call with ``buffer=True`` never raises it."""

    def __init__(self, reason: str, status: int = 0):
        super().__init__(status, {"error": {"code": "unreachable", "message": reason,
                                            "field": None}})
        self.args = (f"server unreachable: {reason}",)
        self.reason = reason


class Bridge(Protocol):
    """Constructed from its table in the agent's devices.toml: ``Bridge(**table)`` (token,
    url and the bridge's own options)."""

    name: str  # for logs: "printer 1号取号机", "led bus /dev/ttyUSB1" …
    token: str  # the device token it acts with (kiosk, sign, keypad, pad)
    # Optional: True when the bridge draws the hall's state (LED signs) and wants a snapshot,
    # not a replay of the event log, on its first subscription (see hall/agent/stream.py).
    # snapshot_on_start: bool = False

    def start(self, link: Link, me: dict[str, Any]) -> None:
        """Open the device (non-blocking); keep ``link`` to act with. ``me`` is the answer of
        ``GET /api/v1/devices/me`` for the bridge's token: id, kind, hall_id, counter_id,
        name. Called once; the device stays open across reconnects to the server."""
        ...

    def rooms(self) -> list[str]:
        """Rooms to subscribe to (asked after ``start``), e.g. ["device:7"], ["hall:1"],
        ["counter:3"]."""
        ...

    def on_event(self, event: dict[str, Any]) -> None:
        """A live or backlog event (``type``, ``seq``, payload keys), in seq order."""
        ...

    def on_snapshot(self, room: str, snapshot: dict[str, Any]) -> None:
        """The room's current state after a resync that was too far behind."""
        ...

    def poll(self) -> None:
        """Called about every 0.2 s from the bridge's own green thread: read the port, query
        status. Must not block for long (use timeouts); exceptions are logged and counted."""
        ...

    def health(self) -> dict[str, Any]:
        """The device's state for ``POST /api/v1/devices/me/health`` (online, paper,
        errors, error, …)."""
        ...

    def close(self) -> None:
        ...
