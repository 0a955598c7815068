"""The serial line keypads hang off: open it by URL, read frames, reopen it when it comes back.

URL format (parsed by drivers/urls.py)::

    keypad+serial:///dev/ttyS1?address=3        an RS-232 port or RS-485 adapter, 9600 8N1
    pad+serial:///dev/ttyS2?address=9           a rating keypad (same frames, same bus kind)
    keypad+serial:///dev/pts/7                  a pty, e.g. the emulator's
    keypad+serial:socket://127.0.0.1:7000       any pyserial URL (loop://, socket://, rfc2217://)
    keypad+tcp://192.168.1.70:4001              a serial-to-Ethernet converter (raw TCP)
    /dev/pts/7   loop://   socket://host:port   bare forms: taken as keypad+serial:<that>

Serial options: baudrate (9600), bytesize (8), parity (N), stopbits (1); `address` is for the
bridge. On RS-485 many keypads share one line: every bridge whose URL names the same port
gets the same ``KeypadBus`` (``open_bus``), which reads the line once and hands each address
its own frames. When the port vanishes (a USB adapter unplugged, a pty closed) the bus goes
offline and tries to reopen it every 0.5 s, backing off to 5 s; ``generation`` grows on each
reopen so that bridges can repaint their displays.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any

from drivers.keypad.protocol import Frame, FrameError, Function, StreamParser
from drivers.urls import DeviceURL, DeviceURLError, parse

log = logging.getLogger("drivers.keypad")
RETRY_FIRST, RETRY_MAX = 0.5, 5.0  # seconds between attempts to reopen a vanished port
IDLE_S = 0.5  # a frame not finished after this much silence is truncated
ECHO_S = 1.0  # how long after sending a frame its echo may still come back (RS-485)
LOG_WINDOW_S, LOG_PER_WINDOW = 10.0, 5  # at most 5 log lines per error kind per 10 s


def device_url(url: str | DeviceURL, protocols: tuple[str, ...] = ("keypad", "pad")
               ) -> DeviceURL:
    """Parse a keypad URL; a bare pty path or pyserial URL is read as keypad+serial:<it>."""
    if isinstance(url, DeviceURL):
        device = url
    else:
        if url.startswith("/"):  # a device path: the "///" form keeps ?options apart
            url = f"{protocols[0]}+serial://{url}"
        elif "+" not in url.partition(":")[0]:  # a pyserial URL: loop://, socket://…
            url = f"{protocols[0]}+serial:{url}"
        device = parse(url)
    if device.protocol not in protocols:
        raise DeviceURLError(f"{device.raw}: expected {' or '.join(protocols)}+serial://… "
                             f"or {protocols[0]}+tcp://HOST:PORT")
    return device


def _settings(device: DeviceURL) -> dict[str, Any]:
    o = device.options
    try:
        return {"baudrate": int(o.get("baudrate", "9600")), "bytesize": int(o.get("bytesize", "8")),
                "parity": o.get("parity", "N").upper(), "stopbits": float(o.get("stopbits", "1"))}
    except ValueError:
        raise DeviceURLError(f"{device.raw}: expected e.g. baudrate=9600&bytesize=8&parity=N"
                             f"&stopbits=1") from None


def _port_name(device: DeviceURL) -> str:
    if device.transport == "tcp":
        host, port = device.host_port
        return f"socket://{host}:{port}"
    return device.target


class KeypadBus:
    """One line, read by whoever polls first; frames queued per attached address."""

    def __init__(self, url: str | DeviceURL) -> None:
        self.device = device_url(url)
        self.port_name = _port_name(self.device)
        self._settings = _settings(self.device)
        self._lock = threading.RLock()
        self._port: Any = None
        self._parser = StreamParser()
        self._inbox: dict[int, deque[Frame]] = {}
        self._sent: deque[tuple[bytes, float]] = deque(maxlen=32)
        self._retry_at, self._retry_wait = 0.0, RETRY_FIRST
        self._last_rx = time.monotonic()
        self._log_window: dict[str, tuple[float, int]] = {}
        self.generation = 0  # how many times the port was (re)opened
        self.users = 0  # bridges sharing this bus (open_bus / release)
        self.reconnects = self.foreign = self.echoes = 0
        self.echoing = False  # learnt: the line sends our frames back to us
        self.last_error: str | None = None

    # -- the port ------------------------------------------------------------------------
    @property
    def online(self) -> bool:
        return self._port is not None

    def open(self) -> bool:
        """Try to open the port now; False (and a retry later) when it is not there."""
        import serial  # imported here so that nothing touches pyserial at import time

        with self._lock:
            if self._port is not None:
                return True
            try:
                self._port = serial.serial_for_url(self.port_name, timeout=0, **self._settings)
            except ValueError as exc:  # pyserial refuses bad settings with ValueError
                raise DeviceURLError(f"{self.device.raw}: {exc}") from None
            except (OSError, serial.SerialException) as exc:
                self._went_offline(f"cannot open {self.port_name}: {exc}")
                return False
            if self.generation:
                self.reconnects += 1
                log.warning("keypad bus %s: port is back", self.port_name)
            self.generation += 1
            self._retry_wait = RETRY_FIRST
            self._parser.reset()  # half a frame from before the gap will never complete
            return True

    def _went_offline(self, why: str) -> None:
        if self._port is not None:
            try:
                self._port.close()
            except Exception:  # noqa: BLE001 - the port is already gone
                pass
            self._port = None
        if why != self.last_error:
            log.warning("keypad bus %s offline: %s", self.port_name, why)
        self.last_error = why
        self._retry_at = time.monotonic() + self._retry_wait
        self._retry_wait = min(self._retry_wait * 2, RETRY_MAX)

    def close(self) -> None:
        with self._lock:
            if self._port is not None:
                self._port.close()
                self._port = None

    # -- addresses -----------------------------------------------------------------------
    def attach(self, address: int) -> None:
        with self._lock:
            self._inbox.setdefault(address, deque(maxlen=64))

    def take(self, address: int) -> list[Frame]:
        """Frames received for `address` since the last call."""
        with self._lock:
            inbox = self._inbox.get(address)
            frames = list(inbox or ())
            if inbox:
                inbox.clear()
            return frames

    # -- bytes ---------------------------------------------------------------------------
    def pump(self) -> None:
        """Read what the line has (non-blocking) and queue the frames; reopen when due."""
        import serial

        with self._lock:
            now = time.monotonic()
            if self._port is None and (now < self._retry_at or not self.open()):
                return
            try:
                data = self._read()
            except (OSError, serial.SerialException) as exc:
                self._went_offline(f"read failed: {exc}")
                return
            if data:
                self._last_rx = now
                self._route(self._parser.feed(data))
            elif self._parser.pending and now - self._last_rx > IDLE_S:
                self._route(self._parser.expire())
            else:
                return
            self._report(self._parser.bad)

    def _read(self) -> bytes:
        chunks = []
        for _ in range(16):  # bounded: a babbling line cannot hold the poller forever
            chunk = self._port.read(max(self._port.in_waiting, 1))
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)

    def send(self, frame: Frame) -> bool:
        """Write one frame; False when the port is away (the caller repaints on reopen)."""
        import serial

        data = frame.encode()
        with self._lock:
            if self._port is None:
                return False
            try:
                self._port.write(data)
                self._port.flush()
            except (OSError, serial.SerialException) as exc:
                self._went_offline(f"write failed: {exc}")
                return False
            self._sent.append((data, time.monotonic()))
            return True

    def _route(self, frames: list[Frame]) -> None:
        for frame in frames:
            if self._is_echo(frame):
                continue
            inbox = self._inbox.get(frame.address)
            if inbox is None:
                self.foreign += 1
                log.debug("keypad bus %s: frame for unattached address %d", self.port_name,
                          frame.address)
                continue
            inbox.append(frame)

    def _is_echo(self, frame: Frame) -> bool:
        """Our own frame heard back: some RS-485 adapters echo what they send. A display or
        beep frame coming back can only be an echo, and it tells us the line echoes; only then
        is a key frame equal to one we sent (an ack) taken as an echo rather than a press."""
        raw, now = frame.encode(), time.monotonic()
        match = next((i for i, (d, t) in enumerate(self._sent)
                      if d == raw and now - t < ECHO_S), None)
        if match is None:
            return False
        host_only = frame.function in (Function.DISPLAY, Function.BEEP)
        self.echoing = self.echoing or host_only
        if not self.echoing:
            return False
        for _ in range(match + 1):  # echoes come back in order: older ones are lost
            self._sent.popleft()
        self.echoes += 1
        return True

    def _report(self, errors: list[FrameError]) -> None:
        now = time.monotonic()
        for error in errors:
            self.last_error = str(error)
            start, count = self._log_window.get(error.kind, (now, 0))
            if now - start > LOG_WINDOW_S:
                if count > LOG_PER_WINDOW:
                    log.warning("keypad bus %s: %d more %s errors", self.port_name,
                                count - LOG_PER_WINDOW, error.kind)
                start, count = now, 0
            if count < LOG_PER_WINDOW:
                log.warning("keypad bus %s: %s", self.port_name, error)
            self._log_window[error.kind] = (start, count + 1)

    # -- figures -------------------------------------------------------------------------
    @property
    def errors(self) -> dict[str, int]:
        return dict(self._parser.errors)

    @property
    def frames(self) -> int:
        return self._parser.frames

    def health(self) -> dict[str, Any]:
        bad = self.errors
        return {"online": self.online, "port": self.port_name, "frames": self.frames,
                "errors": sum(bad.values()), "bad_frames": bad,
                "reconnects": self.reconnects, "echoes": self.echoes, "error": self.last_error}


_BUSES: dict[str, KeypadBus] = {}
_BUSES_LOCK = threading.Lock()


def open_bus(url: str | DeviceURL) -> KeypadBus:
    """The shared bus for the port `url` names (opened on first use; see the docstring)."""
    device = device_url(url)
    key = f"{device.transport}:{_port_name(device)}"
    with _BUSES_LOCK:
        bus = _BUSES.get(key)
        if bus is None:
            bus = _BUSES[key] = KeypadBus(device)
            bus.open()
        bus.users += 1
        return bus


def release(bus: KeypadBus) -> None:
    """One user fewer; the last one closes the port."""
    with _BUSES_LOCK:
        bus.users -= 1
        if bus.users > 0:
            return
        for key, value in list(_BUSES.items()):
            if value is bus:
                del _BUSES[key]
    bus.close()
