"""The watch (电子监察): rules that look at the hall every few seconds and raise alerts.

A rule is a small function ``find(uow, hall_id) -> [Finding]`` that reads what is wrong
*now* with one cheap indexed query, and a key ``prefix`` it owns. ``scan`` compares the
findings of every rule with the hall's open alerts and only then writes:

- a finding with no open alert, or above the open alert's level → ``raise_alert``
  (a warning escalates to critical under the same key; nothing de-escalates by itself);
- an open alert under a rule's prefix that no finding names any more → ``clear_alert``.

So a quiet pass is one read-only transaction (open alerts + one query per rule) and no
write; the write transaction, when needed, holds a per-hall lock on PostgreSQL so two
server processes never raise the same alert twice. Commands that end a condition may
also clear its alert at once (``end_visit`` from finish/transfer/hold); the scan's
clearing is then the safety net for anything that slipped by (a process crash, a race
with a finish), at most one interval late.

More rules (issue 8: long wait, idle window, paused too long, device offline, case due …)
are more ``Rule(prefix, find)`` entries in ``RULES``.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from hall.domain.timelimit import ALERT_LEVEL, LimitState, visit_clock
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.services.supervision import alerts
from hall.store.models import Alert, Counter, Hall, Service, Ticket

log = logging.getLogger(__name__)
RANK = {"warning": 1, "critical": 2}
SCAN_LOCK = 0x4841_4C4C  # "HALL": pg advisory lock class for the per-hall scan


@dataclass(frozen=True, slots=True)
class Finding:
    """One condition that holds now and the alert it should have."""

    key: str
    kind: str
    level: str
    counter_id: int | None = None
    ticket_id: int | None = None
    device_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Rule:
    prefix: str  # the alert keys this rule owns, e.g. "visit_limit:"
    find: Callable[[UnitOfWork, int], Iterable[Finding]]


# --- rules -------------------------------------------------------------------------------

VISIT_PREFIX = "visit_limit:"
VISIT_KIND = {LimitState.WARNING: "visit_warning", LimitState.OVER: "visit_over"}


def visit_key(ticket_id: int) -> str:
    return f"{VISIT_PREFIX}{ticket_id}"


def visit_limits(uow: UnitOfWork, hall_id: int) -> list[Finding]:
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


RULES: tuple[Rule, ...] = (Rule(VISIT_PREFIX, visit_limits),)


def end_visit(uow: UnitOfWork, hall_id: int, ticket_id: int) -> None:
    """A visit left service (finish, transfer, hold): its time-limit alert ends with it."""
    alerts.clear_alert(uow, hall_id, visit_key(ticket_id))


# --- the scan ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Plan:
    raise_: list[Finding]
    clear: list[str]
    found: int


def plan(findings: Iterable[Finding], open_levels: dict[str, str],
         prefixes: Iterable[str]) -> Plan:
    """What to write: findings above their open alert's level, and orphaned open alerts."""
    findings = list(findings)
    wanted = {f.key for f in findings}
    raise_ = [f for f in findings
              if RANK[f.level] > RANK.get(open_levels.get(f.key, ""), 0)]
    owned = tuple(prefixes)
    clear = sorted(k for k in open_levels if k.startswith(owned) and k not in wanted)
    return Plan(raise_, clear, len(findings))


def _open_levels(uow: UnitOfWork, hall_id: int) -> dict[str, str]:
    a = Alert.__table__
    return dict(uow.conn.execute(select(a.c.key, a.c.level).where(
        a.c.hall_id == hall_id, a.c.cleared_at.is_(None))).all())


def scan(ctx: Context, hall_id: int, rules: Iterable[Rule] = RULES) -> Result:
    """One pass of every rule over one hall; value counts what was found, raised, cleared."""
    rules = tuple(rules)

    def look(uow: UnitOfWork) -> Plan:
        findings = [f for rule in rules for f in rule.find(uow, hall_id)]
        return plan(findings, _open_levels(uow, hall_id), [r.prefix for r in rules])

    todo = read(ctx, look)
    summary = {"found": todo.found, "raised": [], "cleared": []}
    if not todo.raise_ and not todo.clear:
        return Result(summary, [])

    def command(uow: UnitOfWork) -> dict[str, Any]:
        if uow.conn.dialect.name == "postgresql" and not uow.conn.execute(
                select(func.pg_try_advisory_xact_lock(SCAN_LOCK, hall_id))).scalar():
            return summary  # another process is scanning this hall right now
        for f in todo.raise_:
            view = alerts.raise_alert(uow, hall_id, f.key, f.kind, f.level,
                                      counter_id=f.counter_id, ticket_id=f.ticket_id,
                                      device_id=f.device_id, **f.payload)
            if view is not None:
                summary["raised"].append(view)
        for key in todo.clear:
            view = alerts.clear_alert(uow, hall_id, key)
            if view is not None:
                summary["cleared"].append(view)
        return summary

    return run(ctx, command)


def hall_ids(ctx: Context) -> list[int]:
    return read(ctx, lambda uow: list(uow.conn.execute(select(Hall.id).order_by(Hall.id))
                                      .scalars()))


# --- running in the server -----------------------------------------------------------------

class Watch:
    """The background loop: every ``interval_s`` one scan per hall; a failing pass is
    logged and counted, never the end of the loop."""

    SLICE_S = 0.25  # how soon a stopped watch notices

    # the rules that write through their own modules (cases, follow-ups, silent devices)
    # change by the day or the minute: every this many passes, so SQLite's write lock is
    # not taken every few seconds for nothing
    SLOW_EVERY = 12

    def __init__(self, app, interval_s: float = 5.0, rules: Iterable[Rule] | None = None):
        from hall.services.supervision import watch_rules

        self.app = app
        self.interval_s = interval_s
        self.rules = tuple(RULES + watch_rules.watch_entries() if rules is None else rules)
        self.writers = watch_rules.WRITERS
        self.passes = 0
        self.failures = 0
        self.stopped = False
        self.task = None

    def tick(self) -> None:
        from hall.services.supervision import watch_rules

        ctx = self.app.extensions["hall"]
        with self.app.app_context():
            for hall_id in hall_ids(ctx):
                try:
                    scan(ctx, hall_id, self.rules)
                    if self.passes % self.SLOW_EVERY == 0:
                        run(ctx, lambda uow, h=hall_id: watch_rules.run_rules(
                            uow, h, self.writers))
                except Exception:  # noqa: BLE001 - the watch must outlive any one bad pass
                    self.failures += 1
                    log.exception("watch: scan of hall %s failed", hall_id)
        self.passes += 1

    def run(self) -> None:
        socketio = self.app.extensions["socketio"]
        while not self.stopped:
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - e.g. the database is briefly unreachable
                self.failures += 1
                log.exception("watch: pass failed")
            waited = 0.0
            while not self.stopped and waited < self.interval_s:
                step = min(self.SLICE_S, self.interval_s - waited)
                socketio.sleep(step)
                waited += step

    def stop(self, wait: bool = True) -> None:
        """Stop after the current pass; by default wait for it, so nothing is left holding
        a database connection (tests dispose their engine right after)."""
        self.stopped = True
        if wait and self.task is not None:
            try:
                self.task.join(timeout=self.interval_s + 30)
            except TypeError:  # eventlet's thread wrapper joins without a timeout
                self.task.join()


def start_watch(app, interval_s: float = 5.0, rules: Iterable[Rule] | None = None) -> Watch:
    """Run the watch in a background green thread (or thread, per the async mode); the
    returned Watch stops with ``stop()``."""
    watch = Watch(app, interval_s, rules)
    watch.task = app.extensions["socketio"].start_background_task(watch.run)
    log.info("watch started: every %.1f s", interval_s)
    return watch
