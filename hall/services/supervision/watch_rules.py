"""电子监察 rules: what the watch looks at every few seconds, in one shape.

A ``Rule`` owns one key prefix and has ``find(uow, hall_id, settings) -> [Finding]``: it
reads what is wrong *now* with one cheap indexed query and writes nothing. The watch
(``watch.scan``) compares the findings of every rule with the hall's open alerts and only
then writes (raise, escalate, clear), so a quiet pass is a read. Rules here: the visit time
limit (限时办结), long waits, idle windows, long pauses, complaints overdue, lines long enough
to open another window for (增开窗口, ``extra_window``: who could open it).

Three conditions are owned by other modules, which raise and clear their alerts themselves
because the condition is also state of theirs: 办件 due (``cases.scan_due``), follow-ups
overdue (``followups.scan_overdue``) and silent devices (``devices.mark_silent``, which also
marks the device offline). They run as *sweeps*, ``sweep(uow, hall_id, settings)``, every
few passes (``run_sweeps``), each in a savepoint so one broken sweep never stops the others;
the overnight queue (``overnight.overnight_queue``) settles the waiting at closing the same way.

Thresholds come from ``halls.settings["alerts"]`` (minutes), falling back to ``DEFAULTS``;
a threshold of 0 turns its rule off::

    {"long_wait_minutes": 30, "long_wait_critical_minutes": 60,
     "long_wait_by_service": {"hj": 20},          # per service code
     "idle_minutes": 5,
     "pause_minutes": 30, "pause_by_reason": {"午休": 90},
     "device_silent_minutes": 2,                  # no report for this long: offline
     "extra_window_per_window": 8,                # 增开窗口: people per open window …
     "extra_window_wait_minutes": 20}             # … or the longest wait of a line

Commands that end a condition may clear its alert at once (``end_visit`` from finish,
transfer and hold); the watch's clearing is then the safety net.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from hall.domain.timelimit import ALERT_LEVEL, LimitState, visit_clock
from hall.services import repo
from hall.services.cases import workflow as cases
from hall.services.context import UnitOfWork
from hall.services.counters import signout
from hall.services.devices import health as devices
from hall.services.ratings import followups
from hall.services.staff import attendance
from hall.services.supervision import alerts, extra_window, overnight
from hall.services.supervision.visit_alerts import VISIT_PREFIX, visit_key
from hall.store.models import (
    Alert,
    Case,
    Complaint,
    Counter,
    CounterService,
    Service,
    Ticket,
)

log = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "long_wait_minutes": 30,
    "long_wait_critical_minutes": 60,
    "long_wait_by_service": {},
    "idle_minutes": 5,
    "pause_minutes": 30,
    "pause_by_reason": {},
    "device_silent_minutes": 2,
    "extra_window_per_window": 8,  # a count of people, not minutes
    "extra_window_wait_minutes": 20,
}
LONG_WAIT, IDLE, PAUSED, CASE = "long_wait:", "idle:", "paused:", "case:"
ABSENT = "absent:"
EXTRA = "extra_window:"
CLOSED_WAIT = "closed_wait:"
COMPLAINT = "complaint:"
COMPLAINT_OPEN = ("received", "handling")  # hall/domain/complaints.OPEN: not answered yet
BUSY = ("called", "serving")


@dataclass(frozen=True, slots=True)
class Finding:
    """One condition that holds now and the alert it should have."""

    key: str
    kind: str
    level: str = "warning"
    counter_id: int | None = None
    ticket_id: int | None = None
    device_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)


Settings = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Rule:
    """An alert rule: the keys it owns (``prefix``) and how it finds what is wrong now."""

    name: str
    prefix: str  # the alert keys this rule owns, e.g. "visit_limit:"
    find: Callable[[UnitOfWork, int, Settings], Iterable[Finding]]


# A condition another module owns (it raises and clears that alert itself)
Sweep = Callable[[UnitOfWork, int, Settings], None]


# --- settings ---------------------------------------------------------------------------

def thresholds(hall_settings: dict[str, Any] | None) -> dict[str, Any]:
    """The hall's alert settings over the defaults; a value that is not a number is
    ignored (logged) so a typo in the settings never stops the watch."""
    given = (hall_settings or {}).get("alerts") or {}
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEFAULTS.items()}
    if not isinstance(given, dict):
        _warn_once(f"halls.settings.alerts is not a table: {given!r}")
        return out
    for key, value in given.items():
        if key not in DEFAULTS:
            _warn_once(f"unknown alert setting {key!r}")
        elif isinstance(DEFAULTS[key], dict):
            if isinstance(value, dict):
                out[key] = {k: v for k, v in value.items() if _number(v, key) is not None}
        elif _number(value, key) is not None:
            out[key] = value
    return out


def _number(value: Any, key: str) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        _warn_once(f"alert setting {key}={value!r} is not a number of minutes")
        return None
    return float(value)


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    """The watch reads the settings every few seconds: say what is wrong once, not forever."""
    if message not in _warned and len(_warned) < 100:
        _warned.add(message)
        log.warning(message)


def _seconds(minutes: float | None) -> float | None:
    """Minutes from the settings as seconds; None (rule off) for 0 or less."""
    return None if minutes is None or minutes <= 0 else minutes * 60.0


def _open_keys(uow: UnitOfWork, hall_id: int, prefix: str) -> list[str]:
    a = Alert.__table__
    return list(uow.conn.execute(select(a.c.key).where(
        a.c.hall_id == hall_id, a.c.cleared_at.is_(None), a.c.key.startswith(prefix))
    ).scalars())


def _waited(now: datetime, since: datetime) -> float:
    return max(0.0, (now - since).total_seconds())


# --- the rules ---------------------------------------------------------------------------

VISIT_KIND = {LimitState.WARNING: "visit_warning", LimitState.OVER: "visit_over"}


def visit_limits(uow: UnitOfWork, hall_id: int, settings: dict[str, Any] | None = None
                 ) -> list[Finding]:
    """限时办结: visits being served past their service's warning point or time limit.

    One statement: the hall's services (a handful) each seek ``ix_tickets_queue``
    (service_id, state …) for their serving tickets — a few dozen rows at most.
    """
    t, s, c = Ticket.__table__, Service.__table__, Counter.__table__
    rows = uow.conn.execute(
        select(t.c.id, t.c.number, t.c.counter_id, t.c.staff_id, t.c.started_at,
               t.c.service_id, s.c.name.label("service"), s.c.time_limit_s, s.c.warning_s,
               c.c.number.label("counter_number"))
        .select_from(s.join(t, (t.c.service_id == s.c.id) & (t.c.state == "serving"))
                     .outerjoin(c, c.c.id == t.c.counter_id))
        .where(s.c.hall_id == hall_id)).all()
    out = []
    for r in rows:
        if r.started_at is None:
            continue
        clock = visit_clock(r.started_at, uow.now, r.warning_s, r.time_limit_s)
        if clock.state is LimitState.OK:
            continue
        out.append(Finding(
            key=visit_key(r.id), kind=VISIT_KIND[clock.state], level=ALERT_LEVEL[clock.state],
            counter_id=r.counter_id, ticket_id=r.id,
            payload={"number": r.number, "counter_number": r.counter_number,
                     "service_id": r.service_id, "service": r.service, "staff_id": r.staff_id,
                     "started_at": r.started_at.isoformat(), "limit_s": clock.limit_s,
                     "warning_s": clock.warning_s}))
    return out



def find_long_waits(uow: UnitOfWork, hall_id: int, settings: dict[str, Any]) -> list[Finding]:
    """A service whose oldest waiting ticket was issued more than N minutes ago: warning at
    ``long_wait_minutes`` (or the service's own), critical at ``long_wait_critical_minutes``.
    One alert per service (``long_wait:<service id>``); it clears when the queue no longer
    holds a ticket that old."""
    t, s = Ticket.__table__, Service.__table__
    rows = uow.conn.execute(
        select(s.c.id, s.c.code, s.c.name, func.count(t.c.id).label("waiting"),
               func.min(t.c.issued_at).label("oldest"))
        .select_from(s.join(t, (t.c.service_id == s.c.id) & (t.c.state == "waiting")))
        .where(s.c.hall_id == hall_id).group_by(s.c.id, s.c.code, s.c.name)).all()
    by_service = settings["long_wait_by_service"]
    found = []
    for r in rows:
        warn = _seconds(by_service.get(r.code, settings["long_wait_minutes"]))
        if warn is None or r.oldest is None:
            continue
        crit = _seconds(settings["long_wait_critical_minutes"])
        waited = _waited(uow.now, r.oldest)
        if waited < warn:
            continue
        level = "critical" if crit is not None and crit > warn and waited >= crit else "warning"
        found.append(Finding(f"{LONG_WAIT}{r.id}", "long_wait", level, payload={
            "service_id": r.id, "service": r.name, "waiting": r.waiting,
            "oldest_issued_at": r.oldest.isoformat(), "limit_s": int(warn)}))
    return found


def find_idle_windows(uow: UnitOfWork, hall_id: int, settings: dict[str, Any]
                      ) -> list[Finding]:
    """An open window with nobody at it while people wait for its services (or for it by
    name) for more than ``idle_minutes`` (``idle_since`` says from when)."""
    limit = _seconds(settings["idle_minutes"])
    if limit is None:
        return []
    return [Finding(f"{IDLE}{r.id}", "window_idle", counter_id=r.id, payload={
                "counter_number": r.number, "counter": r.name, "staff_id": r.staff_id,
                "since": since.isoformat(), "limit_s": int(limit)})
            for r, since in idle_since(uow, hall_id)
            if _waited(uow.now, since) >= limit]


def idle_since(uow: UnitOfWork, hall_id: int) -> list[tuple[Any, datetime]]:
    """Each open window with nobody at it while people wait for its services (or for it by
    name), with the moment it became idle: the later of the moment the window became free
    (opened, or let go of its last visitor) and the moment the oldest such visitor joined
    the queue — a window free since 9:00 whose first visitor arrives at 10:00 is not "idle
    for an hour" at 10:01. The idle-window alert and auto-dispatch both ask this."""
    conn = uow.conn
    c, t, cs = Counter.__table__, Ticket.__table__, CounterService.__table__
    free = conn.execute(
        select(c.c.id, c.c.number, c.c.name, c.c.staff_id, c.c.state_since,
               c.c.auto_dispatch)
        .select_from(c.outerjoin(t, t.c.id == c.c.current_ticket_id))
        .where(c.c.hall_id == hall_id, c.c.state == "open",
               (c.c.current_ticket_id.is_(None)) | (t.c.state.not_in(BUSY)))).all()
    if not free:
        return []
    ids = [r.id for r in free]
    serves: dict[int, list[int]] = {}
    for counter_id, service_id in conn.execute(select(cs.c.counter_id, cs.c.service_id)
                                               .where(cs.c.counter_id.in_(ids))):
        serves.setdefault(counter_id, []).append(service_id)
    wanted = sorted({s for services in serves.values() for s in services})
    queued = dict(conn.execute(  # seeks of ix_tickets_queue, not a scan of the hall's history
        select(t.c.service_id, func.min(t.c.queued_at))
        .where(t.c.service_id.in_(wanted), t.c.state == "waiting",
               t.c.target_counter_id.is_(None))
        .group_by(t.c.service_id)).all()) if wanted else {}
    directed = dict(conn.execute(
        select(t.c.target_counter_id, func.min(t.c.queued_at))
        .where(t.c.target_counter_id.in_(ids), t.c.state == "waiting")
        .group_by(t.c.target_counter_id)).all())
    last_free = _last_released(uow, hall_id, ids)
    out = []
    for r in free:
        waits = [queued[s] for s in serves.get(r.id, []) if s in queued]
        if r.id in directed:
            waits.append(directed[r.id])
        if not waits:
            continue
        stamps = [x for x in (r.state_since, last_free.get(r.id)) if x is not None]
        out.append((r, max([min(waits), *stamps])))
    return out


def _last_released(uow: UnitOfWork, hall_id: int, counter_ids: list[int]) -> dict[int, datetime]:
    """When each window last let a visitor go today (finish, skip, hold, transfer)."""
    t = Ticket.__table__
    today = repo.settings_of(repo.hall_row(uow.conn, hall_id)).local(uow.now).date()
    out: dict[int, datetime] = {}
    rows = uow.conn.execute(
        select(t.c.counter_id, func.max(t.c.finished_at), func.max(t.c.released_at))
        .where(t.c.hall_id == hall_id, t.c.day >= today - timedelta(days=1),
               t.c.counter_id.in_(counter_ids))
        .group_by(t.c.counter_id)).all()
    for counter_id, finished, released in rows:
        times = [x for x in (finished, released) if x is not None]
        if times:
            out[counter_id] = max(times)
    return out


def find_long_pauses(uow: UnitOfWork, hall_id: int, settings: dict[str, Any]) -> list[Finding]:
    """A window paused for longer than its reason allows (``pause_by_reason``) or
    ``pause_minutes``; clears when the window resumes or closes."""
    c = Counter.__table__
    rows = uow.conn.execute(select(c.c.id, c.c.number, c.c.name, c.c.staff_id,
                                   c.c.pause_reason, c.c.state_since)
                            .where(c.c.hall_id == hall_id, c.c.state == "paused")).all()
    found = []
    for r in rows:
        limit = _seconds(settings["pause_by_reason"].get(r.pause_reason or "",
                                                         settings["pause_minutes"]))
        if limit is None or r.state_since is None:
            continue
        if _waited(uow.now, r.state_since) >= limit:
            found.append(Finding(f"{PAUSED}{r.id}", "window_paused", counter_id=r.id, payload={
                "counter_number": r.number, "counter": r.name, "staff_id": r.staff_id,
                "reason": r.pause_reason, "since": r.state_since.isoformat(),
                "limit_s": int(limit)}))
    return found


def case_due(uow: UnitOfWork, hall_id: int, settings: dict[str, Any]) -> None:
    """办件 at the warning point (yellow) or overdue (red): ``cases.scan_due`` raises and
    escalates them; then alerts of cases no longer open (done or returned outside
    ``cases.act``) are cleared."""
    c = Case.__table__
    today = repo.settings_of(repo.hall_row(uow.conn, hall_id)).local(uow.now).date()
    cases.scan_due(uow, hall_id)
    open_keys = _open_keys(uow, hall_id, CASE)
    ids = [int(k[len(CASE):]) for k in open_keys if k[len(CASE):].isdigit()]
    still = {f"{CASE}{i}" for i in uow.conn.execute(select(c.c.id).where(
        c.c.id.in_(ids), c.c.state.in_(cases.OPEN), c.c.warning_date <= today)).scalars()}
    for key in open_keys:
        if key not in still:
            alerts.clear_alert(uow, hall_id, key)


def followup_overdue(uow: UnitOfWork, hall_id: int, settings: dict[str, Any]) -> None:
    """差评整改 past its due date: the follow-ups module raises and clears these itself."""
    scan = getattr(followups, "scan_overdue", None)
    if scan is not None:
        scan(uow, hall_id)


def device_silent(uow: UnitOfWork, hall_id: int, settings: dict[str, Any]) -> None:
    """Devices that stopped reporting for ``device_silent_minutes``: ``devices.mark_silent``
    marks them offline and raises the offline alert (their next report clears it)."""
    after = _seconds(settings["device_silent_minutes"])
    mark = getattr(devices, "mark_silent", None)
    if mark is not None and after is not None:
        mark(uow, hall_id, uow.now, after)


def find_waits_at_closed_windows(uow: UnitOfWork, hall_id: int, settings: dict[str, Any]
                                 ) -> list[Finding]:
    """Visitors sent to a window by name (a transfer) while that window is closed: nobody
    will call them, and the hall's own queue counts do not show them to anyone else. One
    alert per window (``closed_wait:<counter id>``), raised at once; it clears when the
    window opens or nobody waits for it any more. One seek of ix_tickets_directed."""
    c, t = Counter.__table__, Ticket.__table__
    rows = uow.conn.execute(
        select(c.c.id, c.c.number, c.c.name, func.count(t.c.id).label("waiting"),
               func.min(t.c.queued_at).label("since"), func.min(t.c.number).label("first"))
        .select_from(c.join(t, (t.c.target_counter_id == c.c.id) & (t.c.state == "waiting")))
        .where(c.c.hall_id == hall_id, c.c.state == "closed")
        .group_by(c.c.id, c.c.number, c.c.name)).all()
    return [Finding(f"{CLOSED_WAIT}{r.id}", "waiting_at_closed_window", counter_id=r.id,
                    payload={"counter_number": r.number, "counter": r.name,
                             "waiting": r.waiting, "number": r.first,
                             "since": r.since.isoformat() if r.since else None})
            for r in rows]


def find_overdue_complaints(uow: UnitOfWork, hall_id: int, settings: dict[str, Any]
                            ) -> list[Finding]:
    """投诉 not answered by their due date (working days, the hall's ``complaint_days``):
    one alert per complaint (``complaint:<id>``) from the day after the due day; it clears
    once the complaint is replied to (a reopened one that falls due again alerts again).
    One seek of ix_complaints_hall_state_due."""
    c = Complaint.__table__
    today = repo.settings_of(repo.hall_row(uow.conn, hall_id)).local(uow.now).date()
    rows = uow.conn.execute(
        select(c.c.id, c.c.number, c.c.counter_id, c.c.due_date, c.c.handler_id,
               c.c.category, c.c.state)
        .where(c.c.hall_id == hall_id, c.c.state.in_(COMPLAINT_OPEN),
               c.c.due_date < today)).all()
    return [Finding(f"{COMPLAINT}{r.id}", "complaint_overdue", counter_id=r.counter_id,
                    payload={"complaint_id": r.id, "complaint_number": r.number,
                             "due_date": r.due_date.isoformat(), "handler_id": r.handler_id,
                             "category": r.category, "state": r.state})
            for r in rows]


def find_absent_windows(uow: UnitOfWork, hall_id: int, settings: dict[str, Any]
                        ) -> list[Finding]:
    """缺岗: a window on today's rota that is still closed the grace period
    (``attendance_grace_minutes``) after its shift began, naming who should be there (the
    A post, or the B post covering their leave). One alert per window and shift
    (``absent:<counter id>:<shift>``); it clears when the window opens or the shift ends."""
    expected = attendance.expected_now(uow, hall_id)
    if not expected:
        return []
    c = Counter.__table__
    closed = set(uow.conn.execute(select(c.c.id).where(
        c.c.id.in_({x["counter_id"] for x in expected}), c.c.state == "closed")).scalars())
    return [Finding(f"{ABSENT}{x['counter_id']}:{x['shift']}", "window_absent",
                    counter_id=x["counter_id"], payload={
                        "counter_number": x["counter"], "shift": x["shift"],
                        "shift_name": x["shift_name"], "staff_id": x["staff_id"],
                        "staff_name": x["name"] or "", "post": x["post"],
                        "since": x["start"].isoformat()})
            for x in expected if x["counter_id"] in closed]


def find_extra_windows(uow: UnitOfWork, hall_id: int, settings: dict[str, Any]
                       ) -> list[Finding]:
    """增开窗口: a line whose waiting reach ``extra_window_per_window`` per open window, or
    whose longest wait reaches ``extra_window_wait_minutes``: one alert per service
    (``extra_window:<service id>``) naming who could open a window (``who``: b_post, idle or
    nobody, and the ``candidates``; extra_window.py says how they are chosen), cleared when
    the line is short again."""
    per_window = settings["extra_window_per_window"]
    return [Finding(f"{EXTRA}{p['service_id']}", "extra_window", payload=p)
            for p in extra_window.proposals(uow, hall_id, per_window if per_window > 0
                                            else None,
                                            _seconds(settings["extra_window_wait_minutes"]))]


def staff_gone(uow: UnitOfWork, hall_id: int, settings: dict[str, Any]) -> None:
    """Windows whose staff session idled out with no request to notice it are closed
    (``counters.signout.sweep_idle``; the idle limit is HALL_SESSION_IDLE_MINUTES)."""
    if uow.ctx.session_idle_s:
        signout.sweep_idle(uow, hall_id, uow.ctx.session_idle_s)


VISIT_LIMIT = Rule("visit_limit", VISIT_PREFIX, visit_limits)
LONG_WAITS = Rule("long_wait", LONG_WAIT, find_long_waits)
IDLE_WINDOWS = Rule("idle_window", IDLE, find_idle_windows)
LONG_PAUSES = Rule("paused_too_long", PAUSED, find_long_pauses)
CLOSED_WINDOW_WAITS = Rule("waiting_at_closed_window", CLOSED_WAIT,
                           find_waits_at_closed_windows)
COMPLAINTS_OVERDUE = Rule("complaint_overdue", COMPLAINT, find_overdue_complaints)
ABSENT_WINDOWS = Rule("window_absent", ABSENT, find_absent_windows)
EXTRA_WINDOWS = Rule("extra_window", EXTRA, find_extra_windows)
RULES: tuple[Rule, ...] = (VISIT_LIMIT, LONG_WAITS, IDLE_WINDOWS, LONG_PAUSES,
                           CLOSED_WINDOW_WAITS, COMPLAINTS_OVERDUE, ABSENT_WINDOWS,
                           EXTRA_WINDOWS)
SWEEPS: tuple[Sweep, ...] = (case_due, followup_overdue, device_silent, staff_gone,
                             overnight.overnight_queue)


def hall_thresholds(uow: UnitOfWork, hall_id: int) -> Settings:
    return thresholds(repo.hall_row(uow.conn, hall_id).settings)


def run_sweeps(uow: UnitOfWork, hall_id: int, sweeps: Iterable[Sweep] = SWEEPS) -> list[str]:
    """Every sweep over one hall in the caller's transaction; returns the names of the
    sweeps that failed (logged; their writes and events rolled back to a savepoint)."""
    settings = hall_thresholds(uow, hall_id)
    failed = []
    for sweep in sweeps:
        mark = len(uow.events)
        savepoint = uow.conn.begin_nested()
        try:
            sweep(uow, hall_id, settings)
        except Exception:  # noqa: BLE001 - one broken sweep must not silence the others
            savepoint.rollback()
            del uow.events[mark:]
            failed.append(sweep.__name__)
            log.exception("watch sweep %s failed for hall %s", sweep.__name__, hall_id)
        else:
            savepoint.commit()
    return failed
