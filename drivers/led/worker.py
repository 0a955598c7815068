"""Keep the signs of one transport showing their newest text: one worker thread per transport.

The LED bridge decides what each sign should show (``show(address, content)``); a worker owns
one transport — an RS-485 bus shared by several signs, or one networked controller — and
sends only the newest content of each sign: ten calls while a sign is unplugged become one
frame when it answers again (coalescing). Signs are served round robin, so a sign that does
not answer costs its own bus one reply timeout per ``retry_s`` and other transports nothing.

A transport that breaks (TCP reset, adapter unplugged) is reopened with backoff, and every
sign on it is sent its content again: a controller that restarted shows nothing. Every
``refresh_s`` each sign is sent its content again anyway, which is how a sign on a serial bus
that lost power catches up (nothing on RS-485 says it restarted).

One address gets at most one frame a second (``min_gap_s``; vendor §2.1 asks no more of a
dynamic area): what comes faster waits, and only the newest content goes. Content longer
than the sign's controller takes in one area (sign.py: 512 bytes on BX-5K, 1024 on BX-6K)
is sent as pages, one frame each, the next after ``page_s``, round and round.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from drivers.led import protocol as bx
from drivers.led.sign import HallStrip, Sign, SignError
from drivers.led.transport import LedTimeout, LedTransport, open_transport

log = logging.getLogger(__name__)
Content = str | tuple[str, ...]  # a window's text, or a strip's lines
MIN_GAP_S = 1.0  # vendor §2.1: refresh one dynamic area at most once a second
PAGE_S = 30.0  # how long one page of a text longer than the controller's area stays up


@dataclass
class Slot:
    """One sign on the transport: what it should show and what it is known to show."""

    sign: Sign
    label: str
    desired: Content | None = None
    shown: Content | None = None
    ok: bool | None = None  # None: not heard from yet
    error: str | None = None
    retry_at: float = 0.0
    sent: int = 0  # frames the sign acknowledged
    last_frame: float = -1e9  # when a frame last went to this address (monotonic)
    page: int = 0  # the page of ``shown`` on the sign now
    pages: int = 1  # how many pages ``shown`` has
    page_at: float = 0.0  # when the next page is due (paged content only)

    def packets(self, content: Content) -> list[bx.Packet]:
        """The frames of ``content``: one, or one per page when it exceeds the area limit."""
        if isinstance(self.sign, HallStrip):
            lines = (content,) if isinstance(content, str) else content
            return self.sign.lines_packets(lines)
        return self.sign.packets(content if isinstance(content, str) else " ".join(content))

    def next_at(self, gap: float) -> float | None:
        """When this sign is next due a frame (None: it shows what it should, for good):
        new content at once, the next page when the page has been up long enough, and
        never sooner than ``gap`` after its last frame (vendor §2.1: at most one refresh
        of a dynamic area a second; the newest content wins meanwhile)."""
        if self.desired is None:
            return None
        if self.desired != self.shown:
            at = self.retry_at
        elif self.pages > 1:
            at = self.page_at
        else:
            return None
        return max(at, self.last_frame + gap)

    def due(self, now: float, gap: float) -> bool:
        at = self.next_at(gap)
        return at is not None and now >= at


class SignWorker:
    """Signs sharing one transport URL (``led+serial://…`` or ``led+tcp://…``)."""

    def __init__(self, url: str, *, timeout: float = 1.0, retry_s: float = 5.0,
                 refresh_s: float = 60.0, reopen_max_s: float = 10.0,
                 min_gap_s: float = MIN_GAP_S, page_s: float = PAGE_S,
                 opener: Callable[[str, float], LedTransport] = open_transport) -> None:
        self.url = url
        self.timeout, self.retry_s, self.refresh_s = timeout, retry_s, refresh_s
        self.min_gap_s, self.page_s = min_gap_s, page_s
        self._reopen_max = reopen_max_s
        self._open = opener
        self._slots: dict[int, Slot] = {}
        self._order: list[int] = []  # addresses in round-robin order
        self._next = 0
        self._cond = threading.Condition()
        self._transport: LedTransport | None = None
        self._reopen_at = 0.0
        self._reopen_delay = 0.0
        self._refresh_at = time.monotonic() + refresh_s
        self._stopped = False
        self._thread: threading.Thread | None = None
        self.transport_error: str | None = None
        self.errors = 0  # failed exchanges, for the device's health

    # -- what the bridge calls ------------------------------------------------------------

    def add(self, sign: Sign, label: str) -> None:
        with self._cond:
            if sign.address in self._slots:
                raise ValueError(f"{self.url}: two signs at address {sign.address}")
            self._slots[sign.address] = Slot(sign, label)
            self._order.append(sign.address)

    def has(self, address: int) -> bool:
        with self._cond:
            return address in self._slots

    def show(self, address: int, content: Content) -> None:
        """Ask for `content` on the sign at `address`; only the newest request is sent."""
        with self._cond:
            slot = self._slots[address]
            if slot.desired != content:
                slot.desired = content
                self._cond.notify()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"led {self.url}",
                                            daemon=True)
            self._thread.start()

    def close(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
        self._close_transport()

    def health(self) -> dict[str, object]:
        with self._cond:
            signs = [{"address": s.sign.address, "label": s.label, "ok": s.ok,
                      "error": s.error, "shows": (_as_text(s.shown) or "")[:40]} for s in
                     (self._slots[a] for a in self._order)]
            return {"url": self.url, "open": self._transport is not None,
                    "error": self.transport_error, "errors": self.errors, "signs": signs}

    def wait_idle(self, timeout: float) -> bool:
        """True once every sign that answers shows its newest content (for tests, demos)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._cond:
                if all(s.desired == s.shown for s in self._slots.values() if s.ok is not False):
                    return True
            time.sleep(0.02)
        return False

    # -- the worker thread ----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                slot = self._pick()
                while slot is None and not self._stopped:
                    self._cond.wait(self._sleep())
                    slot = self._pick()
                if self._stopped:
                    return
                content = slot.desired
            try:
                self._send(slot, content)
            except Exception:  # noqa: BLE001 - a worker never dies; the error is in health
                log.exception("LED worker %s: unexpected failure", self.url)
                self._fail(slot, "unexpected error", time.monotonic())

    def _pick(self) -> Slot | None:
        """The next sign due, round robin; None when the transport waits to be reopened."""
        now = time.monotonic()
        if now >= self._refresh_at:
            self._refresh_at = now + self.refresh_s
            for s in self._slots.values():
                if s.ok:
                    s.shown = None
        if self._transport is None and now < self._reopen_at:
            return None
        n = len(self._order)
        for i in range(n):
            slot = self._slots[self._order[(self._next + i) % n]]
            if slot.due(now, self.min_gap_s):
                self._next = (self._next + i + 1) % n
                return slot
        return None

    def _sleep(self) -> float:
        now = time.monotonic()
        wake = [self._refresh_at]
        if self._transport is None:
            wake.append(self._reopen_at)
        wake += [at for s in self._slots.values()
                 if (at := s.next_at(self.min_gap_s)) is not None and at > now]
        return max(0.01, min(wake) - now)

    def _send(self, slot: Slot, content: Content) -> None:
        try:
            packets = slot.packets(content)
        except bx.ProtocolError as exc:  # text the sign cannot take: never retried
            with self._cond:
                slot.shown, slot.pages, slot.error = content, 1, f"not sent: {exc}"
                self.errors += 1
            log.warning("LED %s: %s", slot.label, exc)
            return
        transport = self._transport or self._reopen()
        if transport is None:
            return
        slot.sign.transport = transport
        page = (slot.page + 1) % len(packets) if content == slot.shown else 0
        now = time.monotonic()
        slot.last_frame = now  # a refused or unanswered frame still reached the bus
        try:
            slot.sign.send(packets[page])
        except LedTimeout:
            self._fail(slot, f"no reply in {self.timeout:g} s", now)
            with self._cond:
                all_dead = all(s.ok is False for s in self._slots.values())
            if all_dead:  # nobody answers: the link itself may be gone (TCP half-open)
                self._close_transport()
            return
        except SignError as exc:
            self._fail(slot, f"refused: {exc}", now)
            return
        except OSError as exc:  # ConnectionError, serial.SerialException, BrokenPipe …
            self._broken(f"{type(exc).__name__}: {exc}")
            return
        with self._cond:
            if slot.ok is False:
                log.info("LED %s answers again", slot.label)
            slot.shown, slot.ok, slot.error, slot.retry_at = content, True, None, 0.0
            slot.page, slot.pages, slot.page_at = page, len(packets), now + self.page_s
            slot.sent += 1

    def _fail(self, slot: Slot, error: str, now: float) -> None:
        with self._cond:
            if slot.ok is not False:
                log.warning("LED %s: %s", slot.label, error)
            slot.ok, slot.error = False, error
            slot.retry_at = now + self.retry_s
            self.errors += 1

    def _reopen(self) -> LedTransport | None:
        try:
            transport = self._open(self.url, self.timeout)
        except (OSError, ValueError) as exc:
            self._broken(f"cannot open: {exc}")
            return None
        with self._cond:
            self._transport = transport
            self._reopen_delay = 0.0
            if self.transport_error:
                log.info("LED transport %s open again", self.url)
            self.transport_error = None
            for s in self._slots.values():
                s.shown = None  # a controller that restarted shows nothing: send all again
        return transport

    def _broken(self, error: str) -> None:
        self._close_transport()
        with self._cond:
            if self.transport_error is None:
                log.warning("LED transport %s: %s", self.url, error)
            self.transport_error = error
            self.errors += 1
            self._reopen_delay = min(self._reopen_max, max(0.5, self._reopen_delay * 2))
            self._reopen_at = time.monotonic() + self._reopen_delay
            for s in self._slots.values():
                s.ok, s.error, s.shown, s.retry_at = False, error, None, 0.0

    def _close_transport(self) -> None:
        with self._cond:
            transport, self._transport = self._transport, None
        if transport is not None:
            try:
                transport.close()
            except OSError:
                pass


def _as_text(content: Content | None) -> str | None:
    if content is None or isinstance(content, str):
        return content
    return " | ".join(content)
