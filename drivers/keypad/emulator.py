"""Emulated caller keypads and rating keypads on one bus, behind a pty.

    python -m drivers.keypad.emulator --keypad 1 --rating 9     prints the pty path, then
    reads lines from stdin: "1 call", "1 confirm 6", "1 transfer 3", "9 rate 5", "raw ff68…"

Each emulated keypad sends the key frames a real one would (protocol.key_frame) and keeps what
the host's display frames say (``display``: waiting count and ticket digits), its beeps and
the host's echoes (acks, the last one's bytes in ``last_ack``); a keypad may be told to send
another function byte than 01 (``press(…, function=5)``), as some real ones do. A rating pad
sends FUNC 11 scores and notes the host's start-rating frames and its acks (FUNC 01 + score).
Host bytes are read with the same StreamParser as the host side uses, so garbage the host
writes is counted here too. ``unplug``/``replug`` close the pty and open a new one behind
the same symlink, as a USB adapter that is pulled out and put back.
"""
from __future__ import annotations

import argparse
import logging
import os
import queue
import select
import socket
import sys
import threading
import time
import tty
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from drivers.keypad import protocol as kp

log = logging.getLogger("drivers.keypad.emulator")


@dataclass
class EmulatedKeypad:
    address: int
    emulator: KeypadEmulator
    display: tuple[str, str] | None = None  # (waiting, ticket) as lit: ("007", "012")
    shown: list[tuple[str, str]] = field(default_factory=list)
    beeps: int = 0
    acks: int = 0
    last_ack: bytes | None = None  # the last acknowledgement, byte for byte

    def press(self, key: kp.Key | int | str, digits: str = "",
              function: int = kp.Function.KEY) -> bool:
        """Press `digits` then `key` (a Key, its code or its name: "call", "confirm" …),
        sent with `function` as the frame's function byte."""
        code = kp.Key[key.upper()] if isinstance(key, str) else int(key)
        return self.emulator.send(kp.key_frame(self.address, code, digits, function).encode())

    @property
    def waiting(self) -> str | None:
        return None if self.display is None else self.display[0]

    @property
    def ticket(self) -> str | None:
        return None if self.display is None else self.display[1]


@dataclass
class EmulatedRatingPad:
    address: int
    emulator: KeypadEmulator
    asked: int = 0  # start-rating frames received
    beeps: int = 0
    acks: int = 0
    last_ack: bytes | None = None

    def rate(self, level: int) -> bool:
        """Press the key for a GB/T 39734 level (5 非常满意 … 1 非常不满意)."""
        score = {v: k for k, v in self.emulator.scores.items()}[level]
        return self.emulator.send(kp.score_frame(self.address, score).encode())


class KeypadEmulator:
    """A bus of keypads behind one pty, served by a background thread; close() stops it."""

    def __init__(self, keypads: Iterable[int] = (1,), rating_pads: Iterable[int] = (), *,
                 link: str | Path | None = None, scores: dict[int, int] | None = None) -> None:
        self.keypads = {a: EmulatedKeypad(a, self) for a in keypads}
        self.rating_pads = {a: EmulatedRatingPad(a, self) for a in rating_pads}
        if set(self.keypads) & set(self.rating_pads):
            raise ValueError("a keypad and a rating pad cannot share an address")
        self.scores = dict(kp.SCORES if scores is None else scores)
        self.link = Path(link) if link else None
        self.parser = kp.StreamParser()
        self.foreign = 0  # good frames for addresses nobody here answers to
        self.on_display: Callable[[int, tuple[str, str]], None] | None = None
        self._master: int | None = None
        self._slave: int | None = None
        self._write_lock = threading.Lock()
        self._changed = threading.Condition()
        self._requests: queue.Queue[tuple[Callable[[], object], threading.Event]] = queue.Queue()
        self._wake_r, self._wake_w = os.pipe()
        self._stop = False
        self._thread: threading.Thread | None = None
        self.path: str | None = None

    # -- the line --------------------------------------------------------------------------
    def start_pty(self) -> str:
        """Open the pty (and point `link` at it); the path to give the host."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="keypad-emulator",
                                            daemon=True)
            self._thread.start()
        self._in_loop(self._open)
        return str(self.link) if self.link else self.path  # type: ignore[return-value]

    def unplug(self) -> None:
        """The line disappears: the host's reads fail until ``replug``."""
        self._in_loop(self._shut)

    def replug(self) -> str:
        return self.start_pty()

    def send(self, data: bytes) -> bool:
        """Write raw bytes to the host; False while unplugged."""
        with self._write_lock:
            if self._master is None:
                return False
            os.write(self._master, data)
            return True

    def _open(self) -> None:
        if self._master is not None:
            self._shut()  # a replug without an unplug: the old pty goes first
        master, slave = os.openpty()
        tty.setraw(slave)  # bytes pass untouched; holding the slave keeps the pty alive
        self._master, self._slave = master, slave
        self.path = os.ttyname(slave)
        if self.link:
            tmp = self.link.with_name(self.link.name + ".new")
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(self.path)
            tmp.replace(self.link)
        log.info("keypad emulator on %s%s", self.path, f" ({self.link})" if self.link else "")

    def _shut(self) -> None:
        with self._write_lock:
            for fd in (self._master, self._slave):
                if fd is not None:
                    os.close(fd)
            self._master = self._slave = None
        if self.link:
            self.link.unlink(missing_ok=True)

    def _in_loop(self, fn: Callable[[], object]) -> None:
        done = threading.Event()
        self._requests.put((fn, done))
        os.write(self._wake_w, b"!")
        if not done.wait(5):
            raise TimeoutError("keypad emulator thread did not answer")

    def _run(self) -> None:
        while not self._stop:
            fds = [self._wake_r] + ([self._master] if self._master is not None else [])
            ready, _, _ = select.select(fds, [], [], 1.0)
            if self._wake_r in ready:
                os.read(self._wake_r, 512)
                while not self._requests.empty():
                    fn, done = self._requests.get()
                    fn()
                    done.set()
                continue
            if self._master is not None and self._master in ready:
                try:
                    data = os.read(self._master, 4096)
                except OSError:  # EIO: no reader on the slave side right now
                    time.sleep(0.05)
                    continue
                self._handle(self.parser.feed(data))

    # -- what the host says -----------------------------------------------------------------
    def _handle(self, frames: list[kp.Frame]) -> None:
        for frame in frames:
            pad = self.keypads.get(frame.address)
            rating = self.rating_pads.get(frame.address)
            if pad is not None:
                self._to_keypad(pad, frame)
            elif rating is not None:
                self._to_rating_pad(rating, frame)
            else:
                self.foreign += 1
        with self._changed:
            self._changed.notify_all()

    def _to_keypad(self, pad: EmulatedKeypad, frame: kp.Frame) -> None:
        if frame.function == kp.Function.DISPLAY:
            try:
                pad.display = kp.read_display(frame)
            except ValueError:
                return
            pad.shown.append(pad.display)
            log.info("keypad %d shows waiting %s ticket %s", pad.address, *pad.display)
            if self.on_display:
                self.on_display(pad.address, pad.display)
        elif frame.function == kp.Function.BEEP:
            pad.beeps += 1
        elif kp.is_key_frame(frame):  # the host echoes a key frame, function byte and all
            pad.acks += 1
            pad.last_ack = frame.encode()

    def _to_rating_pad(self, pad: EmulatedRatingPad, frame: kp.Frame) -> None:
        if frame.function == kp.Function.KEY and frame.data == kp.START_RATING:
            pad.asked += 1
            log.info("rating pad %d: please rate", pad.address)
        elif frame.function == kp.Function.BEEP:
            pad.beeps += 1
        elif frame.function == kp.Function.KEY:  # a score's ack: 01 + the score
            pad.acks += 1
            pad.last_ack = frame.encode()

    # -- for tests -------------------------------------------------------------------------
    def keypad(self, address: int) -> EmulatedKeypad:
        return self.keypads[address]

    def rating_pad(self, address: int) -> EmulatedRatingPad:
        return self.rating_pads[address]

    def wait(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Wait until `predicate()` holds after some host frame (or now); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(min(left, 0.1))
        return True

    def close(self) -> None:
        if self._thread is not None:
            self._in_loop(self._shut)
            self._stop = True
            os.write(self._wake_w, b"!")
            self._thread.join()
            self._thread = None
        for fd in (self._wake_r, self._wake_w):
            os.close(fd)
        self._wake_r = self._wake_w = -1

    def __enter__(self) -> KeypadEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class DemoKeypads:
    """The demo hall's keypads: caller keypads on one pty, rating pads on another, each at
    the address of its counter's number. ``keypad_url(n)``/``pad_url(n)`` are the bridges'
    URLs; ``close()`` stops both."""

    keypads: KeypadEmulator
    pads: KeypadEmulator
    keypad_path: str
    pad_path: str

    def keypad_url(self, counter_number: int) -> str:
        return f"keypad+serial://{self.keypad_path}?address={counter_number}"

    def pad_url(self, counter_number: int) -> str:
        return f"pad+serial://{self.pad_path}?address={counter_number}"

    control: socket.socket | None = None

    def command(self, line: str) -> str:
        """One command line of ``python -m drivers.keypad.emulator`` ("2 call", "2 rate 5",
        "raw …"): scores go to the rating pads' line, everything else to the keypads'."""
        words = line.split()
        return _command(self.pads if words[1:2] == ["rate"] else self.keypads, line)

    def serve_commands(self, path: str | Path) -> str:
        """Take command lines on a Unix socket at ``path``, answering each with one line:
        how a person (``echo '2 call' | nc -U instance/keypads.sock``) or a test presses
        the demo's keys from outside the server process."""
        path = Path(path)
        path.unlink(missing_ok=True)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(path))
        server.listen(4)
        self.control = server
        threading.Thread(target=self._serve, args=(server,), name="keypad-commands",
                         daemon=True).start()
        return str(path)

    def _serve(self, server: socket.socket) -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:  # closed
                return
            with conn, conn.makefile("rw", encoding="utf-8", newline="\n") as lines:
                for line in lines:
                    if line.strip():
                        lines.write(self.command(line) + "\n")
                        lines.flush()

    def close(self) -> None:
        if self.control is not None:
            self.control.close()
            self.control = None
        self.keypads.close()
        self.pads.close()


def start_demo_keypads(counter_numbers: Iterable[int], link_dir: str | Path | None = None
                       ) -> DemoKeypads:
    """Emulated keypads and rating pads for the demo hall (`make run`). With `link_dir`,
    stable symlinks ``keypads`` and ``pads`` there point at the ptys."""
    numbers = list(counter_numbers)
    links = (None, None) if link_dir is None else (Path(link_dir) / "keypads",
                                                  Path(link_dir) / "pads")
    keypads = KeypadEmulator(numbers, (), link=links[0])
    pads = KeypadEmulator((), numbers, link=links[1])
    try:
        return DemoKeypads(keypads, pads, keypads.start_pty(), pads.start_pty())
    except BaseException:
        keypads.close()
        pads.close()
        raise


def _command(emulator: KeypadEmulator, line: str) -> str:
    words = line.split()
    if len(words) >= 2 and words[0] == "raw":
        emulator.send(bytes.fromhex("".join(words[1:])))
        return "sent"
    if len(words) < 2 or not words[0].isdigit():
        return "expected: ADDRESS KEY [DIGITS] | ADDRESS rate LEVEL | raw HEX"
    address, key, rest = int(words[0]), words[1], "".join(words[2:])
    if key == "rate" and address in emulator.rating_pads:
        return "sent" if emulator.rating_pad(address).rate(int(rest)) else "unplugged"
    if address not in emulator.keypads or key.upper() not in kp.Key.__members__:
        keys = ", ".join(k.name.lower() for k in kp.Key)
        return f"no keypad {address} or no key {key} (keys: {keys})"
    return "sent" if emulator.keypad(address).press(key, rest) else "unplugged"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m drivers.keypad.emulator",
                                 description="Emulated FF 68 caller keypads and rating pads.")
    ap.add_argument("--keypad", type=int, action="append", default=[], help="keypad address")
    ap.add_argument("--rating", type=int, action="append", default=[], help="rating pad address")
    ap.add_argument("--link", help="a symlink to keep pointing at the pty")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with KeypadEmulator(args.keypad or [1], args.rating, link=args.link) as emulator:
        print(emulator.start_pty(), flush=True)
        for line in sys.stdin:
            if line.strip():
                print(_command(emulator, line), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
