"""At ingest, in the transaction that writes the events (``incoming.apply``): fold a batch
of each hall's new events into what the region's pages read, so that a page is a cheap
read and never a scan of the log.

- ``region_tickets``: each ticket as its events moved it (hall/domain/regionfold.py);
- ``region_day_stats``: per (hall, day, service), what each changed ticket adds, moved by
  the difference between its old and new contribution (the hall's own definitions);
- ``region_services``, ``region_windows``, ``region_alerts``: the names and states the
  events carry;
- ``region_live``: each hall's waiting, open windows, oldest in line and open alerts, read
  back from those small indexed tables once per hall and batch;
- ``region_cases`` (``cases``) and the hall's settings (``hallsettings``): a batch is folded
  in runs cut at each ``hall.settings``, so the events after it use the new zone and target.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from hall.domain import regionfold as rf
from hall.services.context import UnitOfWork
from hall.services.region import cases, hallsettings, waits
from hall.store.models import (
    RegionAlert,
    RegionDayStat,
    RegionLive,
    RegionService,
    RegionTicket,
    RegionWindow,
)

TICKET_FIELDS = ("day", "service_id", "counter_id", "state", "outcome", "issued_at",
                 "queued_at", "called_at", "started_at", "finished_at", "released_at",
                 "recalls", "rating")
log = logging.getLogger(__name__)


def _insert(uow: UnitOfWork, table):
    return (postgresql if uow.conn.dialect.name == "postgresql" else sqlite).insert(table)


def apply(uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    """Fold ``rows`` (new events, each hall's in seq order) into the region's tables."""
    by_hall: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_hall[row["hall_uid"]].append(row)
    settings = hallsettings.of(uow, list(by_hall))
    for uid in sorted(by_hall):
        run: list[dict[str, Any]] = []
        for e in by_hall[uid]:
            run.append(e)
            if e["type"] == "hall.settings":
                _fold_hall(uow, uid, run, settings[uid])
                settings[uid] = hallsettings.shipped(uow, uid, e["at"], e["payload"] or {})
                run = []
        if run:
            _fold_hall(uow, uid, run, settings[uid])


def _fold_hall(uow: UnitOfWork, uid: str, events: list[dict[str, Any]],
               settings: hallsettings.Settings) -> None:
    tz, target_wait_s = ZoneInfo(settings.timezone), settings.target_wait_s
    before = _tickets(uow, uid, events)
    now = {k: t.copy() for k, t in before.items()}
    services: dict[int, dict] = {}
    windows: dict[int, dict] = {}
    alerts: dict[int, dict] = {}
    for e in events:
        try:
            _fold_event(e, now, services, windows, alerts, tz)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            # kept in the log as it came, but it cannot move the pages: never stop ingest
            log.warning("region: %s seq %s (%s) not folded: %r", uid, e["seq"], e["type"], exc)
    changed = {k: t for k, t in now.items() if before.get(k) != t}
    _write_tickets(uow, uid, changed)
    _move_days(uow, uid, changed, before, tz, target_wait_s)
    _write_services(uow, uid, services)
    _write_windows(uow, uid, windows)
    _write_alerts(uow, uid, alerts)
    cases.fold(uow, uid, events, tz)
    _write_live(uow, uid, events[-1]["at"])


def _fold_event(e: dict[str, Any], now: dict[int, rf.Ticket], services: dict,
                windows: dict, alerts: dict, tz: ZoneInfo) -> None:
    kind, at, p = e["type"], e["at"], e["payload"] or {}
    if kind == "ticket.issued":
        t = rf.issued(at, p, tz)
        now.setdefault(t.ticket_id, t)
        services[t.service_id] = p["ticket"]["service"]
    elif kind.startswith("ticket.") and p.get("ticket_id") in now:
        t = now[p["ticket_id"]]
        rf.step(t, kind, at, p)
        if kind == "ticket.transferred" and p.get("new_ticket_id") is not None:
            new = rf.transferred(t, at, p, tz)
            now.setdefault(new.ticket_id, new)
    elif kind == "counter.state" and p.get("counter_id") is not None:
        windows[p["counter_id"]] = {"number": p.get("counter_number") or 0,
                                    "state": p.get("state") or "closed"}
    elif kind == "alert" and isinstance(p.get("alert"), dict):
        alerts[p["alert"]["id"]] = p["alert"]


def _tickets(uow: UnitOfWork, uid: str, events: list[dict[str, Any]]) -> dict[int, rf.Ticket]:
    """The tickets these events move that the region already has."""
    ids = {(e["payload"] or {}).get("ticket_id") for e in events} - {None}
    if not ids:
        return {}
    t = RegionTicket.__table__
    rows = uow.conn.execute(select(t).where(t.c.hall_uid == uid, t.c.ticket_id.in_(ids)))
    return {r.ticket_id: rf.Ticket(ticket_id=r.ticket_id,
                                   **{f: getattr(r, f) for f in TICKET_FIELDS})
            for r in rows}


def _write_tickets(uow: UnitOfWork, uid: str, changed: dict[int, rf.Ticket]) -> None:
    t = RegionTicket.__table__
    values = [{"hall_uid": uid, "ticket_id": k, **{f: getattr(x, f) for f in TICKET_FIELDS}}
              for k, x in sorted(changed.items())]
    if not values:
        return
    stmt = _insert(uow, t)
    uow.conn.execute(stmt.on_conflict_do_update(
        index_elements=["hall_uid", "ticket_id"],
        set_={f: stmt.excluded[f] for f in TICKET_FIELDS}), values)


def _move_days(uow: UnitOfWork, uid: str, changed: dict[int, rf.Ticket],
               before: dict[int, rf.Ticket], tz: ZoneInfo, target_wait_s: int) -> None:
    """Each changed ticket's new contribution minus its old one, added per (day, service),
    and its old wait out of the waits' histograms, its new one in (``waits``)."""
    delta: dict[tuple, dict[str, int]] = {}
    wait_delta: dict[tuple, int] = defaultdict(int)
    for k, new in changed.items():
        old = before.get(k)
        for t, sign in ((old, -1), (new, 1)):
            if t is None:
                continue
            counts = rf.counts(t, target_wait_s, tz)
            row = _add(delta, (t.day, t.service_id), counts, sign)
            if counts["called"]:
                wait_delta[(t.day, t.service_id, counts["wait_s_total"])] += sign
            if sign > 0:
                row["wait_max_s"] = max(row["wait_max_s"], counts["wait_max_s"])
    waits.move(uow, uid, wait_delta)
    if not delta:
        return
    d = RegionDayStat.__table__
    stmt = _insert(uow, d)
    bigger = func.greatest if uow.conn.dialect.name == "postgresql" else func.max
    uow.conn.execute(stmt.on_conflict_do_update(
        index_elements=["hall_uid", "day", "service_id"],
        set_={**{c: d.c[c] + stmt.excluded[c] for c in rf.ADDITIVE},
              "wait_max_s": bigger(d.c.wait_max_s, stmt.excluded.wait_max_s)}),
        [{"hall_uid": uid, "day": day, "service_id": svc, **counts}
         for (day, svc), counts in sorted(delta.items())])


def _add(delta: dict, key: tuple, counts: dict[str, int], sign: int) -> dict[str, int]:
    row = delta.setdefault(key, dict.fromkeys(rf.COUNTS, 0))
    for name in rf.ADDITIVE:
        row[name] += sign * counts[name]
    return row


def _write_services(uow: UnitOfWork, uid: str, services: dict[int, dict]) -> None:
    if not services:
        return
    s = RegionService.__table__
    stmt = _insert(uow, s)
    values = [{"hall_uid": uid, "service_id": sid, "code": v.get("code") or str(sid),
               "name": v.get("name") or str(sid),
               "department_id": (v.get("department") or {}).get("id"),
               "department": (v.get("department") or {}).get("name")}
              for sid, v in sorted(services.items())]
    uow.conn.execute(stmt.on_conflict_do_update(
        index_elements=["hall_uid", "service_id"],
        set_={c: stmt.excluded[c] for c in ("code", "name", "department_id", "department")}),
        values)


def _write_windows(uow: UnitOfWork, uid: str, windows: dict[int, dict]) -> None:
    if not windows:
        return
    w = RegionWindow.__table__
    stmt = _insert(uow, w)
    uow.conn.execute(stmt.on_conflict_do_update(
        index_elements=["hall_uid", "counter_id"],
        set_={"number": stmt.excluded.number, "state": stmt.excluded.state}),
        [{"hall_uid": uid, "counter_id": cid, **v} for cid, v in sorted(windows.items())])


def _write_alerts(uow: UnitOfWork, uid: str, alerts: dict[int, dict]) -> None:
    if not alerts:
        return
    a = RegionAlert.__table__
    stmt = _insert(uow, a)
    uow.conn.execute(stmt.on_conflict_do_update(
        index_elements=["hall_uid", "alert_id"],
        set_={c: stmt.excluded[c] for c in ("kind", "level", "counter_id", "cleared_at")}),
        [{"hall_uid": uid, "alert_id": aid, "kind": v.get("kind") or "",
          "level": v.get("level") or "warning", "counter_id": v.get("counter_id"),
          "raised_at": _time(v.get("raised_at")), "cleared_at": _time(v.get("cleared_at"))}
         for aid, v in sorted(alerts.items())])


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _write_live(uow: UnitOfWork, uid: str, last_at: datetime) -> None:
    t, w, a = RegionTicket.__table__, RegionWindow.__table__, RegionAlert.__table__
    waiting, oldest = uow.conn.execute(
        select(func.count(), func.min(t.c.queued_at))
        .where(t.c.hall_uid == uid, t.c.state == "waiting")).one()
    open_windows = uow.conn.execute(select(func.count()).where(
        w.c.hall_uid == uid, w.c.state == "open")).scalar_one()
    alerts, critical = uow.conn.execute(
        select(func.count(), func.count().filter(a.c.level == "critical"))
        .where(a.c.hall_uid == uid, a.c.cleared_at.is_(None))).one()
    values = {"waiting": waiting, "open_windows": open_windows,
              "oldest_queued_at": oldest, "open_alerts": alerts,
              "critical_alerts": critical, "last_event_at": last_at}
    stmt = _insert(uow, RegionLive.__table__)
    uow.conn.execute(stmt.values(hall_uid=uid, **values).on_conflict_do_update(
        index_elements=["hall_uid"], set_=values))

