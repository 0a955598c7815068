"""电子监察 rules for the periodic watch: long waits, idle windows, long pauses, cases due,
follow-ups overdue, silent devices.

Each rule is ``rule(uow, hall_id, settings) -> None``: it looks at the hall *now* and brings
the alerts it owns (one key prefix each) in line with what it saw: it raises the alert of
every condition that holds (``alerts.raise_alert`` is idempotent, so a pass every few
seconds writes nothing new) and clears every open alert under its prefix whose condition
ended. ``run_rules(uow, hall_id)`` runs them all in the caller's transaction, each inside a
savepoint so one broken rule never stops the others.

Thresholds come from ``halls.settings["alerts"]`` (minutes), falling back to ``DEFAULTS``;
a threshold of 0 turns its rule off::

    {"long_wait_minutes": 30, "long_wait_critical_minutes": 60,
     "long_wait_by_service": {"hj": 20},          # per service code
     "idle_minutes": 5,
     "pause_minutes": 30, "pause_by_reason": {"午休": 90},
     "device_silent_minutes": 2}                  # no report for this long: offline

Rules owned elsewhere and only called from here: ``cases.scan_due`` (办件 warning point and
overdue), ``followups.scan_overdue`` and ``devices.mark_silent``. The visit
time limit (限时办结) is supervision/watch.py's own rule; device offline and paper out are
raised when the device reports (devices.record); bad ratings when the rating is given.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from hall.services import repo
from hall.services.cases import workflow as cases
from hall.services.context import UnitOfWork
from hall.services.devices import health as devices
from hall.services.ratings import followups
from hall.services.supervision import alerts
from hall.store.models import Alert, Case, Counter, CounterService, Service, Ticket

log = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "long_wait_minutes": 30,
    "long_wait_critical_minutes": 60,
    "long_wait_by_service": {},
    "idle_minutes": 5,
    "pause_minutes": 30,
    "pause_by_reason": {},
    "device_silent_minutes": 2,
}
LONG_WAIT, IDLE, PAUSED, CASE = "long_wait:", "idle:", "paused:", "case:"
BUSY = ("called", "serving")


@dataclass(frozen=True, slots=True)
class Finding:
    key: str
    kind: str
    level: str = "warning"
    counter_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)


Rule = Callable[[UnitOfWork, int, dict[str, Any]], None]


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


# --- applying what a rule found ----------------------------------------------------------

def apply(uow: UnitOfWork, hall_id: int, prefix: str, findings: Iterable[Finding]) -> None:
    """Raise every finding, clear the rule's open alerts that no finding names any more."""
    wanted = set()
    for f in findings:
        wanted.add(f.key)
        alerts.raise_alert(uow, hall_id, f.key, f.kind, f.level, counter_id=f.counter_id,
                           **f.payload)
    for key in _open_keys(uow, hall_id, prefix):
        if key not in wanted:
            alerts.clear_alert(uow, hall_id, key)


def _open_keys(uow: UnitOfWork, hall_id: int, prefix: str) -> list[str]:
    a = Alert.__table__
    return list(uow.conn.execute(select(a.c.key).where(
        a.c.hall_id == hall_id, a.c.cleared_at.is_(None), a.c.key.startswith(prefix))
    ).scalars())


def _waited(now: datetime, since: datetime) -> float:
    return max(0.0, (now - since).total_seconds())


# --- the rules ---------------------------------------------------------------------------

def long_wait(uow: UnitOfWork, hall_id: int, settings: dict[str, Any]) -> None:
    apply(uow, hall_id, LONG_WAIT, find_long_waits(uow, hall_id, settings))


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


def idle_window(uow: UnitOfWork, hall_id: int, settings: dict[str, Any]) -> None:
    apply(uow, hall_id, IDLE, find_idle_windows(uow, hall_id, settings))


def find_idle_windows(uow: UnitOfWork, hall_id: int, settings: dict[str, Any]
                      ) -> list[Finding]:
    """An open window with nobody at it while people wait for its services (or for it by
    name) for more than ``idle_minutes``. The clock starts at the later of the moment the
    window became free (opened, or let go of its last visitor) and the moment the oldest
    such visitor joined the queue: a window free since 9:00 whose first visitor arrives at
    10:00 is not "idle for an hour" at 10:01."""
    limit = _seconds(settings["idle_minutes"])
    if limit is None:
        return []
    conn, now = uow.conn, uow.now
    c, t, cs = Counter.__table__, Ticket.__table__, CounterService.__table__
    free = conn.execute(
        select(c.c.id, c.c.number, c.c.name, c.c.staff_id, c.c.state_since)
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
    found = []
    for r in free:
        waits = [queued[s] for s in serves.get(r.id, []) if s in queued]
        if r.id in directed:
            waits.append(directed[r.id])
        if not waits:
            continue
        stamps = [x for x in (r.state_since, last_free.get(r.id)) if x is not None]
        since = max([min(waits), *stamps])
        if _waited(now, since) >= limit:
            found.append(Finding(f"{IDLE}{r.id}", "window_idle", counter_id=r.id, payload={
                "counter_number": r.number, "counter": r.name, "staff_id": r.staff_id,
                "since": since.isoformat(), "limit_s": int(limit)}))
    return found


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


def paused_too_long(uow: UnitOfWork, hall_id: int, settings: dict[str, Any]) -> None:
    apply(uow, hall_id, PAUSED, find_long_pauses(uow, hall_id, settings))


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


RULES: list[Rule] = [long_wait, idle_window, paused_too_long, case_due, followup_overdue,
                     device_silent]


# the rules that write through their own modules; the others are also looked at by
# hall.services.supervision.watch.scan (see watch_entries), which writes only when an alert changes
WRITERS: list[Rule] = [case_due, followup_overdue, device_silent]


def run_rules(uow: UnitOfWork, hall_id: int, rules: Iterable[Rule] | None = None) -> list[str]:
    """Every rule over one hall in the caller's transaction; returns the names of the
    rules that failed (logged; their writes and events rolled back to a savepoint)."""
    settings = thresholds(repo.hall_row(uow.conn, hall_id).settings)
    failed = []
    for rule in RULES if rules is None else rules:
        mark = len(uow.events)
        savepoint = uow.conn.begin_nested()
        try:
            rule(uow, hall_id, settings)
        except Exception:  # noqa: BLE001 - one broken rule must not silence the others
            savepoint.rollback()
            del uow.events[mark:]
            failed.append(rule.__name__)
            log.exception("watch rule %s failed for hall %s", rule.__name__, hall_id)
        else:
            savepoint.commit()
    return failed


# the rules that only look (the others write through their own modules), by key prefix
FINDERS = ((LONG_WAIT, find_long_waits), (IDLE, find_idle_windows), (PAUSED, find_long_pauses))


def watch_entries() -> tuple:
    """The looking rules as ``hall.services.supervision.watch.Rule`` entries, for ``watch.scan``'s
    read-first pass (it opens a write transaction only when an alert must change)."""
    from hall.services.supervision import watch  # here: watch imports the services this module uses

    def entry(prefix: str, find: Callable) -> watch.Rule:
        def found(uow: UnitOfWork, hall_id: int) -> list[watch.Finding]:
            settings = thresholds(repo.hall_row(uow.conn, hall_id).settings)
            return [watch.Finding(f.key, f.kind, f.level, counter_id=f.counter_id,
                                  payload=f.payload) for f in find(uow, hall_id, settings)]

        return watch.Rule(prefix, found)

    return tuple(entry(prefix, find) for prefix, find in FINDERS)
