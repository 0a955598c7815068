"""The supervision board (电子监察看板): every window, every queue and the open alerts of a
hall, read in one snapshot, with the arrivals expected for the rest of the day
(``forecast.arrivals``).

The board page draws itself from this and re-reads it (at most once a second) after live
events; countdowns tick in the browser from the timestamps given here and ``now`` (the
server's clock, so the page can correct its own). Every part is a small table (counters,
services) or an index seek over the tickets waiting or at a window right now.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select

from hall.domain.lifecycle import AT_COUNTER_STATES
from hall.domain.timelimit import visit_clock
from hall.services import repo
from hall.services.context import Context, UnitOfWork, read
from hall.services.supervision import alerts, forecast, watch_rules
from hall.services.views import iso
from hall.store.models import (
    Alert,
    Counter,
    CounterService,
    Department,
    Service,
    Staff,
    Ticket,
)

ALERTS_SHOWN = 200


def board(ctx: Context, hall_id: int) -> dict[str, Any]:
    def query(uow: UnitOfWork) -> dict[str, Any]:
        hall = repo.hall_row(uow.conn, hall_id)
        services = _services(uow, hall_id)
        waiting = _waiting(uow, hall_id, list(services))
        counters = _counters(uow, hall_id, services, waiting)
        queues = _queues(services, waiting, counters)
        open_alerts = _alerts(uow, hall_id)
        return {
            "now": uow.now.isoformat(),
            "last_seq": hall.last_seq,  # the events this picture already includes
            "hall": {"id": hall.id, "name": hall.name, "name_en": hall.name_en,
                     "timezone": hall.timezone, "target_wait_s": hall.target_wait_s},
            "thresholds": watch_rules.thresholds(hall.settings),
            "counters": counters,
            "queues": queues,
            "alerts": open_alerts,
            # tickets expected per hour for the rest of today (same weekday's history)
            "forecast": forecast.arrivals(uow, hall_id),
            "totals": {
                "waiting": sum(q["waiting"] for q in queues),
                "open": sum(c["state"] == "open" for c in counters),
                "paused": sum(c["state"] == "paused" for c in counters),
                "busy": sum(c["current"] is not None for c in counters),
                "alerts": len(open_alerts),
                "critical": sum(a["level"] == "critical" for a in open_alerts),
            },
        }

    return read(ctx, query)


def choices(ctx: Context, hall_id: int) -> dict[str, Any]:
    """The hall's services as (id, name) for filter menus, in the hall's order, and the
    hall's last event seq (where a page's live subscription starts)."""

    def query(uow: UnitOfWork) -> dict[str, Any]:
        return {"last_seq": repo.hall_row(uow.conn, hall_id).last_seq,
                "services": [{"id": s["id"], "name": s["name"], "name_en": s["name_en"]}
                             for s in _services(uow, hall_id).values()]}

    return read(ctx, query)


def _services(uow: UnitOfWork, hall_id: int) -> dict[int, dict[str, Any]]:
    s, d = Service.__table__, Department.__table__
    rows = uow.conn.execute(
        select(s.c.id, s.c.code, s.c.name, s.c.name_en, s.c.prefix, s.c.active,
               s.c.time_limit_s, s.c.warning_s, d.c.name.label("department"))
        .select_from(s.join(d, d.c.id == s.c.department_id))
        .where(s.c.hall_id == hall_id).order_by(d.c.sort, s.c.sort, s.c.id)).all()
    return {r.id: dict(r._mapping) for r in rows}


def _waiting(uow: UnitOfWork, hall_id: int, service_ids: list[int]) -> dict[str, dict]:
    """Waiting tickets per service (general queue: ``service``; every waiting ticket of the
    service, those sent to a window by name included: ``all``, with how many of them were
    sent to a window) and per counter (sent to it by name): how many, and when the oldest
    was issued and queued. Seeks of the queue indexes (ix_tickets_queue,
    ix_tickets_directed), never a scan of the hall's history."""
    t, c = Ticket.__table__, Counter.__table__
    directed_flag = case((t.c.target_counter_id.is_(None), 0), else_=1)
    per_service = uow.conn.execute(
        select(t.c.service_id, directed_flag, func.count(), func.min(t.c.issued_at),
               func.min(t.c.queued_at))
        .where(t.c.service_id.in_(service_ids), t.c.state == "waiting")
        .group_by(t.c.service_id, directed_flag)).all() if service_ids else []
    general = [(sid, n, issued, queued) for sid, sent, n, issued, queued in per_service
               if not sent]
    every: dict[int, list] = {}
    for sid, sent, n, issued, queued in per_service:
        have = every.setdefault(sid, [sid, 0, issued, queued, 0])
        have[1] += n
        have[2], have[3] = min(have[2], issued), min(have[3], queued)
        have[4] += n if sent else 0
    directed = uow.conn.execute(
        select(t.c.target_counter_id, func.count(), func.min(t.c.issued_at),
               func.min(t.c.queued_at))
        .where(t.c.target_counter_id.in_(select(c.c.id).where(c.c.hall_id == hall_id)),
               t.c.state == "waiting")
        .group_by(t.c.target_counter_id)).all()
    return {"service": {r[0]: r for r in general}, "counter": {r[0]: r for r in directed},
            "all": every}


def _counters(uow: UnitOfWork, hall_id: int, services: dict[int, dict],
              waiting: dict[str, dict]) -> list[dict[str, Any]]:
    c, st, t, cs = (Counter.__table__, Staff.__table__, Ticket.__table__,
                    CounterService.__table__)
    rows = uow.conn.execute(
        select(c.c.id, c.c.number, c.c.name, c.c.state, c.c.pause_reason, c.c.state_since,
               st.c.id.label("staff_id"), st.c.name.label("staff_name"),
               st.c.number.label("staff_number"), t.c.id.label("ticket_id"),
               t.c.number.label("ticket_number"), t.c.state.label("ticket_state"),
               t.c.service_id, t.c.counter_id.label("ticket_counter"), t.c.issued_at,
               t.c.called_at, t.c.started_at, t.c.kind.label("ticket_kind"))
        .select_from(c.outerjoin(st, st.c.id == c.c.staff_id)
                     .outerjoin(t, t.c.id == c.c.current_ticket_id))
        .where(c.c.hall_id == hall_id).order_by(c.c.number)).all()
    serves: dict[int, list[int]] = {}
    for counter_id, service_id in uow.conn.execute(
            select(cs.c.counter_id, cs.c.service_id)
            .where(cs.c.counter_id.in_([r.id for r in rows]))):
        serves.setdefault(counter_id, []).append(service_id)
    released = _released(uow, hall_id, [r.id for r in rows])
    out = []
    for r in rows:
        current = _current(uow, r, services) \
            if r.ticket_id is not None and r.ticket_state in AT_COUNTER_STATES \
            and r.ticket_counter == r.id else None
        mine = serves.get(r.id, [])
        queued = [waiting["service"][s] for s in mine if s in waiting["service"]]
        if r.id in waiting["counter"]:
            queued.append(waiting["counter"][r.id])
        idle_since = None
        if r.state == "open" and current is None:
            stamps = [x for x in (r.state_since, released.get(r.id)) if x is not None]
            idle_since = max(stamps) if stamps else None
        out.append({
            "id": r.id, "number": r.number, "name": r.name, "state": r.state,
            "pause_reason": r.pause_reason, "state_since": iso(r.state_since),
            "staff": {"id": r.staff_id, "name": r.staff_name, "number": r.staff_number}
            if r.staff_id is not None else None,
            "services": mine,
            "waiting": sum(q[1] for q in queued),
            "oldest_queued_at": iso(min(q[3] for q in queued)) if queued else None,
            "current": current,
            "idle_since": iso(idle_since),
        })
    return out


def _current(uow: UnitOfWork, r: Any, services: dict[int, dict]) -> dict[str, Any]:
    svc = services.get(r.service_id) or {}
    clock = None
    if r.ticket_state == "serving" and r.started_at is not None:
        clock = visit_clock(r.started_at, uow.now, svc.get("warning_s"),
                            svc.get("time_limit_s")).as_dict()
    return {"id": r.ticket_id, "number": r.ticket_number, "state": r.ticket_state,
            "kind": r.ticket_kind, "service_id": r.service_id, "service": svc.get("name"),
            "issued_at": iso(r.issued_at), "called_at": iso(r.called_at),
            "started_at": iso(r.started_at), "time_limit_s": svc.get("time_limit_s"),
            "warning_s": svc.get("warning_s"), "clock": clock}


def _released(uow: UnitOfWork, hall_id: int, counter_ids: list[int]) -> dict[int, datetime]:
    """When each window last let a visitor go (finish, skip, hold, transfer), since
    yesterday: the start of its idle time when that is later than its opening."""
    t = Ticket.__table__
    today = repo.settings_of(repo.hall_row(uow.conn, hall_id)).local(uow.now).date()
    rows = uow.conn.execute(
        select(t.c.counter_id, func.max(t.c.finished_at), func.max(t.c.released_at))
        .where(t.c.hall_id == hall_id, t.c.day >= today - timedelta(days=1),
               t.c.counter_id.in_(counter_ids))
        .group_by(t.c.counter_id)).all()
    out = {}
    for counter_id, finished, released in rows:
        stamps = [x for x in (finished, released) if x is not None]
        if stamps:
            out[counter_id] = max(stamps)
    return out


def _queues(services: dict[int, dict], waiting: dict[str, dict],
            counters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for sid, svc in services.items():
        w = waiting["all"].get(sid)  # the line as visitors see it: sent to a window too
        if not svc["active"] and w is None:
            continue
        out.append({
            "service_id": sid, "code": svc["code"], "name": svc["name"],
            "name_en": svc["name_en"], "prefix": svc["prefix"],
            "department": svc["department"],
            "waiting": w[1] if w else 0,
            "oldest_issued_at": iso(w[2]) if w else None,  # its wait is the longest
            "oldest_queued_at": iso(w[3]) if w else None,
            "to_windows": w[4] if w else 0,  # of them, sent to a window by name
            "open_counters": sum(c["state"] == "open" and sid in c["services"]
                                 for c in counters),
        })
    return out


def _alerts(uow: UnitOfWork, hall_id: int) -> list[dict[str, Any]]:
    a = Alert.__table__
    rows = uow.conn.execute(select(a).where(a.c.hall_id == hall_id, a.c.cleared_at.is_(None))
                            .order_by(a.c.raised_at.desc(), a.c.id.desc())
                            .limit(ALERTS_SHOWN)).all()
    return [alerts.view(r) for r in rows]
