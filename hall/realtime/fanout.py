"""Fan-out fast path: one websocket frame per event, written straight to each screen's socket.

python-engineio sends every packet through a per-client queue and a per-client writer
greenlet, which frames it again (wsproto or eventlet) for each recipient. For a call shown
on 1,000 screens that is 1,000 queue puts, 1,000 greenlet wake-ups, 1,000 timeouts armed
and cancelled and 1,000 framings of the same bytes (bench/README.md, screens finding 3). A
server-to-client websocket frame is unmasked, so the same bytes are right for every client:
``FastSend`` frames a packet once and, for each recipient whose writer is idle, hands the
frame to the OS with one ``send``. The rest go the usual way.

Order is kept per client. A frame is written directly only when nothing for that client is
queued or being written (``Tap.pending``, the queue, the lock). Under gevent and eventlet
nothing yields between the writer taking a packet off the queue and ``Tap.send`` counting
it as pending, so "queue empty, nothing pending" means the writer holds nothing older. A
frame the socket cannot take at once (a screen that stopped reading) is finished by a
greenlet of its own holding the lock (``write_direct``): the fan-out never waits for one
screen, and that screen's later packets queue behind it.

Websockets are also set up here (``install``): permessage-deflate is declined (a zlib
context per screen for 300-byte messages on a LAN; frames built once for everyone are
uncompressed anyway), each socket's send buffer is bounded (``WS_SNDBUF``), and under
gevent hall/realtime/websocket.py replaces simple-websocket (no reader greenlet per connection).
``HALL_FANOUT=stock`` in the environment leaves python-engineio exactly as it comes (for
comparison, or should this ever misbehave).

It hooks ``socketio.Server._send_eio_packet``, which both the in-process manager and the
Redis manager (for events published by any process) call for each recipient, and wraps
engineio's websocket class to reach each socket's websocket object. Both are internals:
requirements.txt pins python-socketio, python-engineio, simple-websocket, wsproto and
eventlet, and tests/e2e/test_live.py runs the whole path in both modes, including a client
that stops reading. Only gevent and eventlet get the direct path: with real threads the
"nothing yields" argument does not hold.
"""
from __future__ import annotations

import logging
import threading
from typing import Any

from hall.realtime.frames import frame, limit_send_buffer, nonblocking, write_direct

log = logging.getLogger(__name__)
FAST_MODES = ("gevent", "eventlet")
class Tap:
    """Stands between engineio's websocket handler and the websocket: counts the packets the
    writer is sending (``pending``) and keeps them apart from direct writes (``lock``).
    ``write(frame, spawn)`` is the direct write, called with ``lock`` seen free.
    """

    __slots__ = ("ws", "lock", "pending", "write")

    def __init__(self, ws: Any):
        self.ws = ws
        # A green lock (the process is monkey-patched). Like threading.Lock it has no owner:
        # a direct write that could not finish takes it and its finisher releases it.
        self.lock = threading.Lock()
        self.pending = 0
        self.write = _direct_writer(ws, self)

    def send(self, message):
        self.pending += 1
        try:
            with self.lock:
                return self.ws.send(message)
        finally:
            self.pending -= 1

    def wait(self):
        return self.ws.wait()

    def close(self):
        return self.ws.close()

    def __getattr__(self, name: str):  # engineio looks for _sock / socket to set a timeout
        return getattr(self.ws, name)


def _direct_writer(ws: Any, tap: Tap):
    """The direct write for ``ws``'s kind of websocket, or None if the kind is unknown."""
    inner = getattr(ws, "ws", None)  # engineio's simple-websocket wrapper (gevent)
    if inner is not None and hasattr(inner, "sock") and hasattr(inner, "connected"):
        sock = inner.sock
        raw = nonblocking(getattr(sock, "_sock", None))
        locks = (tap.lock,)

        def write_simple(data: bytes, spawn) -> None:
            if not inner.connected:
                raise OSError("websocket closed")
            write_direct(tap, locks, sock, raw, data, spawn)
        return write_simple
    own = getattr(ws, "_sendlock", None)  # eventlet.websocket.RFC6455WebSocket
    sock = getattr(ws, "socket", None)
    if own is not None and sock is not None and hasattr(ws, "websocket_closed"):
        raw = nonblocking(getattr(sock, "fd", None))
        locks = (tap.lock, own)  # eventlet's own control frames (pong, close) take ``own``

        def write_eventlet(data: bytes, spawn) -> None:
            if ws.websocket_closed:
                raise OSError("websocket closed")
            write_direct(tap, locks, sock, raw, data, spawn)
        return write_eventlet
    return None


def _tapping(base: type) -> type:
    """engineio's websocket class for this mode, declining permessage-deflate, handing its
    handler a Tap and leaving the Tap on the engineio socket for the publisher to find."""

    class Tapped(base):
        def __init__(self, handler, server):
            eio_socket = getattr(handler, "__self__", None)

            def handle(ws):
                tap = Tap(ws)
                inner = getattr(ws, "ws", None)  # simple-websocket's, or eventlet's own
                limit_send_buffer(getattr(inner, "sock", None) or getattr(ws, "socket", None))
                if eio_socket is not None and tap.write is not None:
                    eio_socket.hall_tap = tap
                try:
                    return handler(tap)
                finally:
                    if eio_socket is not None:
                        eio_socket.hall_tap = None

            super().__init__(handle, server)

        def __call__(self, environ, start_response):
            # Browsers offer permessage-deflate and both servers accept it: a zlib context
            # per screen, 153 KB against 62 KB per connection in all (measured, gevent,
            # 1,000 screens), to compress 300-byte messages on a LAN. Frames written once
            # for every screen are sent uncompressed anyway. Not offering it is allowed.
            environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
            return super().__call__(environ, start_response)

    Tapped.__name__ = Tapped.__qualname__ = f"Tapped{base.__name__}"
    return Tapped


class FastSend:
    """Replaces ``socketio.Server._send_eio_packet`` (one call per recipient)."""

    YIELD_EVERY = 250  # recipients between two chances for other greenlets to run

    def __init__(self, sio_server):
        self.eio = sio_server.eio
        self.spawn = sio_server.eio.start_background_task
        self.slow = sio_server._send_eio_packet
        self.direct = 0  # counters, for the bench and the tests
        self.queued = 0
        self.since_yield = 0

    def __call__(self, eio_sid: str, pkt) -> None:
        # Direct writes never wait, so a fan-out to thousands would hold the process for
        # its whole length (100-200 ms at 5,000): let requests and writers in now and then.
        self.since_yield += 1
        if self.since_yield >= self.YIELD_EVERY:
            self.since_yield = 0
            self.eio.sleep(0)
        s = self.eio.sockets.get(eio_sid)
        tap = getattr(s, "hall_tap", None)
        if (tap is None or tap.pending or tap.lock.locked() or s.queue.qsize()
                or s.upgrading or s.closing or s.closed):
            self.queued += 1
            return self.slow(eio_sid, pkt)
        if not s.check_ping_timeout():  # as engineio's send: a silent client is closed
            return None
        data = pkt.__dict__.get("hall_frame")
        if data is None:
            data = pkt.hall_frame = frame(pkt.encode())
        try:
            tap.write(data, self.spawn)
        except OSError:  # the reader sees the close and tears the socket down
            s.hall_tap = None
        self.direct += 1


def install(socketio_ext, mode: str) -> FastSend | None:
    """Set up a Flask-SocketIO instance's websockets (after ``init_app``): under gevent,
    hall.realtime.websocket's reader-less websocket; in every mode, permessage-deflate declined;
    under gevent and eventlet, the direct fan-out. Returns the fan-out, or None."""
    server = socketio_ext.server
    eio = server.eio
    base = eio._async.get("websocket")
    if base is None:  # an async mode without websockets: nothing to do
        return None
    if not getattr(base, "hall_wrapped", False):
        wrapped = _tapping(base)
        if mode == "gevent":
            from hall.realtime.websocket import websocket_class

            wrapped = websocket_class(fallback=wrapped)
        wrapped.hall_wrapped = True
        eio._async = {**eio._async, "websocket": wrapped}
    if mode not in FAST_MODES:
        return None
    fast = getattr(server, "hall_fast_send", None)
    if fast is None:
        fast = server.hall_fast_send = FastSend(server)
        server._send_eio_packet = fast
    return fast
