"""One past day played in-process (`hall simulate --days N --fast`): the same plan and the
same steps as a live day's players (hall/simulate/steps.py), each one a service command
(hall/services) at its simulated moment. A clock the simulation sets (``PastClock``) is
the services' clock, so every stamp, number, quota and case is that day's, and nothing
waits: the players are events in time order (a discrete-event simulation), not threads.

A window that finds nobody waiting does not poll as a live one does every minute (40
windows × 8 hours would be 19,200 empty calls): it waits until a ticket of a service it
serves is issued or transferred, or — if such tickets wait but call-next chose none —
asks again a minute later."""
from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hall.domain.access import Actor
from hall.domain.errors import DomainError
from hall.services.context import Context, ManualClock
from hall.services.counters import signout, terminal
from hall.services.counters import state as counters
from hall.services.queue import appointments, booking_catalog, calling, tickets, visits
from hall.services.ratings import rating
from hall.simulate import steps
from hall.simulate.plan import Visitor
from hall.simulate.players import (
    IDLE_SECONDS,
    LUNCH_MINUTES,
    NO_SHOW_WAIT,
    WALK_SECONDS,
    Failed,
    Log,
    TurnedAway,
    label,
)

DAY_LIMIT = 24 * 3600  # simulated seconds after opening by which every window has left


class PastClock:
    """The simulated day's time: seconds since opening for the log (as the live Clock),
    and the moment the services are told (``services``, a ManualClock)."""

    def __init__(self, opening: datetime, open_hour: int):
        self.opening, self.open_hour, self.t = opening, open_hour, 0.0
        self.services = ManualClock(opening.astimezone(UTC))

    def set(self, t: float) -> None:
        self.t = t
        self.services.current = (self.opening + timedelta(seconds=t)).astimezone(UTC)

    def now(self) -> float:
        return self.t

    def label(self) -> str:
        return label(self.t, self.open_hour)

    def stamp(self) -> str:
        return (self.opening + timedelta(seconds=self.t)).isoformat(timespec="milliseconds")


@dataclass
class Desk:
    """A window through the day: ``idle`` waits for a ticket, ``asked`` has a call-next
    coming, ``busy`` serves, ``lunch`` pauses, ``out`` has signed out (or never in)."""

    window: steps.Window
    services: frozenset[int]  # what it serves (service ids)
    pad: Actor
    staff: Actor | None = None
    state: str = "out"
    idle_since: float = 0.0
    lunch_done: bool = False
    polls: int = 0  # a re-poll scheduled before the window was woken is stale


@dataclass
class FastDay:
    ctx: Context  # its clock is ``clock.services``
    clock: PastClock
    log: Log
    hall_id: int
    kiosk: Actor
    desks: list[Desk]
    early_s: int  # an appointment is checked in at most this long before its slot
    events: list[tuple[float, int, Callable, tuple]] = field(default_factory=list)
    plans: dict[int, dict[str, Any]] = field(default_factory=dict)  # ticket id → the visit
    waiting: Counter[int] = field(default_factory=Counter)  # service id → tickets waiting
    line: dict[int, str] = field(default_factory=dict)  # waiting ticket id → its token
    busy: int = 0
    arrivals_done: bool = False
    n: int = 0

    def play(self, plan: list[Visitor]) -> None:
        for desk in self.desks:
            self.at(0.0, self.sign_in, desk)
            self.at(desk.window.lunch_at, self.lunch_due, desk)
        for v in plan:
            self.at(v.at, self.arrive, v)
        self.at(plan[-1].at if plan else 0.0, self.doors_close)
        while self.events:
            t, _, step, args = heapq.heappop(self.events)
            if t > DAY_LIMIT:
                self.log.write("error", step="day", error="windows still busy at midnight")
                break
            self.clock.set(t)
            step(*args)
        self._go_home()

    def _go_home(self) -> None:
        """Who still waits when every window has left (for a service no window staffed
        that day serves) goes home: the visitor cancels with their ticket's token."""
        for tid, token in sorted(self.line.items()):
            try:
                self.do("cancel", tickets.cancel, hall_id=self.hall_id, actor=self.kiosk,
                        token=token)
                self.log.write("cancel", ticket=tid)
            except Failed:
                pass

    def at(self, t: float, step: Callable, *args: Any) -> None:
        if t != float("inf"):
            self.n += 1
            heapq.heappush(self.events, (t, self.n, step, args))

    def do(self, what: str, command: Callable, turned_away: frozenset[str] = frozenset(),
           **kw: Any) -> Any:
        """One service command at this moment; a refusal is logged as the live players
        log the server's (``turned_away``: the visitor rightly goes home)."""
        try:
            return command(self.ctx, **kw).value
        except DomainError as exc:
            if exc.code in turned_away:
                raise TurnedAway(exc.code) from exc
            self.log.write("error", step=what, code=exc.code, field=exc.field,
                           message=str(exc))
            raise Failed(what) from exc

    # ------------------------------------------------------------------ the kiosk

    def arrive(self, v: Visitor) -> None:
        try:
            ticket = self._ticket(v)
        except TurnedAway as away:
            self.log.write("turned_away", visitor=v.n, service=v.service, code=away.code)
            return
        except Failed:
            return
        self.plans[ticket["id"]] = steps.visit_of(v)
        self.log.write("issue", visitor=v.n, ticket=ticket["id"], number=ticket["number"],
                       service=v.service, kind=ticket["kind"], planned_kind=v.kind)
        self._queued(ticket["id"], ticket["token"], ticket["service"]["id"])

    def _ticket(self, v: Visitor) -> dict[str, Any]:
        if v.kind == "appointment":
            code = self._book(v)
            if code is not None:
                try:
                    return self.do("check_in", appointments.check_in,
                                   steps.UNAVAILABLE | steps.TOO_EARLY, hall_id=self.hall_id,
                                   actor=self.kiosk, code=code)
                except TurnedAway as away:
                    if away.code not in steps.TOO_EARLY:
                        raise
                    self.log.write("too_early", visitor=v.n, code=code)
        return self.do("issue", tickets.issue, steps.UNAVAILABLE, hall_id=self.hall_id,
                       service=v.service, actor=self.kiosk,
                       kind="priority" if v.kind == "priority" else "normal",
                       priority_reason=v.priority_reason)

    def _book(self, v: Visitor) -> str | None:
        """Book the first slot with places left that the visitor may check in for now;
        None (a normal ticket then) when there is none."""
        now = self.clock.services.now()
        try:
            slots = booking_catalog.slots(self.ctx, service=v.service, hall=self.hall_id,
                                          day=self.clock.opening.date())["slots"]
        except DomainError as exc:  # not bookable that day
            self.log.write("no_slot", visitor=v.n, service=v.service, code=exc.code)
            return None
        start = steps.slot_now(slots, now, self.early_s)
        if start is None:
            self.log.write("no_slot", visitor=v.n, service=v.service, code="none_now")
            return None
        booked = self.do("book", appointments.book, service=v.service,
                         start=datetime.fromisoformat(start), phone=steps.visitor_phone(v),
                         hall=self.hall_id)
        self.log.write("book", visitor=v.n, service=v.service, start=start,
                       code=booked["code"])
        return booked["code"]

    def doors_close(self) -> None:
        self.arrivals_done = True
        self.log.write("doors_closed")
        self._maybe_end()

    # ------------------------------------------------------------------ the windows

    def sign_in(self, desk: Desk) -> None:
        w = desk.window
        try:
            self.do("sign_in", counters.sign_in, counter_id=w.counter_id, staff_id=w.staff_id)
        except Failed:
            return
        desk.staff = Actor("staff", w.staff_id, self.hall_id, "staff", w.counter_id)
        self.log.write("sign_in", counter=w.number, staff=w.login)
        steps.take_reasons(w, terminal.board(self.ctx, w.counter_id, desk.staff),
                     rating.pad_state(self.ctx, desk.pad))
        self.free(desk)

    def free(self, desk: Desk) -> None:
        """The window can take the next visitor (or its lunch, or its leave)."""
        if not desk.lunch_done and self.clock.now() >= desk.window.lunch_at:
            self._lunch(desk)
            return
        try:
            ticket = self.do("call_next", calling.call_next, counter_id=desk.window.counter_id,
                             actor=desk.staff)
        except Failed:
            ticket = None
        if ticket is not None:
            self._serve(desk, ticket)
        elif self._over():
            self._sign_out(desk)
            self._maybe_end()
        else:
            desk.state, desk.idle_since = "idle", self.clock.now()
            if any(self.waiting[s] for s in desk.services):  # waiting, but not chosen
                desk.polls += 1
                self.at(self.clock.now() + IDLE_SECONDS, self._poll, desk, desk.polls)

    def _poll(self, desk: Desk, poll: int) -> None:
        if desk.state == "idle" and desk.polls == poll:
            self._ask(desk)

    def _ask(self, desk: Desk) -> None:
        desk.state = "asked"
        desk.polls += 1
        self.at(self.clock.now(), self.free, desk)

    def _queued(self, tid: int, token: str, service_id: int) -> None:
        """A ticket waits: the window idle longest that serves it calls."""
        self.line[tid] = token
        self.waiting[service_id] += 1
        idle = [d for d in self.desks if d.state == "idle" and service_id in d.services]
        if idle:
            self._ask(min(idle, key=lambda d: d.idle_since))

    def _over(self) -> bool:
        """No more visitors will come (the doors are closed, nobody is being served, so
        nobody is transferred) and nobody waits whom a window still here could call."""
        if not self.arrivals_done or self.busy:
            return False
        here = [d.services for d in self.desks if d.state != "out"]
        return not any(self.waiting[s] for s in frozenset().union(*here))

    def _maybe_end(self) -> None:
        if self._over():
            for desk in self.desks:
                if desk.state == "idle":
                    self._sign_out(desk)

    def lunch_due(self, desk: Desk) -> None:
        if desk.state == "idle":  # a busy window goes when its visitor leaves
            self._lunch(desk)

    def _lunch(self, desk: Desk) -> None:
        w, desk.lunch_done, desk.state = desk.window, True, "lunch"
        try:
            self.do("pause", counters.pause, counter_id=w.counter_id, actor=desk.staff,
                    reason=w.lunch_reason)
        except Failed:
            self.at(self.clock.now(), self.free, desk)
            return
        self.log.write("pause", counter=w.number, reason=w.lunch_reason)
        self.at(self.clock.now() + LUNCH_MINUTES * 60, self._resume, desk)

    def _resume(self, desk: Desk) -> None:
        try:
            self.do("resume", counters.resume, counter_id=desk.window.counter_id,
                    actor=desk.staff)
            self.log.write("resume", counter=desk.window.number)
        except Failed:
            pass
        self.free(desk)

    def _sign_out(self, desk: Desk) -> None:
        desk.state = "out"
        try:
            self.do("logout", signout.sign_out, actor=desk.staff)
        except Failed:
            return
        self.log.write("sign_out", counter=desk.window.number, staff=desk.window.login)

    # ------------------------------------------------------------------ a visit

    def _serve(self, desk: Desk, ticket: dict[str, Any]) -> None:
        tid, now = ticket["id"], self.clock.now()
        desk.state, self.busy = "busy", self.busy + 1
        if self.line.pop(tid, None) is not None:
            self.waiting[ticket["service_id"]] -= 1
        visit = self.plans.get(tid, steps.UNPLANNED)
        self.log.write("call", counter=desk.window.number, ticket=tid, number=ticket["number"])
        if visit["no_show"]:
            self.at(now + NO_SHOW_WAIT, self._visit_step, desk, "skip", tid, visit)
        else:
            self.at(now + WALK_SECONDS, self._visit_step, desk, "start", tid, visit)

    def _visit_step(self, desk: Desk, step: str, tid: int, visit: dict[str, Any]) -> None:
        w, now = desk.window, self.clock.now()
        try:
            if step == "skip":
                self.do("skip", calling.skip, counter_id=w.counter_id, actor=desk.staff)
                self.log.write("skip", counter=w.number, ticket=tid)
            elif step == "start":
                self.do("start", calling.start, counter_id=w.counter_id, actor=desk.staff)
                self.log.write("start", counter=w.number, ticket=tid)
                served = visit["minutes"] * 60 / (3 if visit["transfer_to"] else 1)
                then = "transfer" if visit["transfer_to"] else "finish"
                self.at(now + served, self._visit_step, desk, then, tid, visit)
                return
            elif step == "transfer":
                self._transfer(desk, tid, visit)
            else:
                self._finish(desk, tid, visit)
        except Failed:
            pass
        self.busy -= 1
        self.free(desk)

    def _transfer(self, desk: Desk, tid: int, visit: dict[str, Any]) -> None:
        w = desk.window
        moved = self.do("transfer", visits.transfer, counter_id=w.counter_id,
                        actor=desk.staff, to_service=visit["transfer_to"], note="转办")
        new = moved["new_ticket"]
        self.plans[new["id"]] = steps.after_transfer(visit)
        self.log.write("transfer", counter=w.number, ticket=tid,
                       to_service=visit["transfer_to"], new_ticket=new["id"])
        self._queued(new["id"], new["token"], new["service_id"])

    def _finish(self, desk: Desk, tid: int, visit: dict[str, Any]) -> None:
        w = desk.window
        self.do("finish", visits.finish, counter_id=w.counter_id, actor=desk.staff,
                **steps.finish_body(visit, tid))
        self.log.write("finish", counter=w.number, ticket=tid, outcome=visit["outcome"])
        if visit["rating"]:
            body = steps.rating_body(visit["rating"], w.rating_reasons, tid)
            self.do("rate", rating.rate, ticket_id=tid, actor=desk.pad, **body)
            self.log.write("rate", counter=w.number, ticket=tid, level=body["level"],
                           reason=body.get("reason"))
