"""Bridges for the FF 68 caller keypad (叫号器) and rating keypad (评价器) of one counter.

A press becomes the same API call a member of staff makes at /counter (the keypad's device
token acts only for its own counter); the hall's events repaint the keypad's small display
with the current number and the waiting count of the counter's services. Garbage on the line
is counted by the bus (drivers/keypad/transport.py), never raised; a port that vanishes and
comes back is reopened and the display repainted. Contract: hall/agent/bridge.py. Keys and
frames: drivers/keypad/README.md.

The address saved for the keypad's device in the console (/admin/devices: ``keypad+…`` or
``pad+…``, with ``?address=N``) wins over the table's ``url`` and ``address``; when an admin
changes it, the bridge hears ``config.changed`` for its device, asks ``GET /devices/me`` again
and moves to the new port without a restart (cleared: back to the table's).

Constructor keys (one TOML table per device; several may share one RS-485 port, by address):
token, url, address, name, echo; KeypadBridge also pause_reasons, finish_outcome;
RatingKeypadBridge also low_reason, low_comment, scores. Examples in drivers/keypad/README.md.
"""
from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections import deque
from datetime import UTC, datetime
from typing import Any

from drivers.keypad import protocol as kp
from drivers.keypad.transport import KeypadBus, device_url, open_bus, release
from hall.agent.bridge import Link, LinkError

log = logging.getLogger("counter.keypad")
QUEUE_EVENTS = frozenset({"ticket.issued", "ticket.called", "ticket.cancelled",
                          "ticket.transferred", "ticket.reinstated", "ticket.unheld"})
GONE_EVENTS = frozenset({"ticket.finished", "ticket.skipped", "ticket.transferred",
                         "ticket.held"})
QUEUES_EVERY_S, QUEUES_MIN_S, SYNC_RETRY_S = 60.0, 2.0, 5.0
# A five-key pad cannot ask why a visit was rated 1–2: "其他" (other, in the default list)
# with this comment marks the reason as not given, so the follow-up owner asks the visitor
# instead of acting on a reason nobody chose (a "first configured reason" would accuse).
LOW_REASON, LOW_COMMENT = "其他", "评价器按键评价，未选原因"


def _address(address: int | str | None, options: dict[str, str]) -> int:
    value = address if address is not None else options.get("address", "1")
    text = str(value).strip().lower()  # "05" is decimal (as led URLs read it), "0x1f" hex
    number = int(text[2:], 16) if text.startswith("0x") else int(text)
    if not 0 <= number <= 0xFF:
        raise ValueError(f"a keypad address is one byte (0–255), not {value!r}")
    return number


class _Bridge(ABC):
    """What both bridges share: the bus, the counter they belong to, figures, no raising."""

    protocol = "keypad"

    def __init__(self, token: str, url: str, address: int | str | None = None,
                 name: str | None = None, echo: bool = True) -> None:
        self.token = token
        self.device = device_url(url, (self.protocol,))
        self.address = _address(address, self.device.options)
        self._table = (self.device, self.address)  # what devices.toml says
        self.device_id: int | None = None
        self.console_url: str | None = None
        self._recheck = False
        self._test_wanted = False  # a beep asked for by /admin/devices' test button
        self.test: dict[str, Any] | None = None  # its outcome, in the health reports
        self.name = name or f"{self.protocol} {self.address} on {self.device.target}"
        self.echo = echo  # acknowledge each good frame by echoing it (frmMain.cs does)
        self.bus: KeypadBus | None = None
        self.link: Link | None = None
        self.counter_id: int | None = None
        self.hall_id: int | None = None
        self.presses = self.refused = self.unknown_keys = self.failed = 0
        self.unknown_functions: dict[str, int] = {}  # function byte (hex) → frames dropped
        self.last_error: str | None = None
        self._seen: deque[int] = deque(maxlen=1024)
        self._generation = 0

    def start(self, link: Link, me: dict[str, Any]) -> None:
        if me.get("counter_id") is None:
            raise ValueError(f"{self.name}: the token's device is bound to no counter")
        self.link, self.counter_id, self.hall_id = link, me["counter_id"], me.get("hall_id")
        self.device_id = me.get("id")
        self._use(me.get("url"))
        self._open()

    def _use(self, url: str | None) -> None:
        """Take the console's address (None: the table's)."""
        self.console_url = url or None
        if url:
            self.device = device_url(url, (self.protocol,))
            self.address = _address(None, {**{"address": str(self._table[1])},
                                           **self.device.options})
        else:
            self.device, self.address = self._table

    def _open(self) -> None:
        self.bus = open_bus(self.device)
        self.bus.attach(self.address)
        self._generation = self.bus.generation

    def _moved(self) -> None:
        """The console's address may have changed: ask, and move to it if it did."""
        assert self.link is not None
        try:
            url = (self.link.call("GET", "/devices/me") or {}).get("url")
        except Exception as exc:  # noqa: BLE001 - the server is away: ask again next turn
            log.info("%s: address not checked yet: %s", self.name, exc)
            return
        self._recheck = False
        if (url or None) == self.console_url:
            return
        try:
            before = (self.device.raw, self.address)
            self._use(url)
        except ValueError as exc:
            self.last_error = f"address {url!r} not used: {exc}"
            log.warning("%s: %s", self.name, self.last_error)
            return
        log.info("%s: moves from %s @%s to %s @%s (set in the console)", self.name,
                 *before, self.device.raw, self.address)
        if self.bus is not None:
            release(self.bus)
        self._open()
        self._reconnected()

    def on_event(self, event: dict[str, Any]) -> None:
        if event.get("type") == "config.changed" and event.get("what") == "devices" \
                and event.get("device_id") == self.device_id:
            self._recheck = True  # poll asks for the new address (no I/O in callbacks)
        if event.get("type") == "device.test" and event.get("device_id") == self.device_id:
            self._test_wanted = True  # /admin/devices' test button: poll beeps, then reports
            return
        seq = event.get("seq")
        if seq is not None:
            if seq in self._seen:  # the same event heard through two rooms
                return
            self._seen.append(seq)
        try:
            self._event(event)
        except Exception:  # noqa: BLE001 - a strange event must not stop the bridge
            self.failed += 1
            log.exception("%s: could not apply event %s", self.name, event.get("type"))

    def on_snapshot(self, room: str, snapshot: dict[str, Any]) -> None:  # noqa: B027 - optional hook
        pass

    def poll(self) -> None:
        if self._test_wanted:
            self._test_wanted = False
            self._run_test()
        if self.bus is None:
            return
        if self._recheck:
            self._moved()
        try:
            self.bus.pump()
            if self.bus.generation != self._generation:  # the port came back
                self._generation = self.bus.generation
                self._reconnected()
            for frame in self.bus.take(self.address):
                self._frame(frame)
            self._tick()
        except Exception:  # noqa: BLE001 - never let one bad turn stop polling
            self.failed += 1
            log.exception("%s: poll failed", self.name)

    def _run_test(self) -> None:
        """Beep the keypad (or pad) and keep the outcome for the next health report."""
        error = None
        try:
            if self.bus is None:
                error = "keypad bus not open"
            else:
                self.bus.send(kp.beep_frame(self.address))
                error = self.bus.health().get("error")
        except Exception as exc:  # noqa: BLE001 - the bus's trouble is the test's answer
            error = str(exc)[:200]
        self.test = {"ok": error is None, "error": error, "at": datetime.now(UTC).isoformat()}

    def health(self) -> dict[str, Any]:
        bus = self.bus.health() if self.bus else {"online": False, "errors": 0}
        error = self.last_error or bus.get("error")
        return {**bus, "address": self.address, "presses": self.presses,
                "refused": self.refused, "unknown_keys": self.unknown_keys,
                "unknown_functions": dict(self.unknown_functions),
                "failed": self.failed,
                "errors": bus["errors"] + self.unknown_keys + sum(self.unknown_functions.values()),
                "error": error[:200] if error else None,
                "test": self.test}

    def close(self) -> None:
        if self.bus is not None:
            release(self.bus)
            self.bus = None

    # -- helpers for both ------------------------------------------------------------------
    def _ack(self, frame: kp.Frame) -> None:
        if self.echo and self.bus is not None:
            self.bus.send(frame)

    def _beep(self) -> None:
        if self.bus is not None:
            self.bus.send(kp.beep_frame(self.address))

    def _refuse(self, what: str, why: str) -> None:
        """A press the hall said no to (or that means nothing now): log, count, beep."""
        self.refused += 1
        self.last_error = f"{what}: {why}"
        log.warning("%s: %s refused: %s", self.name, what, why)
        self._beep()

    def _api(self, what: str, method: str, path: str, body: dict[str, Any] | None = None
             ) -> dict[str, Any] | None:
        """One API call for a press; None (logged, counted, beeped) when it did not work."""
        assert self.link is not None
        try:
            return self.link.call(method, path, body) or {}
        except LinkError as exc:
            error = (exc.body or {}).get("error") or {}
            self._refuse(what, f"{exc.status} {error.get('code')}: {error.get('message')}")
        except Exception as exc:  # noqa: BLE001 - the server is away: the press is lost
            self.failed += 1
            self.last_error = f"{what}: {exc}"
            log.warning("%s: %s failed: %s", self.name, what, exc)
            self._beep()
        return None

    @abstractmethod
    def _event(self, event: dict[str, Any]) -> None:
        """A hall event for this keypad's counter (the subclass decides what it shows)."""

    @abstractmethod
    def _frame(self, frame: kp.Frame) -> None:
        """A good frame from this keypad's address (the subclass maps its keys)."""

    # frames a host sends (display, beep) heard back on a shared line
    HOST_FUNCTIONS = kp.HOST_FUNCTIONS
    ACTS_ON = "keys with any function byte but 02, 03 and 11"  # for the log line

    def _unknown_function(self, frame: kp.Frame) -> None:
        """A frame from this address whose function byte this bridge does not act on (a
        rating, FUNC 11, at a caller keypad's address; a keypad's frame at a rating pad's):
        the device would otherwise look dead. Counted by function in the health report,
        logged, kept as the last error."""
        if frame.function in self.HOST_FUNCTIONS:
            return
        code = f"{frame.function:02x}"
        self.unknown_functions[code] = self.unknown_functions.get(code, 0) + 1
        self.last_error = f"unknown function {code}: {frame.data.hex(' ')}"
        log.warning("%s: frame with function %s (data %s) dropped: this bridge acts on %s",
                    self.name, code, frame.data.hex(" "), self.ACTS_ON)

    def _tick(self) -> None:  # noqa: B027 - optional hook
        pass

    def _reconnected(self) -> None:  # noqa: B027 - optional hook
        pass


class KeypadBridge(_Bridge):
    """A 21-key caller keypad at one counter."""

    def __init__(self, token: str, url: str, address: int | str | None = None,
                 name: str | None = None, echo: bool = True,
                 pause_reasons: list[str] | tuple[str, ...] = ("午休",),
                 finish_outcome: str = "done") -> None:
        super().__init__(token, url, address, name, echo)
        if not pause_reasons:
            raise ValueError(f"{self.name}: pause_reasons needs at least one reason")
        self.pause_reasons = list(pause_reasons)
        self.finish_outcome = finish_outcome
        self.state: str | None = None  # the counter's: open | paused | closed
        self.current: dict[str, Any] | None = None  # id, number, service_id (when known)
        self.services: set[int] = set()
        self.waiting: dict[int, int] = {}
        self.held: list[int] = []  # tickets set aside here, newest last (for 3 + 确认)
        self.shown: kp.Frame | None = None
        self._synced = False
        self._sync_at = self._queues_at = self._queues_asked = 0.0
        self._repaint = True

    def rooms(self) -> list[str]:
        # the hall room carries ticket.issued, which changes the waiting count
        return [f"counter:{self.counter_id}", f"hall:{self.hall_id}"]

    def on_snapshot(self, room: str, snapshot: dict[str, Any]) -> None:
        counter = snapshot.get("counter")
        if counter:
            self._take_counter(counter)
            self._synced = True
        if snapshot.get("queues") is not None:
            self.waiting = {q["service_id"]: q["waiting"] for q in snapshot["queues"]}
        self._repaint = True

    @property
    def waiting_count(self) -> int | None:
        if not self._synced:
            return None
        return sum(self.waiting.get(s, 0) for s in self.services)

    # -- the hall speaks ---------------------------------------------------------------------
    def _event(self, e: dict[str, Any]) -> None:
        kind, mine = e.get("type"), e.get("counter_id") == self.counter_id
        if mine and kind in ("ticket.called", "ticket.recalled"):
            self.current = {"id": e["ticket_id"], "number": e["number"],
                            "service_id": e.get("service_id")}
            self._repaint = True
        elif mine and kind in GONE_EVENTS:
            if self.current and self.current["id"] == e.get("ticket_id"):
                self.current = None
                self._repaint = True
            if kind == "ticket.held":
                self.held.append(e["ticket_id"])
        elif kind == "ticket.unheld" and e.get("ticket_id") in self.held:
            self.held.remove(e["ticket_id"])
        elif mine and kind == "counter.state":
            self.state = e.get("state")
            self._repaint = True
        if kind in QUEUE_EVENTS:
            service = (e.get("ticket") or {}).get("service", {}).get("id") \
                if kind == "ticket.issued" else e.get("service_id")
            if service is None or service in self.services:  # recount soon, not too often
                soon = max(time.monotonic(), self._queues_asked + QUEUES_MIN_S)
                self._queues_at = min(self._queues_at, soon)

    def _take_counter(self, c: dict[str, Any]) -> None:
        self.state = c.get("state")
        self.services = {s["service_id"] for s in c.get("services", [])}
        ticket = c.get("current_ticket")
        if ticket and c.get("current_ticket_id"):
            same = self.current and self.current["id"] == c["current_ticket_id"]
            self.current = self.current if same else {
                "id": c["current_ticket_id"], "number": ticket["number"], "service_id": None}
        else:
            self.current = None

    # -- the keypad speaks ------------------------------------------------------------------
    def _frame(self, frame: kp.Frame) -> None:
        # the reference host reads keys whatever the function byte, but 11 (a rating):
        # keypads that send 00 or 05 instead of 01 are served alike (README, "Function bytes")
        if not kp.is_key_frame(frame):
            return self._unknown_function(frame)  # host frames heard back are not counted
        self._ack(frame)  # echoed as it came, function byte included (frmMain.cs does)
        press = kp.interpret(frame, paused=self.state == "paused")
        if press is None:
            self.unknown_keys += 1
            self.last_error = f"unknown keys {frame.data.hex(' ')}"
            log.warning("%s: keys %s mean nothing here", self.name, frame.data.hex(" "))
            self._beep()
            return
        self.presses += 1
        log.info("%s: %s %s (function %02x)", self.name, press.action.value, press.digits,
                 frame.function)
        self._act(press)
        self._queues_at = 0.0  # a press moves the queue: recount now, not in 2 s
        self._repaint = True

    def _act(self, press: kp.Press) -> None:
        a, here = press.action, f"/counters/{self.counter_id}"
        if a is kp.Action.CALL_NEXT:
            if self.state == "paused" and self._api("resume", "POST", f"{here}/resume") is None:
                return
            answer = self._api("call next", "POST", f"{here}/call-next")
            if answer is not None:
                self.state = "open"
                ticket = answer.get("ticket")
                if ticket:
                    self.current = {"id": ticket["id"], "number": ticket["number"],
                                    "service_id": ticket.get("service_id")}
                else:
                    self._beep()  # nobody is waiting
        elif a in (kp.Action.PAUSE, kp.Action.RESUME):
            body = None
            if a is kp.Action.PAUSE:
                index = int(press.digits or "1") - 1
                if not 0 <= index < len(self.pause_reasons):
                    return self._refuse("pause", f"no pause reason number {press.digits}")
                body = {"reason": self.pause_reasons[index]}
            answer = self._api(a.value, "POST", f"{here}/{a.value}", body)
            if answer is not None:
                self.state = answer.get("state", self.state)
        elif a is kp.Action.TRANSFER:
            self._transfer(press, here)
        elif a is kp.Action.UNHOLD:
            if not self.held:
                return self._refuse("call back", "no ticket was set aside here")
            self._api("call back", "POST", f"{here}/unhold", {"ticket_id": self.held[-1]})
        else:
            body = {"outcome": self.finish_outcome} if a is kp.Action.FINISH else None
            body = {} if a is kp.Action.HOLD else body
            if self._api(a.value, "POST", f"{here}/{a.value}", body) is not None \
                    and a in (kp.Action.SKIP, kp.Action.FINISH, kp.Action.HOLD):
                self.current = None

    def _transfer(self, press: kp.Press, here: str) -> None:
        """N then 转移 sends the visitor to counter N; 转移 alone puts them back in their
        service's queue, keeping their arrival time (frmMain.cs: 转移-丢回去)."""
        if press.digits:
            body: dict[str, Any] = {"to_counter": int(press.digits)}
        elif self.current and self.current.get("service_id"):
            body = {"to_service": self.current["service_id"]}
        else:
            return self._refuse("transfer", "type the counter number before 转移")
        if self._api("transfer", "POST", f"{here}/transfer", body) is not None:
            self.current = None

    # -- keeping the display right -----------------------------------------------------------
    def _tick(self) -> None:
        now = time.monotonic()
        if not self._synced and now >= self._sync_at:
            self._sync(now)
        if self._synced and now >= self._queues_at:
            self._refresh_queues(now)
        if self._repaint and self.bus is not None and self.bus.online:
            frame = kp.display_frame(self.address, self.waiting_count,
                                     self.current["number"] if self.current else None)
            if self.bus.send(frame):
                self.shown, self._repaint = frame, False

    def _reconnected(self) -> None:
        self._repaint = True

    def _sync(self, now: float) -> None:
        """The counter's state, services and current ticket, once at start (and after
        failures): events only tell what changes."""
        assert self.link is not None
        self._sync_at = now + SYNC_RETRY_S
        try:
            counters = self.link.call("GET", "/counters") or {}
        except Exception as exc:  # noqa: BLE001 - try again later
            self.last_error = f"sync: {exc}"
            log.warning("%s: cannot read the counter yet: %s", self.name, exc)
            return
        mine = next((c for c in counters.get("counters", []) if c["id"] == self.counter_id),
                    None)
        if mine is None:
            self.last_error = f"counter {self.counter_id} not found"
            return
        self._take_counter(mine)
        self._synced, self._queues_at, self._repaint = True, 0.0, True

    def _refresh_queues(self, now: float) -> None:
        assert self.link is not None
        self._queues_asked = now
        self._queues_at = now + QUEUES_EVERY_S
        try:
            queues = self.link.call("GET", f"/queues?hall={self.hall_id}") or {}
        except Exception as exc:  # noqa: BLE001 - keep the last count; retry soon
            self._queues_at = now + SYNC_RETRY_S
            self.last_error = f"queues: {exc}"
            return
        waiting = {q["service_id"]: q["waiting"] for q in queues.get("services", [])}
        if waiting != self.waiting:
            self.waiting, self._repaint = waiting, True


class RatingKeypadBridge(_Bridge):
    """A five-key rating pad (评价器) at one counter: rates the visit the counter finished."""

    protocol = "pad"
    ACTS_ON = "scores with function 11"
    # the host's start-rating frame and score acks (both 01) and beeps heard back
    HOST_FUNCTIONS = frozenset({kp.Function.KEY, kp.Function.DISPLAY, kp.Function.BEEP})

    def __init__(self, token: str, url: str, address: int | str | None = None,
                 name: str | None = None, echo: bool = True, low_reason: str = LOW_REASON,
                 low_comment: str = LOW_COMMENT, scores: dict[str | int, int] | None = None
                 ) -> None:
        super().__init__(token, url, address, name, echo)
        if not low_reason.strip():
            raise ValueError(f"{self.name}: low_reason may not be empty (1–2 need a reason)")
        self.low_reason, self.low_comment = low_reason, low_comment
        self.scores = None if scores is None else {int(k): int(v) for k, v in scores.items()}
        self.finished: dict[str, Any] | None = None  # the visit to rate: id, number, rated
        self.ratings = 0
        self._ask = False

    def rooms(self) -> list[str]:
        # its device's room carries config.changed for it (a new address in the console)
        return [f"counter:{self.counter_id}", f"device:{self.device_id}"]

    def _event(self, e: dict[str, Any]) -> None:
        if e.get("counter_id") != self.counter_id:
            return
        if e.get("type") == "ticket.finished":
            self.finished = {"id": e["ticket_id"], "number": e.get("number"), "rated": False}
            self._ask = True
        elif e.get("type") == "ticket.rated" and self.finished \
                and self.finished["id"] == e.get("ticket_id"):
            self.finished["rated"] = True  # e.g. rated on the tablet pad meanwhile

    def _tick(self) -> None:
        if self._ask and self.bus is not None and self.bus.online:
            self._ask = not self.bus.send(kp.start_rating_frame(self.address))

    def _reconnected(self) -> None:
        self._ask = bool(self.finished and not self.finished["rated"])

    def _ack(self, frame: kp.Frame) -> None:
        """A score is answered with FUNC 01 and the score, not echoed: the reference host
        does so (protocol.score_ack)."""
        super()._ack(kp.score_ack(frame))

    def _frame(self, frame: kp.Frame) -> None:
        if frame.function != kp.Function.SCORE:
            return self._unknown_function(frame)  # host frames heard back are not counted
        self._ack(frame)
        level = kp.score_level(frame, self.scores)
        if level is None:
            self.unknown_keys += 1
            self.last_error = f"unknown score {frame.data.hex(' ')}"
            log.warning("%s: score %s means nothing", self.name, frame.data.hex(" "))
            self._beep()
            return
        self.presses += 1
        if self.finished is None:
            return self._refuse("rating", "no visit finished at this counter to rate")
        body: dict[str, Any] = {"level": level}
        if level <= 2:
            body.update(reason=self.low_reason, comment=self.low_comment or None)
        answer = self._api(f"rating {level}", "POST", f"/tickets/{self.finished['id']}/rating",
                           body)
        if answer is not None:
            self.ratings += 1
            self.finished["rated"] = True
            log.info("%s: %s rated %d (%s)", self.name, self.finished["number"], level,
                     kp.LEVEL_NAMES[level])

    def health(self) -> dict[str, Any]:
        return {**super().health(), "ratings": self.ratings}
