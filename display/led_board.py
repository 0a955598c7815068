"""What every LED sign of a hall should show, from the hall's events and snapshots.

Pure state, no devices: ``Board.apply(event)`` and ``Board.load_snapshot(snapshot)`` keep
each counter's state, the ticket at its window and the calls still standing (the server's
``calls.live``: a skipped, transferred or finished visit, or a paused window, leaves the
strip as it leaves the hall screen's panel); ``window_text`` and ``strip_lines`` turn that
into sign text. The LED bridge (led_bridge.py) sends the result.

Sign texts are Chinese only: the controllers' fonts are GB2312 (drivers/led/README.md), and
a hall sets its own wording in devices.toml (``texts``), e.g. for a bilingual strip.

多窗联办: a chain ticket's call says its step (``step``: "L001 第2步 请到3号窗口") where that
text fits the sign's width without scrolling (drivers/led/sign.py text_width), and the plain
call text otherwise — a 128-pixel window sign keeps "L001 请到3号窗口", still and whole,
rather than scroll a longer one; the step is a help, the number and window are the call.
"""
from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from drivers.led.sign import text_width

DEFAULT_TEXTS = {
    "call": "{number} 请到{counter}号窗口",
    "step": "{number} 第{step}步 请到{counter}号窗口",  # a 多窗联办 call, where it fits
    "paused": "暂停服务 {reason}",
    "idle": "{counter}号窗口 欢迎办理",
    "closed": "{counter}号窗口已关闭",
}
LEAVES_WINDOW = ("ticket.finished", "ticket.skipped", "ticket.held", "ticket.transferred",
                 "ticket.cancelled")
# the strip's whole text at most: the sign pages it to its controller's area limit (512
# bytes on BX-5K, 1024 on BX-6K: drivers/led/sign.py), so this bounds the pages to two
STRIP_BYTES = 900
log = logging.getLogger(__name__)


@dataclass
class CounterView:
    id: int
    number: int
    name: str = ""
    state: str = "closed"
    reason: str | None = None
    ticket_id: int | None = None
    ticket_number: str | None = None
    ticket_step: int | None = None  # 多窗联办: the step of the ticket at the window
    led_address: int | None = None
    live: bool = False  # state known from events or a snapshot (not just a listing)


@dataclass(frozen=True)
class Call:
    seq: int
    at: datetime | None
    number: str
    counter: int
    step: int | None = None  # 多窗联办


# Python's gb2312 codec decodes A1A4 and A1AA as U+30FB and U+2015, where GBK and everyday
# text use U+00B7 (·) and U+2014 (—): the same two glyphs of the sign's font
GB2312_SAME = str.maketrans({"\u00b7": "\u30fb", "\u2014": "\u2015"})


def safe_text(text: str, fallback: str = "?",
              missing: Callable[[str], None] | None = None) -> str:
    """What a GB2312 sign can show: other characters (生僻字 such as 䶮 or 𠮷, emoji) become
    ``fallback``, each reported to ``missing``; backslashes and control characters (which
    start controller escapes, §11.1) become spaces."""
    out = []
    for ch in text.translate(GB2312_SAME):
        if ch == "\\" or ch < " ":
            out.append(" ")
            continue
        try:
            ch.encode("gb2312")
            out.append(ch)
        except UnicodeEncodeError:
            out.append(fallback)
            if missing is not None:
                missing(ch)
    return "".join(out).strip()


def check_fallback(fallback: str) -> str:
    """A sign's fallback text must itself be showable (GB2312, no escapes)."""
    if not isinstance(fallback, str) or safe_text(fallback, "\0") != fallback.strip() \
            or not fallback.strip():
        raise ValueError(f"fallback = {fallback!r}: expected a short GB2312 text such as "
                         f"\"?\" or \"□\"")
    return fallback


def _step(call: dict[str, Any] | None) -> int | None:
    """The 多窗联办 step of a call event, a live call or a counter's current ticket."""
    chain = (call or {}).get("chain")
    return chain.get("step") if isinstance(chain, dict) else None


def _when(value: Any) -> datetime | None:
    try:
        at = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


class Board:
    def __init__(self, texts: dict[str, str] | None = None, strip_calls: int = 5,
                 strip_max_age_s: float = 4 * 3600, notices: list[str] | None = None,
                 fallback: str = "?") -> None:
        """``strip_max_age_s``: calls older than this leave the strip (0: never), so this
        morning's strip does not show yesterday's last calls. ``fallback``: what a sign
        shows for a character its GB2312 font lacks (each such character is logged once)."""
        self.fallback = check_fallback(fallback)
        self.missing: dict[str, int] = {}  # characters replaced so far, and how often
        unknown = set(texts or {}) - set(DEFAULT_TEXTS)
        if unknown:
            raise ValueError(f"texts: unknown key(s) {sorted(unknown)}; "
                             f"expected {sorted(DEFAULT_TEXTS)}")
        self.texts = {**DEFAULT_TEXTS, **(texts or {})}
        for key, template in self.texts.items():
            try:
                template.format(number="A001", counter=1, reason="", name="", step=2)
            except (KeyError, IndexError, ValueError) as exc:
                raise ValueError(f"texts.{key} = {template!r}: {exc!r}; use {{number}}, "
                                 f"{{counter}}, {{name}}, {{reason}}, {{step}}") from None
        self.counters: dict[int, CounterView] = {}
        self.calls: deque[Call] = deque(maxlen=max(1, strip_calls))
        self.max_age_s = strip_max_age_s
        self.config_notices = list(notices or [])
        self.notices: list[str] = []

    # -- state ---------------------------------------------------------------------------

    def counter(self, counter_id: int, number: int | None = None) -> CounterView | None:
        view = self.counters.get(counter_id)
        if view is None and number is not None:
            view = self.counters[counter_id] = CounterView(counter_id, number)
        return view

    def merge_counters(self, listing: list[dict[str, Any]], *, live: bool) -> None:
        """Counters from ``GET /counters`` (live=False: fills only counters no event has
        described yet, since the listing may be older than events already applied) or from
        a snapshot (live=True: authoritative as of its seq)."""
        for c in listing:
            view = self.counter(c["id"], c["number"])
            view.number, view.name = c["number"], c.get("name") or view.name
            view.led_address = c.get("led_address", view.led_address)
            if view.live and not live:
                continue
            view.state, view.reason = c.get("state", "closed"), c.get("pause_reason")
            current = c.get("current_ticket")
            view.ticket_id = c.get("current_ticket_id") if current else None
            view.ticket_number = current.get("number") if current else None
            view.ticket_step = _step(current)
            view.live = view.live or live

    def load_snapshot(self, snap: dict[str, Any]) -> None:
        self.merge_counters(snap.get("counters") or [], live=True)
        self.notices = [n for n in snap.get("notices") or [] if isinstance(n, str)]
        self._live(snap.get("live_calls") or [])

    def apply(self, e: dict[str, Any]) -> None:
        kind = e.get("type")
        if kind == "counter.state":
            view = self.counter(e["counter_id"], e.get("counter_number"))
            if view is None:
                return
            view.state, view.reason, view.live = e.get("state", view.state), e.get("reason"), True
            view.name = e.get("counter_name") or view.name
            if view.state == "closed":
                view.ticket_id = view.ticket_number = view.ticket_step = None
        elif kind in ("ticket.called", "ticket.recalled"):
            view = self.counter(e["counter_id"], e.get("counter_number"))
            if view is None:
                return
            view.ticket_id, view.ticket_number, view.live = e.get("ticket_id"), e["number"], True
            view.ticket_step = _step(e)
        elif kind == "calls.live":
            self._live(e.get("calls") or [])
        elif kind in LEAVES_WINDOW:
            for view in self.counters.values():
                if view.ticket_id is not None and view.ticket_id == e.get("ticket_id"):
                    view.ticket_id = view.ticket_number = view.ticket_step = None

    def _live(self, calls: list[dict[str, Any]]) -> None:
        """The live calls, newest first (as the server orders them), for the strip."""
        self.calls.clear()
        for c in calls:
            if c.get("number") and c.get("counter_number") is not None:
                self.calls.append(Call(0, _when(c.get("called_at")), c["number"],
                                       c["counter_number"], _step(c)))
                if len(self.calls) == self.calls.maxlen:
                    break

    # -- texts ---------------------------------------------------------------------------

    def clean(self, text: str) -> str:
        """``text`` as a sign can show it, the fallback for what it cannot (logged)."""
        return safe_text(text, self.fallback, self._missing)

    def _missing(self, ch: str) -> None:
        if ch not in self.missing:
            log.warning("LED sign: %r (U+%04X) is not in the signs' GB2312 font; shown as %r",
                        ch, ord(ch), self.fallback)
        self.missing[ch] = self.missing.get(ch, 0) + 1

    def call_text(self, number: str, counter: int, step: int | None,
                  width: int | None = None) -> str:
        """A call's text: with its 多窗联办 step when it has one and the text fits
        ``width`` pixels (None: any width), else the plain call."""
        values = {"number": number, "counter": counter, "name": "", "reason": "",
                  "step": step or ""}
        if step:
            with_step = self.clean(self.texts["step"].format(**values))
            if width is None or text_width(with_step) <= width:
                return with_step
        return self.clean(self.texts["call"].format(**values))

    def window_text(self, counter_id: int, width: int | None = None) -> str | None:
        """The window sign's text; ``width``: the sign's pixels (call_text)."""
        view = self.counters.get(counter_id)
        if view is None:
            return None
        if view.state not in ("closed", "paused") and view.ticket_number:
            return self.call_text(view.ticket_number, view.number, view.ticket_step, width)
        values = {"counter": view.number, "name": view.name, "reason": view.reason or "",
                  "number": view.ticket_number or "", "step": ""}
        key = view.state if view.state in ("closed", "paused") else "idle"
        return self.clean(self.texts[key].format(**values))

    def strip_lines(self, now: datetime | None = None, width: int | None = None
                    ) -> tuple[str, ...]:
        """Latest calls, newest first, then the hall's notices; within one frame's size.
        ``width``: the strip's pixels, which a call with its step must fit (call_text)."""
        now = now or datetime.now(UTC)
        fresh = [c for c in self.calls if not self.max_age_s or c.at is None
                 or (now - c.at).total_seconds() <= self.max_age_s]
        lines = [self.call_text(c.number, c.counter, c.step, width) for c in fresh]
        lines += [self.clean(n) for n in (self.notices or self.config_notices)]
        lines = [line for line in lines if line]
        while lines and len("\u3000\u3000".join(lines).encode("gb2312")) > STRIP_BYTES:
            lines.pop()
        return tuple(lines)
