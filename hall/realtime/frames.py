"""Websocket frames and the socket writes under them, shared by the fan-out (hall/realtime/
fanout.py), which writes one frame to many sockets, and Hall's own gevent websocket (hall/
realtime/websocket.py), which writes a client's frames in order: a frame built once is right
for every client because a server-to-client frame is unmasked (RFC 6455 §5.1)."""
from __future__ import annotations

import socket
from typing import Any

# Send buffer of each websocket: Linux grows a socket's buffer up to 4 MB (tcp_wmem) for a
# peer that stopped reading, kernel memory times every stuck screen. 64 KB (the kernel
# doubles it) holds hundreds of 300-byte events, several seconds of a busy hall.
WS_SNDBUF = 64 * 1024


def limit_send_buffer(sock: Any) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, WS_SNDBUF)
    except (AttributeError, OSError):  # not a TCP socket (a test double, a Unix socket)
        pass


def frame(data: str | bytes) -> bytes:
    """An unmasked, unfragmented websocket frame: text for str, binary for bytes."""
    if isinstance(data, str):
        payload, first = data.encode("utf-8"), 0x81
    else:
        payload, first = bytes(data), 0x82
    n = len(payload)
    if n < 126:
        head = bytes((first, n))
    elif n < 65536:
        head = bytes((first, 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((first, 127)) + n.to_bytes(8, "big")
    return head + payload


def nonblocking(raw: Any):
    """The OS-level socket under a green one, if it is in non-blocking mode."""
    try:
        return raw if raw is not None and raw.gettimeout() == 0.0 else None
    except (AttributeError, OSError):
        return None


def write_direct(tap: Any, locks: tuple, green: Any, raw: Any, data: bytes, spawn) -> None:
    """Write a frame on a socket whose writer the caller has just seen idle (``locks[0]``
    free, nothing pending); never wait: the caller is fanning out to everyone.

    One ``send`` on the OS socket: nothing can yield between the caller's check and it, so
    no lock is needed when it takes the whole frame, the usual case. A frame that does not
    fit (a slow or vanished client's buffer is full) or meets a control frame being written
    is finished by a greenlet of its own, which holds the locks meanwhile: the fan-out goes
    on to the other screens, and this socket's next packets take Engine.IO's queue
    (``tap.pending``) and wait for the lock, in order. (gevent's ``sendall`` also asks for
    SO_SNDBUF on every call and eventlet's goes through its trampoline: a third of the
    fan-out's time for a 300-byte frame, py-spy.)
    """
    sent = 0
    busy = [lock for lock in locks if lock.locked()]
    if raw is not None and not busy:
        try:
            sent = raw.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        if sent == len(data):
            return
    held = [lock for lock in locks if lock not in busy]
    for lock in held:
        lock.acquire()  # free, and nothing has yielded since we looked
    tap.pending += 1
    rest = memoryview(data)[sent:] if sent else data

    def finish() -> None:
        try:
            for lock in busy:
                lock.acquire()
            try:
                green.sendall(rest)
            finally:
                for lock in busy:
                    lock.release()
        except OSError:  # the reader sees the connection die and tears it down
            pass
        finally:
            tap.pending -= 1
            for lock in held:
                lock.release()

    spawn(finish)


def sendall(green: Any, raw: Any, data: bytes) -> None:
    """One ``send`` on the OS socket, then the green ``sendall`` for any rest; for callers
    that hold the lock and may wait (a client's own writer)."""
    sent = 0
    if raw is not None:
        try:
            sent = raw.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
    if sent < len(data):
        green.sendall(memoryview(data)[sent:] if sent else data)
