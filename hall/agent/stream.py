"""A bridge's live events: one Socket.IO connection to /hall, resync, reconnect.

python-socketio has no connection-state recovery: a reconnect is a new session with no rooms.
So on every (re)connection the stream subscribes to each of the bridge's rooms with the last
seq it delivered, and the acknowledgement carries what was missed (the backlog, or a
snapshot when too far behind). Live events that overtake an acknowledgement are held until
it has been applied, and a seq already delivered is dropped (as display/static/hall-live.js
does for the pages).

A bridge that draws state rather than acting on each event (the LED bridge) sets
``snapshot_on_start = True``: its first subscription asks for a snapshot instead of a replay of
the hall's log from seq 0. It does so the way the server documents for a client it cannot
place (``last_seq`` beyond the hall's last seq is answered with a snapshot, see
hall/services/queue/queries.py ``backlog``).

python-engineio runs each incoming message's handler in its own thread (or greenlet), so
arrival order is not guaranteed under real threads: the dispatcher takes events in small
batches (``REORDER_S``) and delivers each batch sorted by seq, from one thread, so a bridge's
``on_event`` is never called concurrently and always sees seqs in increasing order.
"""
from __future__ import annotations

import logging
import queue
import threading
from typing import Any

import socketio

from hall.agent.backoff import Backoff

log = logging.getLogger(__name__)
NAMESPACE = "/hall"
REORDER_S = 0.02
ACK_TIMEOUT_S = 10.0
PLEASE_SNAPSHOT = 2**53 - 1  # a last_seq no hall reaches: the server answers with a snapshot


class SubscribeRefused(Exception):
    pass


def _transports() -> list[str]:
    try:
        import websocket  # noqa: F401 - websocket-client: python-socketio's WebSocket transport
    except ImportError:
        return ["polling"]
    return ["websocket"]


class EventStream:
    def __init__(self, server: str, token: str, bridge: Any, *, backoff: Backoff,
                 on_connect: Any = None, name: str = "") -> None:
        self.server, self.bridge, self.name = server, bridge, name or server
        self._token = token
        self._backoff = backoff
        self._on_connect = on_connect
        self._inbox: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self._stop = threading.Event()
        self._client: socketio.Client | None = None
        self._threads: list[threading.Thread] = []
        self.connected = threading.Event()
        self.last_seq = 0  # the highest seq delivered to the bridge
        self._synced = False  # a subscription has been acknowledged at least once
        self.connects = self.failures = 0  # connections made, connection attempts failed
        self.errors = 0  # bridge handlers that raised (reported in the device's health)
        self.error: str | None = None  # why the last connection attempt failed

    def start(self) -> None:
        for target, role in ((self._supervise, "connection"), (self._dispatch, "events")):
            t = threading.Thread(target=target, name=f"{self.name} {role}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._inbox.put(("stop",))
        client = self._client
        if client is not None:
            _drop(client)
        for t in self._threads:
            t.join(timeout)

    # -- the connection ------------------------------------------------------------------

    def _supervise(self) -> None:
        while not self._stop.is_set():
            self._inbox.put(("reset",))
            lost = threading.Event()
            client = socketio.Client(reconnection=False)
            client.on("disconnect", lambda *_, lost=lost: lost.set(), namespace=NAMESPACE)
            client.on("*", lambda _name, data: self._inbox.put(("event", data)),
                      namespace=NAMESPACE)
            self._client = client
            try:
                client.connect(self.server, namespaces=[NAMESPACE], auth={"token": self._token},
                               transports=_transports(), wait_timeout=10)
                acks = [(room, self._subscribe(client, room)) for room in self.bridge.rooms()]
            except (socketio.exceptions.SocketIOError, SubscribeRefused, OSError) as exc:
                self._failed(client, exc)
                continue
            self._inbox.put(("synced", acks))
            self.connects += 1
            self._backoff.reset()
            self.error = None
            self.connected.set()
            log.info("%s: connected to %s (%d room(s), from seq %d)", self.name, self.server,
                     len(acks), self.last_seq)
            if self._on_connect is not None:
                self._safely(self._on_connect)
            while not self._stop.is_set() and not lost.wait(1.0):
                if not client.connected:
                    break
            self.connected.clear()
            _drop(client)
            if not self._stop.is_set():
                log.warning("%s: lost the server; reconnecting", self.name)
                self._backoff.wait(self._stop)

    def _subscribe(self, client: socketio.Client, room: str) -> dict[str, Any]:
        start = self.last_seq
        if not self._synced and getattr(self.bridge, "snapshot_on_start", False):
            start = PLEASE_SNAPSHOT
        ack = client.call("subscribe", {"room": room, "last_seq": start},
                          namespace=NAMESPACE, timeout=ACK_TIMEOUT_S)
        if not isinstance(ack, dict) or not ack.get("ok"):
            raise SubscribeRefused(f"subscribe {room} refused: {ack}")
        return ack

    def _failed(self, client: socketio.Client, exc: BaseException) -> None:
        self.failures += 1
        message = f"{type(exc).__name__}: {exc}"
        if message != self.error:
            log.warning("%s: cannot connect to %s: %s", self.name, self.server, message)
        self.error = message
        _drop(client)
        self._backoff.wait(self._stop)

    # -- delivery, in seq order, from one thread ----------------------------------------------

    def _dispatch(self) -> None:
        holding, held = True, []
        while True:
            batch = [self._inbox.get()]
            while len(batch) < 1000:
                try:
                    batch.append(self._inbox.get(timeout=REORDER_S))
                except queue.Empty:
                    break
            ready: list[dict[str, Any]] = []
            for item in batch:
                if item[0] == "stop":
                    return
                if item[0] == "reset":
                    holding, held = True, []
                elif item[0] == "event" and isinstance(item[1], dict):
                    (held if holding else ready).append(item[1])
                elif item[0] == "synced":
                    self._resync(item[1], held)
                    holding, held = False, []
            for event in sorted(ready, key=_seq):
                self._deliver(event)

    def _resync(self, acks: list[tuple[str, dict[str, Any]]], held: list[dict[str, Any]]
                ) -> None:
        """Apply the acknowledgements: snapshots first, then backlog and held events in seq
        order; held events a snapshot already covers are dropped."""
        before, floor, complete = self.last_seq, self.last_seq, self.last_seq
        events: dict[int, dict[str, Any]] = {}
        unnumbered = []
        for room, ack in acks:
            if ack.get("snapshot"):
                self._safely(self.bridge.on_snapshot, room, ack["snapshot"])
                floor = max(floor, ack.get("last_seq") or 0)
            else:
                for e in ack.get("events") or []:
                    events[e["seq"]] = e
            complete = max(complete, ack.get("last_seq") or 0)
        for e in held:
            seq = e.get("seq")
            if not isinstance(seq, int):
                unnumbered.append(e)
            elif seq > floor:
                events.setdefault(seq, e)
        for seq in sorted(events):
            if seq > before:
                self._deliver(events[seq], check=False)
        self.last_seq = max(self.last_seq, floor, complete)
        self._synced = True
        for e in unnumbered:
            self._deliver(e)

    def _deliver(self, event: dict[str, Any], check: bool = True) -> None:
        seq = event.get("seq")
        if isinstance(seq, int):
            if check and seq <= self.last_seq:
                return
            self.last_seq = max(self.last_seq, seq)
        self._safely(self.bridge.on_event, event)

    def _safely(self, fn: Any, *args: Any) -> None:
        try:
            fn(*args)
        except Exception:  # noqa: BLE001 - one bad event never stops the others
            self.errors += 1
            log.exception("%s: %s failed", self.name, getattr(fn, "__name__", fn))


def _seq(event: dict[str, Any]) -> int:
    seq = event.get("seq")
    return seq if isinstance(seq, int) else 0


def _drop(client: socketio.Client) -> None:
    try:
        client.disconnect()
    except Exception:  # noqa: BLE001 - a half-open client may fail to say goodbye
        pass
    try:
        client.shutdown()
    except Exception:  # noqa: BLE001
        pass
