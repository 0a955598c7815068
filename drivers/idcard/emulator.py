"""An emulated ID card reader behind a pty: answers the SAM commands as a reader does, with a
card laid on it (``place``) or not; ``corrupt_next`` spoils the next answer's checksum and
``truncate_next`` cuts the next basic-information answer short, for the error paths.

    python -m drivers.idcard.emulator     prints the pty path (idcard+serial://<path>)
"""
from __future__ import annotations

import os
import select
import threading
import tty

from drivers.idcard import protocol as p


class IdCardEmulator:
    def __init__(self) -> None:
        self.card: p.CardText | None = None
        self.received: list[bytes] = []  # every frame the host sent, as bytes
        self.corrupt_next = False
        self.truncate_next = False
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="idcard-emulator", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"idcard+serial://{self.path}"

    def place(self, card: p.CardText) -> None:
        self.card = card

    def remove(self) -> None:
        self.card = None

    def close(self) -> None:
        self._stop = True
        self._thread.join(2)
        for fd in (self._master, self._slave):
            os.close(fd)

    def __enter__(self) -> IdCardEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def answer_to(self, frame: bytes) -> bytes:
        cmd = (frame[7], frame[8]) if len(frame) >= 10 else None
        length, body = frame[5:7], frame[7:-1]
        if p.xor(length + body) != frame[-1]:
            return p.answer(0x10)
        if cmd in (p.RESET, p.STATUS):
            return p.answer(p.OK)
        if cmd == p.FIND:
            return p.answer(p.FOUND, bytes(4)) if self.card else p.answer(0x80)
        if cmd == p.SELECT:
            return p.answer(p.OK, bytes(8)) if self.card else p.answer(0x81)
        if cmd == p.READ_BASIC:
            if self.card is None:
                return p.answer(0x41)
            data = p.basic_block(self.card)
            if self.truncate_next:
                self.truncate_next = False
                data = data[:200]
            return p.answer(p.OK, data)
        return p.answer(0x21)

    def _run(self) -> None:
        buffer = b""
        while not self._stop:
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            buffer += os.read(self._master, 4096)
            while True:
                start = buffer.find(p.PREAMBLE)
                if start < 0:
                    buffer = buffer[-4:]
                    break
                buffer = buffer[start:]
                size = p.needed(buffer)
                if size is None or len(buffer) < size:
                    break
                frame, buffer = buffer[:size], buffer[size:]
                self.received.append(frame)
                reply = self.answer_to(frame)
                if self.corrupt_next:
                    self.corrupt_next = False
                    reply = reply[:-1] + bytes([reply[-1] ^ 0xFF])
                os.write(self._master, reply)


if __name__ == "__main__":  # pragma: no cover - a manual tool
    import time

    emulator = IdCardEmulator()
    print(emulator.url, flush=True)
    while True:
        time.sleep(3600)
