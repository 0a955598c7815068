"""A real python-socketio client as a screen, a phone or a device would use it."""
from __future__ import annotations

import queue
from typing import Any

import engineio
import socketio


class InOrderEngineIO(engineio.Client):
    """python-engineio's client runs each incoming message's handler in a thread of its own
    (``_trigger_event(..., run_async=True)``): under load the thread of message 151 can put
    its event before the thread of message 150 does, and a test that reads the order of
    what arrived sees the server reorder events it did not. Here the read loop runs the
    handler itself, so the events are collected in the order the frames arrived. (A handler
    must then not wait for an acknowledgement; collecting events does not.)"""

    def _trigger_event(self, event, *args, **kwargs):
        if event == "message":
            kwargs["run_async"] = False
        return super()._trigger_event(event, *args, **kwargs)


class InOrderClient(socketio.Client):
    def _engineio_client_class(self):
        return InOrderEngineIO


class LiveClient:
    """Connects to /hall, subscribes, and collects events in arrival order."""

    def __init__(self, url: str, token: str | None, transports=("websocket",)):
        self.url, self.token = url, token
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.sio = InOrderClient(reconnection=False)
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


class RawWebSocket:
    """Engine.IO's websocket spoken byte by byte over a TCP socket, to check the framing
    itself (fragments, pings, close, extensions) that a library client would hide."""

    def __init__(self, url: str, extensions: str | None = None, timeout: float = 5,
                 rcvbuf: int | None = None):
        import base64
        import os
        import socket
        from urllib.parse import urlsplit

        where = urlsplit(url)
        self.sock = socket.socket()
        if rcvbuf:  # a small window: a client that stops reading fills the server's buffer
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect((where.hostname, where.port))
        key = base64.b64encode(os.urandom(16)).decode()
        lines = ["GET /socket.io/?EIO=4&transport=websocket HTTP/1.1",
                 f"Host: {where.netloc}", "Upgrade: websocket", "Connection: Upgrade",
                 f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        if extensions:
            lines.append(f"Sec-WebSocket-Extensions: {extensions}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.status, *header_lines = head.decode("latin-1").split("\r\n")
        self.headers = {k.strip().lower(): v.strip() for k, _, v in
                        (h.partition(":") for h in header_lines)}

    def send_frame(self, opcode: int, payload: bytes, fin: bool = True) -> None:
        import os

        n = len(payload)
        head = bytes([(0x80 if fin else 0) | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
        else:
            head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
        mask = os.urandom(4)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def send_text(self, text: str, pieces: int = 1) -> None:
        """A text message, split over ``pieces`` frames (a first frame and continuations)."""
        data = text.encode()
        step = max(1, -(-len(data) // pieces))
        chunks = [data[i:i + step] for i in range(0, len(data), step)] or [b""]
        for i, chunk in enumerate(chunks):
            self.send_frame(0x1 if i == 0 else 0x0, chunk, fin=i == len(chunks) - 1)

    def _read(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv_frame(self) -> tuple[int, bool, bytes]:
        """(opcode, rsv1, payload) of the next frame from the server (never masked)."""
        b0, b1 = self._read(2)
        assert not b1 & 0x80, "a server must not mask its frames"
        n = b1 & 0x7F
        if n == 126:
            n = int.from_bytes(self._read(2), "big")
        elif n == 127:
            n = int.from_bytes(self._read(8), "big")
        return b0 & 0x0F, bool(b0 & 0x40), self._read(n)

    def recv_text(self) -> str:
        """The next text message, answering Engine.IO pings on the way."""
        while True:
            opcode, rsv1, payload = self.recv_frame()
            assert not rsv1, "no compression was agreed"
            if opcode == 0x1:
                text = payload.decode()
                if text == "2":
                    self.send_text("3")
                    continue
                return text

    def close(self) -> None:
        self.sock.close()

    def join(self, token: str, room: str) -> str:
        """Open the Engine.IO session, join /hall with ``token`` and subscribe to ``room``
        (from seq 0); returns the subscribe ack."""
        import json

        assert self.recv_text().startswith("0{")
        self.send_text("40/hall," + json.dumps({"token": token}))
        assert self.recv_text().startswith('40/hall,{"sid"')
        self.send_text("42/hall,1" + json.dumps(["subscribe", {"room": room}]))
        return self.recv_text()

