"""A resident ID card reader on a serial line.

URL format: ``idcard+serial:///dev/ttyUSB0?baudrate=115200`` (8N1; 115200 is the SAM
module's usual rate; ``timeout`` in seconds, default 2), or any pyserial URL after
``idcard+serial:`` (``idcard+serial:socket://host:port``). ``read_card`` does what a reader
does when a card is laid on it: find, select, read the basic information.
"""
from __future__ import annotations

import time
from typing import Any

import serial

from drivers.idcard import protocol as p
from drivers.urls import DeviceURL, DeviceURLError, parse


class ReaderError(Exception):
    """The reader answered, but not with the card (no card, a failed read …)."""

    def __init__(self, step: str, answer: p.Answer):
        super().__init__(f"{step}: {answer.text}")
        self.step, self.answer = step, answer


def device_url(url: str | DeviceURL) -> DeviceURL:
    device = url if isinstance(url, DeviceURL) else parse(
        f"idcard+serial://{url}" if url.startswith("/") else url)
    if device.protocol != "idcard":
        raise DeviceURLError(f"{device.raw}: expected idcard+serial:///dev/ttyUSB0")
    return device


class IdCardReader:
    def __init__(self, url: str | DeviceURL, port: Any = None) -> None:
        self.device = device_url(url)
        o = self.device.options
        try:
            self.timeout = float(o.get("timeout", "2"))
            baud = int(o.get("baudrate", "115200"))
        except ValueError:
            raise DeviceURLError(f"{self.device.raw}: expected e.g. baudrate=115200&timeout=2"
                                 ) from None
        self.port = port or serial.serial_for_url(self.device.target, baudrate=baud,
                                                  timeout=0.05)

    def close(self) -> None:
        self.port.close()

    def exchange(self, cmd: tuple[int, int]) -> p.Answer:
        self.port.reset_input_buffer()
        self.port.write(p.command(cmd))
        buffer, deadline = b"", time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            buffer += self.port.read(4096)
            start = buffer.find(p.PREAMBLE)
            if start > 0:
                buffer = buffer[start:]
            size = p.needed(buffer) if start >= 0 else None
            if size is not None and len(buffer) >= size:
                return p.parse_answer(buffer[:size])
        raise p.FrameError(f"truncated frame: {len(buffer)} bytes before the timeout",
                           "truncated")

    def _expect(self, step: str, cmd: tuple[int, int], ok: int = p.OK) -> p.Answer:
        answer = self.exchange(cmd)
        if answer.status != ok:
            raise ReaderError(step, answer)
        return answer

    def reset(self) -> None:
        self._expect("reset", p.RESET)

    def status(self) -> bool:
        return self.exchange(p.STATUS).status == p.OK

    def read_card(self) -> p.CardText:
        """Find, select and read the card on the reader (ReaderError when there is none)."""
        self._expect("find", p.FIND, p.FOUND)
        self._expect("select", p.SELECT)
        return p.parse_basic(self._expect("read", p.READ_BASIC).data)
