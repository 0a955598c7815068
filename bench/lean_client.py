"""A lean Socket.IO client for bench/screens.py: the protocol, without the per-message tasks.

python-socketio's AsyncClient spends ~75 µs of CPU per message received (a task per
message, ``wait_for`` in engineio's read loop, aiohttp's websocket reader): on a 2-core box
that shares its cores with the server, 1,000 of them measure mostly themselves
(bench/README.md, screens finding 1). This client speaks the same wire protocol —
Engine.IO 4 over a websocket, Socket.IO 5 packets in namespace ``/hall`` with the auth
token in the CONNECT packet, ``subscribe`` with an ack, answering the server's pings —
from an ``asyncio.Protocol``, and stamps each message when its bytes arrive, before
parsing it. It offers no permessage-deflate, as a screen's browser might; the server then
frames uncompressed, as it does for python-socketio's client when it declines compression.
"""
from __future__ import annotations

import asyncio
import base64
import json
import os
import time
import zlib
from collections.abc import Callable

NS = "/hall"


def client_frame(text: str) -> bytes:
    """A masked text frame (RFC 6455 §5.3: every client-to-server frame is masked)."""
    payload = text.encode("utf-8")
    n = len(payload)
    if n < 126:
        head = bytes((0x81, 0x80 | n))
    elif n < 65536:
        head = bytes((0x81, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x81, 0x80 | 127)) + n.to_bytes(8, "big")
    mask = os.urandom(4)
    key = (mask * (n // 4 + 1))[:n]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")
    return head + mask + masked


class LeanClient(asyncio.Protocol):
    """One screen: connect, authenticate, subscribe, then record every ``ticket.called``."""

    def __init__(self, host: str, port: int, token: str, room: str,
                 on_called: Callable[[object, float], None], last_seq: int = 0):
        self.host, self.port, self.token, self.room = host, port, token, room
        self.last_seq = last_seq
        self.on_called = on_called
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.upgraded = False
        self.fragments: list[bytes] = []
        self.compressed = False
        self.inflate = None  # a zlib context when the server accepted permessage-deflate
        self.ready: asyncio.Future = asyncio.get_running_loop().create_future()
        self.closed = False

    # --- transport
    def connection_made(self, transport) -> None:
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write((
            f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
            f"Host: {self.host}:{self.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
            f"\r\n").encode())

    def connection_lost(self, exc) -> None:
        self.closed = True
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"closed: {exc}"))

    def send(self, text: str) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(client_frame(text))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()  # receipt: when the bytes reach the client, before parsing
        buf = self.buf
        buf += data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buf[:end]).lower()
            status = head[:head.find(b"\r\n")]
            del buf[:end + 4]
            if b" 101 " not in status:
                self._fail(f"handshake refused: {status.decode(errors='replace')}")
                return
            if b"permessage-deflate" in head:
                self.inflate = zlib.decompressobj(-15)
            self.upgraded = True
        while len(buf) >= 2:
            b0, b1 = buf[0], buf[1]
            n, at = b1 & 0x7F, 2
            if n == 126:
                if len(buf) < 4:
                    return
                n, at = int.from_bytes(buf[2:4], "big"), 4
            elif n == 127:
                if len(buf) < 10:
                    return
                n, at = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < at + n:
                return
            payload = bytes(buf[at:at + n])
            del buf[:at + n]
            opcode, fin = b0 & 0x0F, b0 & 0x80
            if opcode == 0x8:
                self.close()
                return
            if opcode == 0x9:  # ws ping: pong with the same data
                self.transport.write(bytes((0x8A, 0x80 | len(payload))) + b"\0\0\0\0" + payload)
                continue
            if opcode in (0x1, 0x2, 0x0):
                if opcode:  # the first frame of a message carries RSV1 (compressed)
                    self.compressed = bool(b0 & 0x40)
                self.fragments.append(payload)
                if fin:
                    message, self.fragments = b"".join(self.fragments), []
                    if self.compressed:
                        message = self.inflate.decompress(message + b"\x00\x00\xff\xff")
                    self._message(message, now)

    # --- Engine.IO / Socket.IO
    def _message(self, m: bytes, now: float) -> None:
        if m.startswith(b'42' + NS.encode() + b',["ticket.called",'):
            data = json.loads(m[len(NS) + 3:])[1]
            self.on_called(data.get("ticket_id"), now)
        elif m == b"2":  # Engine.IO ping: answer, or the server drops us after pingTimeout
            self.send("3")
        elif m.startswith(b"0{"):  # Engine.IO open: join the namespace with the token
            self.send("40" + NS + "," + json.dumps({"token": self.token}))
        elif m.startswith(b"40" + NS.encode() + b","):
            self.send("42" + NS + ",1" + json.dumps(
                ["subscribe", {"room": self.room, "last_seq": self.last_seq}]))
        elif m.startswith(b"44" + NS.encode() + b","):
            self._fail(f"connect refused: {m[:200].decode(errors='replace')}")
        elif m.startswith(b"43" + NS.encode() + b",1"):
            ack = json.loads(m[len(NS) + 4:])
            if ack and isinstance(ack[0], dict) and ack[0].get("ok"):
                if not self.ready.done():
                    self.ready.set_result(True)
            else:
                self._fail(f"subscribe refused: {str(ack)[:200]}")

    def _fail(self, why: str) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(why))
        self.close()


async def connect(host: str, port: int, token: str, room: str,
                  on_called: Callable[[object, float], None], timeout: float,
                  last_seq: int = 0) -> LeanClient:
    loop = asyncio.get_running_loop()
    _, proto = await asyncio.wait_for(loop.create_connection(
        lambda: LeanClient(host, port, token, room, on_called, last_seq), host, port), timeout)
    try:
        await asyncio.wait_for(proto.ready, timeout)
    except BaseException:
        proto.close()
        raise
    return proto
