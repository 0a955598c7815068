"""The LED bridge: window signs (窗口屏) and hall strips (通屏) follow the hall's events.

One bridge per ``[[led]]`` table of devices.toml (hall/agent/config.py), acting with a
``sign`` device token::

    [[led]]
    token = "…"                                  # hall device add --kind sign
    url = "led+serial:///dev/ttyUSB1?baudrate=9600"   # the default transport (an RS-485 bus)
    signs = [
      { counter = 1 },                            # address: the counter's led_address
      { counter = 2, address = 12, width = 96 },
      { counter = 5, url = "led+tcp://10.0.0.55:5005" },       # a networked controller
      { kind = "strip", address = 100, width = 256, model = "bx-6k" },   # a hall strip
    ]

``fallback`` (default ``"?"``, e.g. ``"□"``) is what a sign shows for a character its GB2312
font lacks (生僻字 such as 䶮 or 𠮷 in a notice or a name); each is logged once and listed in
the bridge's health (``replaced``).

``model`` is the sign's controller, ``bx-5k`` (the default) or ``bx-6k``, given per sign, in
a URL's query (``?model=bx-6k``) or for the whole table: it bounds the text of one dynamic
area (512 or 1024 bytes), and a longer text is shown as pages, each up ``page_s`` seconds.
Frames to one address go at most once a second (``min_gap_s``, vendor §2.1); updates that
come faster are coalesced, the newest text winning.

The sign device's address saved in the console (/admin/devices, ``led+…``) replaces the
table's ``url`` as the default bus; when an admin changes it the bridge hears
``config.changed`` for its device, asks ``GET /devices/me`` again and moves its signs there
without a restart (cleared: back to the table's).

When ``signs`` lists no window sign, every counter of the hall gets one on ``url`` at its
``led_address`` (its number when the server does not say). The bridge subscribes to the
hall room; the runtime resyncs it after every reconnect (backlog or snapshot), and each
transport's worker (drivers/led/worker.py) keeps its signs showing their newest text, so a
sign that was unreachable, or restarted, catches up with the latest state, not a stale one.
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any

from display.led_board import Board
from drivers.led.sign import HallStrip, WindowSign, parse_address, parse_model
from drivers.led.worker import MIN_GAP_S, PAGE_S, SignWorker
from drivers.urls import parse
from hall.agent.bridge import Link, LinkError

log = logging.getLogger(__name__)
SIGN_KEYS = {"counter", "kind", "address", "url", "width", "height", "model"}


class LedBridge:
    snapshot_on_start = True  # signs draw state: start from a snapshot, not a log replay

    def __init__(self, token: str, url: str, *, name: str = "",
                 signs: list[dict[str, Any]] | None = None, width: int = 128,
                 height: int = 16, strip_width: int = 256, strip_height: int = 16,
                 timeout: float = 1.0, retry_s: float = 5.0, refresh_s: float = 60.0,
                 reopen_max_s: float = 10.0, min_gap_s: float = MIN_GAP_S,
                 page_s: float = PAGE_S, model: str | None = None,
                 texts: dict[str, str] | None = None,
                 notices: list[str] | None = None, strip_calls: int = 5,
                 strip_max_age_h: float = 4, fallback: str = "?") -> None:
        self.token = token
        self.name = name or f"led {url}"
        self.url = _led_url(url, "url")
        self.board = Board(texts, strip_calls, strip_max_age_h * 3600, notices, fallback)
        self.size = (width, height)
        self.strip_size = (strip_width, strip_height)
        self._worker_options = {"timeout": timeout, "retry_s": retry_s, "refresh_s": refresh_s,
                                "reopen_max_s": reopen_max_s, "min_gap_s": min_gap_s,
                                "page_s": page_s}
        self._table_url, self._table_model = self.url, model
        self.model = parse_model(model or parse(self.url).options.get("model"))
        self.console_url: str | None = None
        self._recheck = False
        self._test_text: str | None = None  # a test asked for by /admin/devices
        self._test: dict[str, Any] | None = None  # its outcome, in the health reports
        self._restore_at = 0.0
        self._specs = [_check_sign(s, i) for i, s in enumerate(signs or [])]
        self._all_windows = not any(s["kind"] == "window" for s in self._specs)
        self._workers: dict[str, SignWorker] = {}
        # counter number → (worker, address, width): the width says whether a 多窗联办
        # call's step fits beside the number (led_board.Board.window_text)
        self._windows: dict[int, tuple[SignWorker, int, int] | None] = {}
        self._strips: list[tuple[SignWorker, int, int]] = []
        self._lock = threading.Lock()
        self._listed = False
        self._list_at = 0.0
        self.link: Link | None = None
        self.me: dict[str, Any] = {}

    # -- the Bridge contract (hall/agent/bridge.py) --------------------------------------

    def start(self, link: Link | None, me: dict[str, Any]) -> None:
        self.link, self.me = link, me
        self._listed = link is None  # without a link, events and snapshots are all there is
        with self._lock:
            self._use(me.get("url"))
            for spec in self._specs:
                if spec.get("kind") == "strip":
                    self._add_strip(spec)
        self._render()

    def _use(self, url: str | None) -> None:
        """The bus the console saved for this sign device (None: the table's ``url``)."""
        bus = _led_url(url, "url") if url else self._table_url
        model = parse_model(self._table_model or parse(bus).options.get("model"))
        self.console_url, self.url, self.model = url or None, bus, model

    def _moved(self) -> None:
        """The console's address may have changed: ask, and move every sign of the default
        bus to it if it did (the workers are rebuilt: no restart)."""
        assert self.link is not None
        try:
            url = (self.link.call("GET", "/devices/me") or {}).get("url")
        except Exception as exc:  # noqa: BLE001 - the server is away: ask again next poll
            log.info("%s: address not checked yet: %s", self.name, exc)
            return
        self._recheck = False
        if (url or None) == self.console_url:
            return
        with self._lock:
            before = self.url
            try:
                self._use(url)
            except ValueError as exc:
                log.warning("%s: address %r not used: %s", self.name, url, exc)
                return
            workers, self._workers = list(self._workers.values()), {}
            self._windows, self._strips = {}, []
        log.info("%s: moves from %s to %s (set in the console)", self.name, before, self.url)
        for worker in workers:
            worker.close()
        with self._lock:
            for spec in self._specs:
                if spec.get("kind") == "strip":
                    self._add_strip(spec)
        self._render()

    def rooms(self) -> list[str]:
        # its device's room carries device.test (the test button of /admin/devices)
        return [f"hall:{self.me['hall_id']}", f"device:{self.me['id']}"]

    def on_event(self, event: dict[str, Any]) -> None:
        if event.get("type") == "config.changed" and event.get("what") == "devices" \
                and event.get("device_id") == self.me.get("id"):
            self._recheck = True  # poll asks for the new address (no I/O in callbacks)
        if event.get("type") == "device.test" and event.get("device_id") == self.me.get("id"):
            # /admin/devices' test button: poll shows the text on every sign, then reports
            self._test_text = str(event.get("text") or "TEST")[:40]
            return
        with self._lock:
            self.board.apply(event)
        self._render()

    def on_snapshot(self, room: str, snapshot: dict[str, Any]) -> None:
        with self._lock:
            self.board.load_snapshot(snapshot)
        self._render()

    def poll(self) -> None:
        """Once, the hall's counters over HTTP: their led_address (window signs wait for
        it unless their table gives an address), names, and the state of counters that no
        event or snapshot has described."""
        if self._recheck and self.link is not None:
            self._moved()
        if self._test_text:
            self._run_test()
        elif self._restore_at and time.monotonic() >= self._restore_at:
            self._restore_at = 0.0
            self._render()  # the queue's texts again after the test
        if self._listed or self.link is None or time.monotonic() < self._list_at:
            return
        try:
            listing = self.link.call("GET", "/counters") or {}
        except LinkError as exc:
            self._list_at = time.monotonic() + 2.0
            log.info("%s: counters not listed yet (%s)", self.name, exc)
            return
        with self._lock:
            self.board.merge_counters(listing.get("counters", []), live=False)
        self._listed = True
        self._render()

    def _run_test(self) -> None:
        """Show the test text on every sign this bridge drives for a few seconds and keep
        the outcome (``test``: ok, or the first sign's error) for the next health report."""
        text, self._test_text = self._test_text, None
        with self._lock:
            targets = [t for t in self._windows.values() if t is not None]
            targets += self._strips
        for worker, address, _ in targets:
            worker.show(address, text)
        self.wait_idle(3.0)
        report = self.health()
        error = report["error"] or (None if targets else "no sign configured")
        self._test = {"ok": error is None, "error": error,
                      "at": datetime.now(UTC).isoformat()}
        self._restore_at = time.monotonic() + 5.0

    def health(self) -> dict[str, Any]:
        reports = [w.health() for w in list(self._workers.values())]
        signs = [s for r in reports for s in r["signs"]]
        dead = [s for s in signs if s["ok"] is False]
        broken = [r for r in reports if r["error"]]
        error = None
        if broken:
            error = f"{broken[0]['url']}: {broken[0]['error']}"
        elif dead:
            error = f"{dead[0]['label']}: {dead[0]['error']}"
        with self._lock:  # characters the signs' font lacks, shown as the fallback
            replaced = "".join(sorted(self.board.missing))[:40]
        return {"online": not dead and not broken, "errors": sum(r["errors"] for r in reports),
                "error": error, "signs": signs, "replaced": replaced or None,
                "test": self._test}

    def close(self) -> None:
        for worker in list(self._workers.values()):
            worker.close()

    # -- signs ---------------------------------------------------------------------------

    def _worker(self, url: str) -> SignWorker:
        worker = self._workers.get(url)
        if worker is None:
            worker = self._workers[url] = SignWorker(url, **self._worker_options)
            worker.start()
        return worker

    def _add_strip(self, spec: dict[str, Any]) -> None:
        worker = self._worker(spec.get("url", self.url))
        width, height = spec.get("width", self.strip_size[0]), spec.get("height",
                                                                         self.strip_size[1])
        strip = HallStrip(None, spec["address"], width, height, model=self._model(spec))
        worker.add(strip, f"strip @{strip.address}")
        self._strips.append((worker, strip.address, width))

    def _window(self, counter_number: int, led_address: int | None
                ) -> tuple[SignWorker, int, int] | None:
        """The window sign of a counter, created the first time the counter is known."""
        if counter_number in self._windows:
            return self._windows[counter_number]
        spec = next((s for s in self._specs if s.get("counter") == counter_number),
                    {"counter": counter_number} if self._all_windows else None)
        if spec is None:
            self._windows[counter_number] = None
            return None
        if "address" not in spec and not self._listed:
            return None  # the server's led_address is not known yet
        address = spec.get("address", led_address if led_address is not None else counter_number)
        worker = self._worker(spec.get("url", self.url))
        if worker.has(address):
            log.warning("%s: window %s would share address %s; no sign for it", self.name,
                        counter_number, address)
            self._windows[counter_number] = None
            return None
        sign = WindowSign(None, address, spec.get("width", self.size[0]),
                          spec.get("height", self.size[1]), model=self._model(spec))
        worker.add(sign, f"window {counter_number} @{address}")
        self._windows[counter_number] = (worker, address, sign.width)
        return self._windows[counter_number]

    def _model(self, spec: dict[str, Any]) -> str:
        """The sign's controller model: its table's, its own URL's, else the bridge's."""
        if "model" in spec:
            return spec["model"]
        if "url" in spec:
            return parse_model(parse(spec["url"]).options.get("model") or self.model)
        return self.model

    def _render(self) -> None:
        """Hand every sign its text; workers send only what changed. Called from the event
        thread and the poll thread, hence one lock (worker.show never blocks on I/O)."""
        with self._lock:
            for view in list(self.board.counters.values()):
                target = self._window(view.number, view.led_address)
                if target is None:
                    continue
                text = self.board.window_text(view.id, target[2])
                if text is not None:
                    target[0].show(target[1], text)
            for worker, address, width in self._strips:
                worker.show(address, self.board.strip_lines(width=width))

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """True once every answering sign shows its newest text (tests, the demo)."""
        return all(w.wait_idle(timeout) for w in list(self._workers.values()))


def _led_url(url: Any, where: str) -> str:
    if not isinstance(url, str):
        raise ValueError(f"{where}: expected a led+serial://… or led+tcp://… URL")
    device = parse(url)
    if device.protocol != "led":
        raise ValueError(f"{where}: {url!r} is not an LED sign URL (led+serial://… or "
                         f"led+tcp://…)")
    return url


def _check_sign(spec: Any, i: int) -> dict[str, Any]:
    where = f"signs[{i}]"
    if not isinstance(spec, dict):
        raise ValueError(f"{where}: expected a table such as {{ counter = 5 }}")
    unknown = set(spec) - SIGN_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {sorted(unknown)}; expected "
                         f"{sorted(SIGN_KEYS)}")
    spec = dict(spec)
    kind = spec.setdefault("kind", "window")
    if kind not in ("window", "strip"):
        raise ValueError(f"{where}.kind = {kind!r}: expected \"window\" or \"strip\"")
    if kind == "window" and not isinstance(spec.get("counter"), int):
        raise ValueError(f"{where}: a window sign needs counter = <window number>")
    if kind == "strip" and "address" not in spec:
        raise ValueError(f"{where}: a strip needs address = <its bus address>")
    if "address" in spec:
        spec["address"] = parse_address(spec["address"])
    if "url" in spec:
        spec["url"] = _led_url(spec["url"], f"{where}.url")
    if "model" in spec:
        spec["model"] = parse_model(str(spec["model"]))
    for key in ("width", "height"):
        if key in spec and not (isinstance(spec[key], int) and spec[key] > 0):
            raise ValueError(f"{where}.{key}: expected a number of pixels")
    return spec
