"""The websocket under Engine.IO on gevent: read in the request's own greenlet.

python-engineio serves gevent's websockets through simple-websocket, which duplicates the
socket and starts a reader greenlet per connection that hands each message over to the
request greenlet, and keeps an h11 handshake object and a wsproto connection for the
connection's life. A hall screen sends almost nothing (a subscribe, then a pong every 25 s),
so this class reads in the request greenlet itself, as eventlet's websocket does, and keeps
only wsproto's frame parser (masking, fragments, control frames, UTF-8 checks). Measured
with bench/screens.py: about 9 KB less per connection (a greenlet and its saved stack, the
duplicated socket, the handshake objects) out of ~62 KB.

It is also a ``hall.realtime.fanout.Tap``: ``pending``, ``lock`` and ``write`` let the publisher
write a frame built once straight to the socket when the writer greenlet is idle. It does
not offer permessage-deflate (see hall/realtime/fanout.py). Engine.IO's own interface is ``send``,
``wait`` and ``close``; ``_sock`` lets Engine.IO set a read timeout (ping interval + ping
timeout), so a client that vanished without a FIN is noticed.
"""
from __future__ import annotations

import base64
import hashlib
import logging
import socket
import threading
from collections import deque
from typing import Any

from wsproto.connection import Connection, ConnectionState, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Ping, TextMessage
from wsproto.frame_protocol import CloseReason
from wsproto.utilities import LocalProtocolError

from hall.realtime.frames import frame, limit_send_buffer, nonblocking, sendall, write_direct

log = logging.getLogger(__name__)
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 §1.3
RECV = 4096


def accept_key(key: str) -> str:
    return base64.b64encode(hashlib.sha1(key.encode("ascii") + GUID).digest()).decode()


def _gevent_socket(environ: dict[str, Any]):
    """The client's socket under gevent's pywsgi (as simple-websocket finds it)."""
    if not environ.get("SERVER_SOFTWARE", "").startswith("gevent"):
        return None
    wsgi_input = environ.get("wsgi.input")
    if not hasattr(wsgi_input, "raw") and hasattr(wsgi_input, "rfile"):
        wsgi_input = wsgi_input.rfile
    raw = getattr(wsgi_input, "raw", None)
    return getattr(raw, "_sock", None)


def websocket_class(fallback: type) -> type:
    """Engine.IO's ``websocket`` entry for gevent; ``fallback`` (engineio's own) serves any
    server other than gevent's pywsgi."""

    class GreenWebSocket:
        def __init__(self, handler, server):
            self.handler = handler
            self.server = server
            self.eio_socket = getattr(handler, "__self__", None)
            self.max_message = int(getattr(server, "max_http_buffer_size", 0) or 0)
            self._sock = None
            self.raw = None
            self.conn: Connection | None = None
            self.messages: deque = deque()
            self.parts: list = []
            self.size = 0
            self.closed = False
            self.open = False  # True from the handshake until a close frame goes either way
            self.lock = threading.Lock()  # green, ownerless: see hall.realtime.fanout.Tap
            self.pending = 0

        # --- the WSGI side
        def __call__(self, environ, start_response):
            sock = _gevent_socket(environ)
            if sock is None:
                return fallback(self.handler, self.server)(environ, start_response)
            key = environ.get("HTTP_SEC_WEBSOCKET_KEY", "")
            if (environ.get("HTTP_UPGRADE", "").lower() != "websocket" or not key
                    or environ.get("HTTP_SEC_WEBSOCKET_VERSION") != "13"):
                start_response("400 Bad Request", [("Content-Type", "text/plain")])
                return [b"websocket handshake expected"]
            self._sock = sock
            limit_send_buffer(sock)
            self.raw = nonblocking(getattr(sock, "_sock", None))
            self.conn = Connection(ConnectionType.SERVER)
            self.open = True
            sock.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Accept: "
                          f"{accept_key(key)}\r\n\r\n").encode("ascii"))
            if self.eio_socket is not None:
                self.eio_socket.hall_tap = self
            try:
                return self.handler(self)
            finally:
                if self.eio_socket is not None:
                    self.eio_socket.hall_tap = None
                self.closed, self.open = True, False
                try:  # pywsgi then reads EOF and closes the connection
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        # --- what Engine.IO calls
        def send(self, message) -> None:
            self.pending += 1
            try:
                with self.lock:
                    if not self.open:
                        raise OSError("websocket closed")
                    sendall(self._sock, self.raw, frame(message))
            finally:
                self.pending -= 1

        def write(self, data: bytes, spawn) -> None:
            """The publisher's direct write of a finished frame (``lock`` seen free)."""
            if not self.open:
                raise OSError("websocket closed")
            write_direct(self, (self.lock,), self._sock, self.raw, data, spawn)

        def wait(self):
            """The next message (str or bytes), or None once the connection is over."""
            while not self.messages:
                if self.closed:
                    return None
                try:
                    data = self._sock.recv(RECV)
                except OSError:  # includes the Engine.IO read timeout
                    data = b""
                if not data:
                    self.closed, self.open = True, False
                    return None
                try:
                    self.conn.receive_data(data)
                    self._handle_events()
                except LocalProtocolError:
                    self.closed, self.open = True, False
            return self.messages.popleft()

        def close(self) -> None:
            with self.lock:
                if self.conn is None or self.conn.state is not ConnectionState.OPEN:
                    return
                self.open = False
                try:
                    sendall(self._sock, self.raw,
                            self.conn.send(CloseConnection(CloseReason.NORMAL_CLOSURE)))
                except OSError:
                    self.closed = True

        def _handle_events(self) -> None:
            reply = b""
            for event in self.conn.events():
                if isinstance(event, (TextMessage, BytesMessage)):
                    self.parts.append(event.data)
                    self.size += len(event.data)
                    if self.max_message and self.size > self.max_message:
                        reply += self.conn.send(CloseConnection(
                            CloseReason.MESSAGE_TOO_BIG, "message too big"))
                        self.closed, self.open = True, False
                        break
                    if event.message_finished:
                        parts, self.parts, self.size = self.parts, [], 0
                        self.messages.append(parts[0] if len(parts) == 1 else
                                             ("" if isinstance(event, TextMessage) else b"")
                                             .join(parts))
                elif isinstance(event, Ping):
                    reply += self.conn.send(event.response())
                elif isinstance(event, CloseConnection):
                    if self.conn.state is ConnectionState.REMOTE_CLOSING:
                        reply += self.conn.send(event.response())
                    self.closed, self.open = True, False
                    break
            if reply:
                with self.lock:
                    try:
                        sendall(self._sock, self.raw, reply)
                    except OSError:
                        self.closed = True

    return GreenWebSocket
