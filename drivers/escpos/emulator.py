"""An ESC/POS printer that listens on TCP (port 9100 by convention) and/or a pty, parses what
it receives, answers DLE EOT like a real printer with a chosen paper state, and keeps every
ticket (split at the cut) as text lines, QR payloads and a PNG preview.

    python -m drivers.escpos.emulator --tcp 9100 --out DIR [--pty] [--state paper_end]

One thread serves every connection through a selector, so stopping is one wake-up and a
join, and the replies to status queries go out as soon as the query is read.
"""
from __future__ import annotations

import argparse
import json
import os
import queue
import selectors
import socket
import threading
import tty
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from drivers.escpos import preview
from drivers.escpos.parser import Parser
from drivers.escpos.records import ParsedTicket
from drivers.escpos.ticket import PAPERS

# Paper/printer states and the bits each query n answers with (status.py has the meanings).
STATES = ("ok", "near_end", "paper_end", "cover_open", "offline", "error", "silent")
_BITS: dict[str, dict[int, int]] = {
    "ok": {}, "near_end": {4: 0x0C},
    "paper_end": {1: 0x08, 2: 0x20, 4: 0x6C}, "cover_open": {1: 0x08, 2: 0x04},
    "offline": {1: 0x08}, "error": {1: 0x08, 2: 0x40, 3: 0x40},
}


def status_byte(state: str, n: int) -> int | None:
    """The reply to DLE EOT n in ``state``; None: a silent (switched-off) printer."""
    if state == "silent":
        return None
    return 0x12 | _BITS[state].get(n, 0)


@dataclass
class Recorded:
    number: int
    ticket: ParsedTicket
    printed: bool  # False when the printer's state would have stopped it (paper end, …)
    preview: Path | None = None


class PrinterEmulator:
    def __init__(self, out_dir: Path | str | None = None, *, state: str = "ok",
                 paper: str = "80", tickets_until_paper_end: int | None = None,
                 then: tuple[int, str] | None = None,
                 on_ticket: Callable[[Recorded], None] | None = None) -> None:
        """``then=(n, state)``: after the n-th ticket is cut, the printer is in ``state``
        before the next status query is read — ``(1, "silent")`` prints one ticket whole
        and stops answering (status lost); ``tickets_until_paper_end=n`` is
        ``then=(n, "paper_end")``."""
        if tickets_until_paper_end is not None:
            then = (tickets_until_paper_end, "paper_end")
        if state not in STATES or (then is not None and then[1] not in STATES):
            raise ValueError(f"state is one of {', '.join(STATES)}")
        self.out_dir = Path(out_dir) if out_dir else None
        self.state, self.width = state, PAPERS[paper].dots
        self.tickets_until, self.then_state = then if then is not None else (None, "ok")
        self.on_ticket = on_ticket
        self.tickets: list[Recorded] = []
        self.queries: list[int] = []
        self.received = bytearray()  # every byte as it came, for tests that check raw codes
        self._changed = threading.Condition()
        self._sel = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        self._sel.register(self._wake_r, selectors.EVENT_READ, ("wake", None))
        self._owned: list[socket.socket | int] = []
        self._thread: threading.Thread | None = None
        # previews are drawn off the I/O thread so status replies never wait for Pillow
        self._jobs: queue.Queue[tuple[ParsedTicket, bool] | None] = queue.Queue()
        self._writer: threading.Thread | None = None
        self._stop = False
        self.tcp_port: int | None = None  # where listen_tcp/open_pty put the printer
        self.pty_path: str | None = None

    # ---- endpoints -------------------------------------------------------------------
    def listen_tcp(self, port: int = 0, host: str = "127.0.0.1") -> int:
        server = socket.create_server((host, port), reuse_port=False)
        server.setblocking(False)
        self._owned.append(server)
        self._sel.register(server, selectors.EVENT_READ, ("accept", None))
        self.tcp_port = server.getsockname()[1]
        return self.tcp_port

    def open_pty(self) -> str:
        master, slave = os.openpty()
        # raw on our side too: no echo of status replies, no LF→CRLF, no ^C handling
        tty.setraw(slave)
        self._owned += [master, slave]  # holding the slave keeps reads alive between clients
        parser = self._parser(lambda b: os.write(master, b))
        self._sel.register(master, selectors.EVENT_READ, ("pty", parser))
        self.pty_path = os.ttyname(slave)
        return self.pty_path

    # ---- life cycle ------------------------------------------------------------------
    def start(self) -> PrinterEmulator:
        self._thread = threading.Thread(target=self._serve, name="escpos-emulator", daemon=True)
        self._writer = threading.Thread(target=self._write, name="escpos-previews", daemon=True)
        self._thread.start()
        self._writer.start()
        return self

    def stop(self) -> None:
        self._stop = True
        os.write(self._wake_w, b"x")
        if self._thread:
            self._thread.join(timeout=5)
        for key in list(self._sel.get_map().values()):
            kind, parser = key.data
            if kind == "conn":
                key.fileobj.close()
                self._closed(parser)
        self._jobs.put(None)
        if self._writer:
            self._writer.join(timeout=30)
        self._sel.close()
        for thing in self._owned:
            thing.close() if isinstance(thing, socket.socket) else os.close(thing)
        os.close(self._wake_r)
        os.close(self._wake_w)

    def __enter__(self) -> PrinterEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for_tickets(self, count: int, timeout: float = 5.0) -> list[Recorded]:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.tickets) >= count, timeout):
                raise TimeoutError(f"{len(self.tickets)} of {count} tickets after {timeout}s")
            return list(self.tickets)

    # ---- the loop --------------------------------------------------------------------
    def _serve(self) -> None:
        while not self._stop:
            for key, _ in self._sel.select():
                kind, parser = key.data
                if kind == "accept":
                    self._accept(key.fileobj)
                elif kind == "conn":
                    self._read_conn(key.fileobj, parser)
                elif kind == "pty":
                    data = os.read(key.fileobj, 65536)
                    self.received += data
                    parser.feed(data)

    def _accept(self, server: socket.socket) -> None:
        try:
            conn, _ = server.accept()
        except BlockingIOError:
            return
        conn.setblocking(True)  # replies are one byte: a blocking send never stalls
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # answer status at once
        parser = self._parser(conn.sendall)
        self._sel.register(conn, selectors.EVENT_READ, ("conn", parser))

    def _read_conn(self, conn: socket.socket, parser: Parser) -> None:
        try:
            data = conn.recv(65536)
        except OSError:
            data = b""
        if data:
            self.received += data
            parser.feed(data)
            return
        self._sel.unregister(conn)
        conn.close()
        self._closed(parser)

    def _parser(self, reply: Callable[[bytes], object]) -> Parser:
        def on_status(n: int) -> None:
            self.queries.append(n)
            byte = status_byte(self.state, n)
            if byte is not None:
                try:
                    reply(bytes((byte,)))
                except OSError:
                    pass  # the client went away between asking and hearing
        return Parser(self._record, on_status)

    def _closed(self, parser: Parser) -> None:
        leftover = parser.close()
        if leftover:
            self._record(leftover)

    def _record(self, ticket: ParsedTicket) -> None:
        printed = self.state in ("ok", "near_end")
        if ticket.cut and printed and self.tickets_until is not None:
            self.tickets_until -= 1
            if self.tickets_until <= 0:
                self.state = self.then_state  # before the next status query is read
                self.tickets_until = None
        self._jobs.put((ticket, printed))

    def _write(self) -> None:
        while (job := self._jobs.get()) is not None:
            ticket, printed = job
            rec = Recorded(len(self.tickets) + 1, ticket, printed)
            if self.out_dir:
                self.out_dir.mkdir(parents=True, exist_ok=True)
                stem = self.out_dir / f"ticket-{rec.number:04d}"
                rec.preview = preview.save(ticket, self.width, stem.with_suffix(".png"))
                stem.with_suffix(".json").write_text(json.dumps(
                    {**ticket.summary(), "printed": printed}, ensure_ascii=False, indent=1),
                    encoding="utf-8")
            with self._changed:
                self.tickets.append(rec)
                self._changed.notify_all()
            if self.on_ticket:
                self.on_ticket(rec)


def _announce(rec: Recorded) -> None:
    words = [line for line in rec.ticket.lines if line.strip("- ")]
    extra = [f"QR {q}" for q in rec.ticket.qr]
    extra += [f"{len(rec.ticket.images)} images"] if rec.ticket.images else []
    extra += [] if rec.printed else ["NOT PRINTED (printer state)"]
    print(f"ticket {rec.number}: {rec.preview}  {' / '.join(words[:4])}  {'  '.join(extra)}",
          flush=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m drivers.escpos.emulator",
                                 description="ESC/POS printer emulator with PNG previews")
    ap.add_argument("--tcp", type=int, metavar="PORT", help="listen on this TCP port (9100)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--pty", action="store_true", help="also open a pty (a serial printer)")
    ap.add_argument("--out", type=Path, default=Path("instance/printer"), help="previews here")
    ap.add_argument("--state", choices=STATES, default="ok", help="what status queries answer")
    ap.add_argument("--paper", choices=sorted(PAPERS), default="80")
    args = ap.parse_args(argv)
    if args.tcp is None and not args.pty:
        ap.error("give --tcp PORT and/or --pty")
    emu = PrinterEmulator(args.out, state=args.state, paper=args.paper, on_ticket=_announce)
    if args.tcp is not None:
        print(f"listening: escpos+tcp://{args.host}:{emu.listen_tcp(args.tcp, args.host)}")
    if args.pty:
        print(f"listening: escpos+serial://{emu.open_pty()}")
    print(f"previews go to {args.out.resolve()}", flush=True)
    with emu:
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
