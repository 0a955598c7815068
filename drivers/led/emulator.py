"""Emulated Onbon BX-5K/6K controllers sharing one bus, behind a pty or a TCP port.

    python -m drivers.led.emulator --pty          prints the pty path (use led+serial://PATH)
    python -m drivers.led.emulator --tcp 5005     then led+tcp://127.0.0.1:5005?address=05

Bytes are read with protocol.FrameParser and every CRC is checked. A bad frame is counted; if only
its CRC failed and it was addressed to a served controller, that controller answers NACK
ERR_CHECKSUM (the protocol's §7.2 example). Good frames to a served address are answered like a
controller (ACK, NACK, status) unless they ask for no reply, and each address keeps the text of
its dynamic areas, read with the thread-safe `shown(address)`.
"""
from __future__ import annotations

import argparse
import os
import selectors
import socket
import threading
import time
import tty
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from drivers.led import protocol as bx

MAX_AREAS = 8  # §8.2.1: 5K controllers keep 8 dynamic areas (6K: 5)


@dataclass(frozen=True)
class Shown:
    text: str
    mode: bx.DisplayMode
    area: bx.Area


class Bus:
    """The controllers' state and answers, without I/O. `addresses=None` serves any address.

    ``model`` (bx-5k or bx-6k) is the controllers': an area whose text exceeds its limit
    (§8.2.1: 512 or 1024 bytes) is refused with NACK MEMORY_VOLUME. ``history`` keeps every
    area shown, with the monotonic time its frame was read, for tests of pacing."""

    def __init__(self, addresses: Iterable[int] | None = None, *,
                 model: str = bx.DEFAULT_MODEL) -> None:
        self._addresses = None if addresses is None else frozenset(addresses)
        self._lock = threading.Lock()
        self._areas: dict[int, dict[int, Shown]] = {}
        self._last: dict[int, int] = {}
        self.frames = self.bad_frames = self.rejected = 0
        self.text_limit = bx.MODELS[model]
        self.history: list[tuple[float, int, Shown]] = []
        self.on_show: Callable[[int, Shown], None] | None = None

    def serves(self, address: int) -> bool:
        return (self._addresses is None or address in self._addresses
                or address in (bx.BROADCAST, bx.BROADCAST_SILENT))

    def shown(self, address: int) -> Shown | None:
        """What `address` shows in the area it was last sent, or None."""
        with self._lock:
            last = self._last.get(address)
            return None if last is None else self._areas[address].get(last)

    def addresses(self) -> list[int]:
        """Every address that has been sent something."""
        with self._lock:
            return sorted(self._areas)

    def areas(self, address: int) -> dict[int, Shown]:
        with self._lock:
            return dict(self._areas.get(address, {}))

    def handle(self, item: bx.Packet | bx.BadFrame) -> bx.Packet | None:
        """Take one parsed item off the bus; return the reply frame to send, if any."""
        if isinstance(item, bx.BadFrame):
            with self._lock:
                self.bad_frames += 1
            if item.dst is None or item.src is None or not self.serves(item.dst):
                return None
            return bx.Packet(item.src, item.dst, bytes((*bx.NACK, bx.CmdError.CHECKSUM, 0, 0)))
        if not self.serves(item.dst):
            return None  # another device's frame on the shared bus
        with self._lock:
            self.frames += 1
        reply = self._execute(item)
        if reply.command == bx.NACK:
            with self._lock:
                self.rejected += 1
        silent = item.flag == bx.NO_REPLY or item.dst == bx.BROADCAST_SILENT
        return None if silent else reply

    def _targets(self, dst: int) -> list[int]:
        """The addresses a frame acts on: its own, or every known one for a broadcast."""
        if dst not in (bx.BROADCAST, bx.BROADCAST_SILENT):
            return [dst]
        with self._lock:
            return sorted(self._addresses if self._addresses is not None else self._areas)

    def _execute(self, packet: bx.Packet) -> bx.Packet:
        command = packet.command
        if command == bx.PING:
            return bx.answer(packet)
        if command == bx.STATUS:
            ids = sorted({i for a in self._targets(packet.dst) for i in self.areas(a)})
            return bx.answer(packet, bx.STATUS, body=bx.Status(areas=tuple(ids)).encode())
        if command == bx.CLEAR:
            for address in self._targets(packet.dst):
                self._apply(address, None, ())
            return bx.answer(packet)
        if command == bx.DYNAMIC_AREA:
            try:
                update = bx.parse_show(packet)
            except bx.ProtocolError:
                return bx.answer(packet, bx.NACK, bx.CmdError.NO_CMD)  # v1.4 has no "bad data"
            if any(area.area_id >= MAX_AREAS or _size(text) > self.text_limit
                   for area, text in update.areas):
                return bx.answer(packet, bx.NACK, bx.CmdError.MEMORY_VOLUME)
            for address in self._targets(packet.dst):
                self._apply(address, update.delete, update.areas)
            return bx.answer(packet)
        known_group = command[0] in (0xA0, 0xA1, 0xA2, 0xA3, 0xA4)
        return bx.answer(packet, bx.NACK, bx.CmdError.NO_CMD if known_group
                         else bx.CmdError.OUT_OF_GROUP)

    def _apply(self, address: int, delete: tuple[int, ...] | None,
               areas: Iterable[tuple[bx.Area, str]]) -> None:
        shown = [Shown(text, area.mode, area) for area, text in areas]
        now = time.monotonic()
        with self._lock:
            self.history += [(now, address, item) for item in shown]
            current = self._areas.setdefault(address, {})
            for area_id in list(current) if delete is None else delete:
                current.pop(area_id, None)
            for item in shown:
                current[item.area.area_id] = item
                self._last[address] = item.area.area_id
            if self._last.get(address) not in current:
                self._last.pop(address, None)
        for item in shown:
            if self.on_show is not None:
                self.on_show(address, item)


def _size(text: str) -> int:
    """Bytes of a shown text as it came (a newline was its two-byte escape)."""
    return len(text.replace("\n", "\\n").encode("gb2312", errors="replace"))


class Emulator(Bus):
    """The bus served over a pty and/or TCP by one background thread; close() stops it."""

    def __init__(self, addresses: Iterable[int] | None = None, *,
                 model: str = bx.DEFAULT_MODEL) -> None:
        super().__init__(addresses, model=model)
        self._sel = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        self._sel.register(self._wake_r, selectors.EVENT_READ, None)
        self._fds: list[int] = [self._wake_r, self._wake_w]
        self._socks: list[socket.socket] = []
        self._thread: threading.Thread | None = None
        self.pty_path: str | None = None
        self.port: int | None = None

    def start_pty(self) -> str:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo and no newline translation: the bytes pass untouched
        self._fds += [master, slave]  # holding the slave keeps reads alive between clients
        parser = bx.FrameParser()
        self._sel.register(master, selectors.EVENT_READ, lambda: self._read_pty(master, parser))
        self.pty_path = os.ttyname(slave)
        self._start()
        return self.pty_path

    def start_tcp(self, host: str = "127.0.0.1", port: int = 0) -> int:
        server = socket.create_server((host, port))
        server.setblocking(False)
        self._socks.append(server)
        self._sel.register(server, selectors.EVENT_READ, lambda: self._accept(server))
        self.port = server.getsockname()[1]
        self._start()
        return self.port

    def _read_pty(self, master: int, parser: bx.FrameParser) -> None:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: no slave end open; wait for the next client
            return
        self._pump(data, parser, lambda reply: os.write(master, reply))

    def _accept(self, server: socket.socket) -> None:
        try:
            conn, _ = server.accept()
        except BlockingIOError:
            return
        conn.setblocking(True)
        self._socks.append(conn)
        parser = bx.FrameParser()
        self._sel.register(conn, selectors.EVENT_READ, lambda: self._receive(conn, parser))

    def _receive(self, conn: socket.socket, parser: bx.FrameParser) -> None:
        try:
            data = conn.recv(4096)
        except OSError:
            data = b""
        if not data:  # the client hung up
            self._sel.unregister(conn)
            self._socks.remove(conn)
            conn.close()
            return
        self._pump(data, parser, conn.sendall)

    def _pump(self, data: bytes, parser: bx.FrameParser, write: Callable[[bytes], object]
              ) -> None:
        for item in parser.feed(data):
            reply = self.handle(item)
            if reply is not None:
                write(reply.encode())

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="led-emulator", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            for key, _ in self._sel.select():
                if key.data is None:
                    return  # woken by close()
                key.data()

    def close(self) -> None:
        if self._thread is not None:
            os.write(self._wake_w, b"!")
            self._thread.join()
            self._thread = None
        for sock in self._socks:
            sock.close()
        for fd in self._fds:
            os.close(fd)
        self._socks, self._fds = [], []
        self._sel.close()

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m drivers.led.emulator",
                                 description="Emulated Onbon BX-5K/6K sign controllers.")
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--pty", action="store_true", help="serve on a new pty; print its path")
    where.add_argument("--tcp", type=int, metavar="PORT", help="serve on a TCP port")
    ap.add_argument("--host", default="127.0.0.1", help="TCP address to bind (127.0.0.1)")
    ap.add_argument("--address", type=int, action="append",
                    help="serve only this address (repeatable; default: any)")
    args = ap.parse_args(argv)
    with Emulator(args.address) as emulator:
        emulator.on_show = lambda address, s: print(f"[{address}] {s.mode.name}: {s.text}",
                                                     flush=True)
        if args.pty:
            print(emulator.start_pty(), flush=True)
        else:
            print(f"led+tcp://{args.host}:{emulator.start_tcp(args.host, args.tcp)}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
