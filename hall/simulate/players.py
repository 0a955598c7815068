"""The players of a simulated day, each speaking only HTTP to a running server: the kiosk
(issues, or books and checks in an appointment), one staff member per window (signs in,
calls, skips who never comes, starts, transfers or finishes, pauses for lunch, signs out)
and the window's rating pad. Every step goes to a JSON-lines log; every answer the server
should not have given is an error, logged and counted (``--soak`` fails on any).

The simulated clock runs ``speed`` times faster than the wall clock from the opening hour;
the server stamps its own real times, so a day at speed 60 takes its hours in minutes."""
from __future__ import annotations

import json
import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import requests

from hall.services.queue.tickets import EARLY_MINUTES
from hall.simulate.plan import Visitor
from hall.simulate.steps import (
    TOO_EARLY,
    UNAVAILABLE,
    UNPLANNED,
    Window,
    after_transfer,
    finish_body,
    rating_body,
    slot_now,
    take_reasons,
    visit_of,
    visitor_phone,
)

LUNCH_MINUTES = 45
IDLE_SECONDS = 60  # simulated seconds a free window waits before asking again
# …and real seconds the whole hall's idle windows take between them at least: far above
# 60× a window's minute is a few microseconds, and 40 windows asking nonstop would keep the
# server from the kiosk's tickets (one asking window costs it a few ms a question)
IDLE_ASKS_PER_S = 100
WALK_SECONDS = 40  # from the call to the window
NO_SHOW_WAIT = 90  # how long staff wait for someone who never comes
RATE_LIMIT_TRIES = 4  # a 429 is waited out (Retry-After) this many times less one
KIOSK_PER_MINUTE = 15  # tickets one kiosk issues per real minute (under the server's limit)


class Log:
    """The day's JSON lines (thread-safe), and its errors."""

    def __init__(self, path: Path, clock: Clock):
        self.path, self.clock = path, clock
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed by close()
        self.lock = threading.Lock()
        self.errors: list[dict[str, Any]] = []
        self.extra: dict[str, Any] = {}  # on every line (a past day's ``date``)

    def write(self, do: str, **fields: Any) -> None:
        line = {"t": self.clock.label(), "at": self.clock.stamp(), **self.extra, "do": do,
                **fields}
        with self.lock:
            self.file.write(json.dumps(line, ensure_ascii=False) + "\n")
            self.file.flush()
            if do == "error":
                self.errors.append(line)

    def close(self) -> None:
        self.file.close()


class Clock:
    """Simulated seconds since opening, ``speed`` times the wall clock."""

    def __init__(self, speed: float, open_hour: int):
        self.speed, self.open_hour = speed, open_hour
        self.t0 = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self.t0) * self.speed

    def sleep(self, seconds: float, at_least: float = 0.0) -> None:
        """``seconds`` simulated, and ``at_least`` real ones."""
        if seconds > 0:
            time.sleep(max(seconds / self.speed, at_least))

    def sleep_until(self, at: float) -> None:
        self.sleep(at - self.now())

    def label(self) -> str:
        return label(self.now(), self.open_hour)

    def stamp(self) -> str:
        """The real moment, as the server stamps it."""
        return datetime.now().astimezone().isoformat(timespec="milliseconds")


def label(seconds: float, open_hour: int) -> str:
    """Simulated seconds since opening as the hall's clock time, 09:41:07."""
    s = int(seconds) + open_hour * 3600
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


class Failed(Exception):
    """The server refused a step; already logged."""


class TurnedAway(Exception):
    """The kiosk rightly refused the visitor (the service is closed or out of tickets), as
    its greyed button would have: not an error."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass
class Day:
    """What the players share."""

    url: str
    clock: Clock
    log: Log
    close_at: float  # simulated seconds after opening when the doors close
    idle_s: float = 0.0  # real seconds an idle window waits at least (IDLE_ASKS_PER_S)
    arrivals_done: threading.Event = field(default_factory=threading.Event)
    plans: dict[int, dict[str, Any]] = field(default_factory=dict)  # ticket id → the visit
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)  # ticket id → expected
    busy: int = 0  # windows with a visitor called or served
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self, http: requests.Session, method: str, path: str, what: str,
             expect: tuple[int, ...] = (200, 201), turned_away: frozenset[str] = frozenset(),
             **kw: Any) -> Any:
        for attempt in range(RATE_LIMIT_TRIES):
            try:
                r = http.request(method, self.url + path, timeout=30, **kw)
            except requests.RequestException as exc:
                self.log.write("error", step=what, path=path, error=repr(exc))
                raise Failed(what) from exc
            if r.status_code != 429 or attempt == RATE_LIMIT_TRIES - 1:
                break
            # the server's rate limit (a busy kiosk at a high --speed): wait as it says
            wait = min(float(r.headers.get("Retry-After") or 1), 60.0)
            self.log.write("rate_limited", step=what, path=path, wait_s=wait)
            time.sleep(wait)
        if r.status_code == 409 and turned_away:
            code = (r.json().get("error") or {}).get("code")
            if code in turned_away:
                raise TurnedAway(code)
        if r.status_code not in expect:
            self.log.write("error", step=what, path=path, status=r.status_code,
                           body=r.text[:500])
            raise Failed(what)
        return r.json() if r.content else None


def bearer(token: str) -> requests.Session:
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    return http


def kiosk(day: Day, tokens: list[str], plan: list[Visitor], today: date) -> None:
    """Issue each visitor's ticket at their time (appointments book a slot first), at the
    hall's kiosks in turn."""
    kiosks = [bearer(token) for token in tokens]
    public = requests.Session()
    try:
        for v in plan:
            day.clock.sleep_until(v.at)
            http = kiosks[v.n % len(kiosks)]
            try:
                ticket = _arrive(day, http, public, v, today)
            except TurnedAway as away:
                day.log.write("turned_away", visitor=v.n, service=v.service, code=away.code)
                continue
            except Failed:
                continue
            visit = visit_of(v)
            with day.lock:
                day.plans[ticket["id"]] = visit
                day.tickets[ticket["id"]] = {"token": ticket.get("token"), "state": "waiting"}
            day.log.write("issue", visitor=v.n, ticket=ticket["id"],
                          number=ticket.get("number"), service=v.service,
                          kind=ticket.get("kind", v.kind), planned_kind=v.kind)
    finally:
        day.arrivals_done.set()
        day.log.write("doors_closed")
        for http in kiosks:
            http.close()
        public.close()


def _arrive(day: Day, http: requests.Session, public: requests.Session, v: Visitor,
            today: date) -> dict[str, Any]:
    if v.kind == "appointment":
        code = _book(day, public, v, today)
        if code is not None:
            try:
                return day.call(http, "POST", "/api/v1/appointments/check-in", "check_in",
                                json={"code": code}, turned_away=UNAVAILABLE | TOO_EARLY)
            except TurnedAway as away:
                if away.code not in TOO_EARLY:
                    raise
                day.log.write("too_early", visitor=v.n, code=code)  # a number instead
    body: dict[str, Any] = {"service": v.service,
                            "kind": "priority" if v.kind == "priority" else "normal"}
    if v.priority_reason:
        body["priority_reason"] = v.priority_reason
    return day.call(http, "POST", "/api/v1/tickets", "issue", json=body,
                    turned_away=UNAVAILABLE)


def _book(day: Day, public: requests.Session, v: Visitor, today: date) -> str | None:
    """Book the first slot of today with places left that the visitor may check in for
    now; None when there is none (the visitor then takes a normal ticket)."""
    r = public.get(day.url + "/api/v1/appointments/slots",
                   params={"service": v.service, "day": today.isoformat()}, timeout=30)
    if r.status_code != 200:  # not bookable (no appointments for this service, …)
        day.log.write("no_slot", visitor=v.n, service=v.service, status=r.status_code)
        return None
    start = slot_now(r.json().get("slots", []), datetime.now(UTC), EARLY_MINUTES * 60)
    if start is None:
        day.log.write("no_slot", visitor=v.n, service=v.service, status=200)
        return None
    booked = day.call(public, "POST", "/api/v1/appointments", "book",
                      json={"service": v.service, "start": start, "phone": visitor_phone(v)})
    day.log.write("book", visitor=v.n, service=v.service, start=start, code=booked["code"])
    return booked["code"]


def _read_window(day: Day, http: requests.Session, pad: requests.Session,
                 window: Window) -> None:
    """What the terminal and the pad show: the hall's pause and rating reasons."""
    board = day.call(http, "GET", f"/api/v1/counters/{window.counter_id}", "terminal")
    shown = day.call(pad, "GET", f"/pad/{window.pad_id}/state", "pad_state")
    take_reasons(window, board, shown)


def staff(day: Day, window: Window) -> None:
    """One window's day: sign in, serve until the doors are closed and nobody is left,
    with a lunch pause, then sign out."""
    http = requests.Session()
    pad = bearer(window.pad_token)
    base = f"/api/v1/counters/{window.counter_id}"
    try:
        signed = day.call(http, "POST", "/api/v1/auth/login", "login",
                          json={"login": window.login, "password": window.password})
        http.headers["X-CSRFToken"] = signed["csrf_token"]
        day.call(http, "POST", base + "/sign-in", "sign_in")
        day.log.write("sign_in", counter=window.number, staff=window.login)
        _read_window(day, http, pad, window)
    except Failed:
        return
    lunch_done = False
    while True:
        if not lunch_done and day.clock.now() >= window.lunch_at:
            lunch_done = True
            _lunch(day, http, base, window)
            continue
        try:
            answer = day.call(http, "POST", base + "/call-next", "call_next")
        except Failed:
            day.clock.sleep(IDLE_SECONDS, at_least=day.idle_s)
            continue
        ticket = answer.get("ticket")
        if ticket is None:
            with day.lock:
                nobody_busy = day.busy == 0
            if day.arrivals_done.is_set() and nobody_busy:
                break
            day.clock.sleep(IDLE_SECONDS, at_least=day.idle_s)
            continue
        with day.lock:
            day.busy += 1
        try:
            _serve(day, http, pad, base, window, ticket)
        except Failed:
            pass
        finally:
            with day.lock:
                day.busy -= 1
    try:
        day.call(http, "POST", "/api/v1/auth/logout", "logout")
        day.log.write("sign_out", counter=window.number, staff=window.login)
    except Failed:
        pass
    finally:
        http.close()
        pad.close()


def _lunch(day: Day, http: requests.Session, base: str, window: Window) -> None:
    try:
        day.call(http, "POST", base + "/pause", "pause", json={"reason": window.lunch_reason})
        day.log.write("pause", counter=window.number, reason=window.lunch_reason)
        day.clock.sleep(LUNCH_MINUTES * 60)
        day.call(http, "POST", base + "/resume", "resume")
        day.log.write("resume", counter=window.number)
    except Failed:
        pass


def _serve(day: Day, http: requests.Session, pad: requests.Session, base: str,
           window: Window, ticket: dict[str, Any]) -> None:
    tid = ticket["id"]
    with day.lock:
        visit = day.plans.get(tid)
    if visit is None:
        visit = UNPLANNED
    day.log.write("call", counter=window.number, ticket=tid, number=ticket.get("number"))
    if visit["no_show"]:
        day.clock.sleep(NO_SHOW_WAIT)
        day.call(http, "POST", base + "/skip", "skip")
        _expect(day, tid, "no_show")
        day.log.write("skip", counter=window.number, ticket=tid)
        return
    day.clock.sleep(WALK_SECONDS)
    day.call(http, "POST", base + "/start", "start")
    day.log.write("start", counter=window.number, ticket=tid)
    if visit["transfer_to"]:
        day.clock.sleep(visit["minutes"] * 60 / 3)
        moved = day.call(http, "POST", base + "/transfer", "transfer",
                         json={"to_service": visit["transfer_to"], "note": "转办"})
        new = _new_ticket(moved)
        _expect(day, tid, "transferred")
        if new is not None:
            with day.lock:
                day.plans[new["id"]] = after_transfer(visit)
                day.tickets[new["id"]] = {"token": new.get("token"), "state": "waiting"}
        day.log.write("transfer", counter=window.number, ticket=tid,
                      to_service=visit["transfer_to"],
                      new_ticket=None if new is None else new["id"])
        return
    day.clock.sleep(visit["minutes"] * 60)
    day.call(http, "POST", base + "/finish", "finish", json=finish_body(visit, tid))
    _expect(day, tid, "done")
    day.log.write("finish", counter=window.number, ticket=tid, outcome=visit["outcome"])
    if visit["rating"]:
        rating = rating_body(visit["rating"], window.rating_reasons, tid)
        day.call(pad, "POST", f"/api/v1/tickets/{tid}/rating", "rate", json=rating)
        _expect(day, tid, "rated")
        day.log.write("rate", counter=window.number, ticket=tid, level=rating["level"],
                      reason=rating.get("reason"))


def _new_ticket(moved: Any) -> dict[str, Any] | None:
    """The ticket a transfer made, from the transfer's answer."""
    if not isinstance(moved, dict):
        return None
    for key in ("new_ticket", "ticket", "to"):
        value = moved.get(key)
        if isinstance(value, dict) and "id" in value:
            return value
    return None


def _expect(day: Day, tid: int, state: str) -> None:
    with day.lock:
        if tid in day.tickets:
            day.tickets[tid]["state"] = state


def check_states(day: Day) -> None:
    """Soak: each ticket's state on the server is the state the log expects."""
    http = requests.Session()
    try:
        for tid, want in sorted(day.tickets.items()):
            if not want.get("token"):
                continue
            r = http.get(f"{day.url}/api/v1/tickets/{want['token']}", timeout=30)
            got = r.json().get("state") if r.ok else r.status_code
            if got != want["state"]:
                day.log.write("error", step="check", ticket=tid, expected=want["state"],
                              got=got)
    finally:
        http.close()


def play(day: Day, kiosk_tokens: list[str], plan: list[Visitor], windows: list[Window],
         today: date) -> None:
    """Run the kiosks and every window until the day is over."""
    threads = [threading.Thread(target=kiosk, args=(day, kiosk_tokens, plan, today),
                                name="sim-kiosk", daemon=True)]
    threads += [threading.Thread(target=staff, args=(day, w), name=f"sim-window-{w.number}",
                                 daemon=True) for w in windows]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def kiosks_needed(plan: list[Visitor], speed: float, cap: int = 10) -> int:
    """Enough kiosks that none issues more than KIOSK_PER_MINUTE in a real minute at the
    day's busiest simulated hour (at most ``cap``)."""
    per_hour = Counter(int(v.at // 3600) for v in plan)
    busiest = max(per_hour.values(), default=0)
    per_real_minute = busiest * speed / 60
    return max(1, min(cap, math.ceil(per_real_minute / KIOSK_PER_MINUTE)))


def lunch_times(count: int, open_hour: int, close_hour: int) -> list[float]:
    """Half the windows lunch from 12:00, the other half after them, so the hall stays
    open; a day that does not span noon has no lunch."""
    if not open_hour <= 12 < close_hour:
        return [float("inf")] * count
    noon = (12 - open_hour) * 3600
    return [noon + (i % 2) * (LUNCH_MINUTES + 5) * 60 for i in range(count)]


