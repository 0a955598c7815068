"""Carry Onbon frames to a sign and read its reply, over a serial line or TCP.

URL format (parsed by drivers/urls.py)::

    led+serial:///dev/ttyUSB1?address=01&baudrate=9600   a serial port or RS-485 adapter
    led+serial:///dev/pts/7                              a pty, e.g. the emulator's
    led+serial:socket://127.0.0.1:7000                   any pyserial URL (loop://, socket://, …)
    led+tcp://192.168.1.60:5005?address=05&timeout=2     a networked controller (TCP port 5005)

Serial defaults are 9600 8N1: the protocol (v1.4 §2.2) allows 9600 or 57600, no parity, 8 data
bits, 1 stop bit. `timeout` (seconds, default 2: §8.8 waits 2 s for a reply) bounds each reply.
One exchange at a time: an RS-485 bus is half duplex, and signs sharing it share one transport.
"""
from __future__ import annotations

import socket
import threading
import time
from typing import Protocol

from drivers.led.protocol import (
    BROADCAST_SILENT,
    NO_REPLY,
    BadFrame,
    FrameParser,
    Packet,
)
from drivers.urls import DeviceURL, DeviceURLError, parse

DEFAULT_TIMEOUT = 2.0


class LedTimeout(TimeoutError):
    pass


class _Stream(Protocol):
    def send(self, data: bytes) -> None: ...
    def recv(self, timeout: float) -> bytes: ...  # b"" when nothing came in time
    def close(self) -> None: ...


class _SerialStream:
    def __init__(self, target: str, options: dict[str, str], raw: str) -> None:
        import serial  # imported here so that TCP-only halls need no pyserial

        try:
            settings = {"baudrate": int(options.get("baudrate", "9600")),
                        "bytesize": int(options.get("bytesize", "8")),
                        "parity": options.get("parity", "N").upper(),
                        "stopbits": float(options.get("stopbits", "1"))}
            self._port = serial.serial_for_url(target, timeout=0, **settings)
        except ValueError as exc:  # pyserial refuses unknown values with ValueError too
            raise DeviceURLError(f"{raw}: {exc}; expected e.g. baudrate=9600&bytesize=8"
                                 f"&parity=N&stopbits=1") from None

    def send(self, data: bytes) -> None:
        self._port.write(data)
        self._port.flush()

    def recv(self, timeout: float) -> bytes:
        self._port.timeout = max(timeout, 0)
        first = self._port.read(1)
        return first + self._port.read(self._port.in_waiting) if first else b""

    def close(self) -> None:
        self._port.close()


class _SocketStream:
    def __init__(self, host: str, port: int, timeout: float) -> None:
        self._sock = socket.create_connection((host, port), timeout=timeout)

    def send(self, data: bytes) -> None:
        self._sock.settimeout(None)
        self._sock.sendall(data)

    def recv(self, timeout: float) -> bytes:
        self._sock.settimeout(max(timeout, 0))
        try:
            data = self._sock.recv(4096)
        except (TimeoutError, BlockingIOError):
            return b""
        if not data:
            raise ConnectionError("the sign closed the connection")
        return data

    def close(self) -> None:
        self._sock.close()


class LedTransport:
    """Writes frames and reads the controller's reply frames back through a FrameParser."""

    def __init__(self, stream: _Stream, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._stream = stream
        self._parser = FrameParser()
        self._lock = threading.Lock()
        self.timeout = timeout
        self.bad_frames: list[BadFrame] = []  # replies that failed their checks, for diagnosis

    def write(self, frame: bytes) -> None:
        self._stream.send(frame)

    def read_reply(self, from_address: int, to_address: int, timeout: float | None = None
                   ) -> Packet:
        """The next good frame from `from_address` to `to_address`; others on the bus are
        skipped (a late reply to an earlier request, another host's traffic)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LedTimeout(f"no reply from sign {from_address:#06x} in time")
            for item in self._parser.feed(self._stream.recv(remaining)):
                if isinstance(item, BadFrame):
                    self.bad_frames.append(item)
                elif item.src == from_address and item.dst == to_address:
                    return item

    def exchange(self, packet: Packet, timeout: float | None = None) -> Packet | None:
        """Send a request; return the reply, or None when the request asks for none."""
        with self._lock:
            self._drain()
            self.write(packet.encode())
            if packet.flag == NO_REPLY or packet.dst == BROADCAST_SILENT:
                return None
            return self.read_reply(packet.dst, packet.src, timeout)

    def _drain(self) -> None:
        # Whatever arrived since the last exchange is stale; drop it before asking again.
        while data := self._stream.recv(0):
            self._parser.feed(data)

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> LedTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_transport(url: str | DeviceURL, timeout: float | None = None) -> LedTransport:
    device = parse(url) if isinstance(url, str) else url
    if device.protocol != "led":
        raise DeviceURLError(f"{device.raw}: not an LED sign URL (led+serial://… or led+tcp://…)")
    try:
        wait = float(device.options.get("timeout", DEFAULT_TIMEOUT)) if timeout is None else timeout
    except ValueError:
        raise DeviceURLError(f"{device.raw}: expected timeout=SECONDS") from None
    if device.transport == "tcp":
        host, port = device.host_port
        return LedTransport(_SocketStream(host, port, wait), wait)
    return LedTransport(_SerialStream(device.target, device.options, device.raw), wait)
