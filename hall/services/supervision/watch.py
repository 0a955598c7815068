"""The watch (电子监察): rules that look at the hall every few seconds and raise alerts.

The rules are in watch_rules.py, in one shape: ``Rule(name, prefix, find)``, where
``find(uow, hall_id, settings) -> [Finding]`` reads what is wrong *now* with one cheap
indexed query. ``scan`` compares the findings of every rule with the hall's open alerts and
only then writes:

- a finding with no open alert, or above the open alert's level → ``raise_alert``
  (a warning escalates to critical under the same key; nothing de-escalates by itself);
- an open alert under a rule's prefix that no finding names any more → ``clear_alert``.

So a quiet pass is one read-only transaction (open alerts + one query per rule) and no
write (a rule that fails is logged, named in the result, and clears nothing); the write
transaction, when needed, holds a per-hall lock on PostgreSQL so two server processes never
raise the same alert twice. Commands that end a condition may
also clear its alert at once (``end_visit`` from finish/transfer/hold); the scan's
clearing is then the safety net for anything that slipped by (a process crash, a race
with a finish), at most one interval late.

Every pass also lets idle windows call the next visitor when the hall asks for
auto-dispatch (``dispatch.auto_dispatch``, timed in seconds). Every few passes the loop also
runs the sweeps (watch_rules.SWEEPS): conditions whose alerts their own modules keep (cases
due, follow-ups overdue, silent devices), the overnight queue after closing, and rolls up the
closed days that reports read (reports.roll_up: a report itself writes nothing).
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.services.supervision import alerts, dispatch, reports
from hall.services.supervision.watch_rules import (
    RULES,
    SWEEPS,
    Finding,
    Rule,
    Sweep,
    hall_thresholds,
    run_sweeps,
)
from hall.store.models import Alert, Hall

log = logging.getLogger(__name__)
RANK = {"warning": 1, "critical": 2}
SCAN_LOCK = 0x4841_4C4C  # "HALL": pg advisory lock class for the per-hall scan


# --- the scan ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Plan:
    raise_: list[Finding]
    clear: list[str]
    found: int
    failed: list[str]


def plan(findings: Iterable[Finding], open_levels: dict[str, str],
         prefixes: Iterable[str], failed: Iterable[str] = ()) -> Plan:
    """What to write: findings above their open alert's level, and orphaned open alerts
    (under the prefixes of rules that looked; a rule that failed clears nothing)."""
    findings = list(findings)
    wanted = {f.key for f in findings}
    raise_ = [f for f in findings
              if RANK[f.level] > RANK.get(open_levels.get(f.key, ""), 0)]
    owned = tuple(prefixes)
    clear = sorted(k for k in open_levels if k.startswith(owned) and k not in wanted)
    return Plan(raise_, clear, len(findings), list(failed))


def _open_levels(uow: UnitOfWork, hall_id: int) -> dict[str, str]:
    a = Alert.__table__
    return dict(uow.conn.execute(select(a.c.key, a.c.level).where(
        a.c.hall_id == hall_id, a.c.cleared_at.is_(None))).all())


def look(uow: UnitOfWork, hall_id: int, rules: Iterable[Rule]) -> Plan:
    """Every rule's findings, each rule in a savepoint: one broken rule is logged and named,
    the others still count (and the broken one's alerts stay as they are)."""
    settings = hall_thresholds(uow, hall_id)
    findings: list[Finding] = []
    looked, failed = [], []
    for rule in rules:
        savepoint = uow.conn.begin_nested()
        try:
            found = list(rule.find(uow, hall_id, settings))
        except Exception:  # noqa: BLE001 - one broken rule must not silence the others
            savepoint.rollback()
            failed.append(rule.name)
            log.exception("watch rule %s failed for hall %s", rule.name, hall_id)
            continue
        savepoint.commit()
        findings.extend(found)
        looked.append(rule.prefix)
    return plan(findings, _open_levels(uow, hall_id), looked, failed)


def scan(ctx: Context, hall_id: int, rules: Iterable[Rule] = RULES) -> Result:
    """One pass of the rules over one hall; value counts what was found, raised, cleared
    and names the rules that failed."""
    rules = tuple(rules)
    todo = read(ctx, lambda uow: look(uow, hall_id, rules))
    summary = {"found": todo.found, "raised": [], "cleared": [], "failed": todo.failed}
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

    # the sweeps (cases, follow-ups, silent devices: their own modules write) change by the
    # day or the minute: every this many passes, so SQLite's write lock is not taken every
    # few seconds for nothing
    SLOW_EVERY = 12

    def __init__(self, app, interval_s: float = 5.0, rules: Iterable[Rule] = RULES,
                 sweeps: Iterable[Sweep] = SWEEPS):
        self.app = app
        self.interval_s = interval_s
        self.rules = tuple(rules)
        self.sweeps = tuple(sweeps)
        self.passes = 0
        self.failures = 0
        self.stopped = False
        self.task = None

    def tick(self) -> None:
        ctx = self.app.extensions["hall"]
        with self.app.app_context():
            for hall_id in hall_ids(ctx):
                try:
                    scan(ctx, hall_id, self.rules)
                    dispatch.auto_dispatch(ctx, hall_id)  # idle windows call (if set)
                    if self.passes % self.SLOW_EVERY == 0:
                        run(ctx, lambda uow, h=hall_id: run_sweeps(uow, h, self.sweeps))
                        reports.roll_up(ctx, hall_id)  # closed days, for reports to read
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


def start_watch(app, interval_s: float = 5.0, rules: Iterable[Rule] = RULES) -> Watch:
    """Run the watch in a background green thread (or thread, per the async mode); the
    returned Watch stops with ``stop()``."""
    watch = Watch(app, interval_s, rules)
    watch.task = app.extensions["socketio"].start_background_task(watch.run)
    log.info("watch started: every %.1f s", interval_s)
    return watch
