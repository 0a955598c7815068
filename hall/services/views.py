"""Plain-dict views of rows, as the API, events and screens see them."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from hall.domain.estimate import estimate_wait, service_time_estimate
from hall.store.models import Counter, CounterService, Ticket
from hall.store.prepared import Prepared

_RECENT = 20  # service times of the last 20 visits of a service drive its estimate

# Events that change how many wait for a service: each is followed by a queue.stats for
# that service. A skip, start, finish, recall or hold of a counter's current ticket leaves
# the line as it was. A counter opening, pausing or closing changes only the estimate:
# screens fetch the queues again on counter.state, a few times a day per counter.
QUEUE_EVENTS = frozenset({"ticket.issued", "ticket.called", "ticket.cancelled",
                          "ticket.reinstated", "ticket.transferred", "ticket.unheld"})
_T = Ticket.__table__
# One range count on ix_tickets_queue (service_id, state, …): an index-only scan.
WAITING = Prepared(select(func.count()).where(_T.c.service_id == bindparam("service_id"),
                                              _T.c.state == "waiting"))


def iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def phone_url(base_url: str, token: str) -> str:
    """The phone page a ticket's QR code opens (display blueprint: /t/<token>)."""
    return f"{base_url.rstrip('/')}/t/{token}"


def case_url(base_url: str, number: str) -> str:
    """办件查询 with the case number filled in (kiosk blueprint: /case/<number>)."""
    return f"{base_url.rstrip('/')}/case/{number}"


def public_ticket(t: Any, svc: Any) -> dict[str, Any]:
    """A ticket as its holder and the hall screens see it (no personal data)."""
    g = t.get if isinstance(t, dict) else lambda k, d=None: getattr(t, k, d)
    return {
        "id": g("id"), "hall_id": g("hall_id"), "number": g("number"), "token": g("token"),
        "kind": g("kind"),
        "priority_reason": g("priority_reason"), "state": g("state"),
        "service": {"id": svc.id, "code": svc.code, "name": svc.name, "name_en": svc.name_en,
                    "prefix": svc.prefix},
        "issued_at": iso(g("issued_at")), "called_at": iso(g("called_at")),
        "counter_id": g("counter_id"), "parent_id": g("parent_id"),
    }


def estimate_for(conn: Connection, ticket: dict[str, Any], svc: Any, cache=None
                 ) -> dict[str, Any]:
    """People ahead (exact) and the estimated wait (a range, in seconds) of a waiting
    ticket. The service's pace — recent service times and open counters — moves slowly,
    so it may come from ``cache`` for a couple of seconds."""
    from hall.services.queue.tickets import people_ahead  # one definition of "ahead"

    ahead = people_ahead(conn, ticket)

    def pace() -> tuple[float, int]:
        recent = recent_service_times(conn, svc.id, ticket["day"])
        return service_time_estimate(recent, svc.expected_visit_s), open_counters(conn, svc.id)

    per_visit, counters = cache.get(("pace", svc.id, ticket["day"]), pace) if cache else pace()
    low, high = estimate_wait(ahead, per_visit, counters)
    return {"ahead": ahead, "estimated_wait": {"min_s": low, "max_s": high}}


def recent_service_times(conn: Connection, service_id: int, day) -> list[float]:
    t = Ticket.__table__
    rows = conn.execute(
        select(t.c.started_at, t.c.finished_at)
        .where(t.c.service_id == service_id, t.c.day == day, t.c.finished_at.is_not(None),
               t.c.started_at.is_not(None))
        .order_by(t.c.finished_at.desc()).limit(_RECENT)).all()
    return [(f - s).total_seconds() for s, f in rows]


def open_counters(conn: Connection, service_id: int) -> int:
    c, cs = Counter.__table__, CounterService.__table__
    return conn.execute(
        select(func.count()).select_from(c.join(cs, cs.c.counter_id == c.c.id))
        .where(cs.c.service_id == service_id, c.c.state == "open")).scalar_one()


def _service_of(payload: dict[str, Any]) -> int | None:
    if payload.get("service_id") is not None:
        return payload["service_id"]
    ticket = payload.get("ticket")
    if isinstance(ticket, dict):  # ticket.issued carries the ticket's view
        return (ticket.get("service") or {}).get("id")
    return None


def queue_stats(uow) -> None:
    """Emit one ``queue.stats`` per service whose line this unit of work changed: waiting
    count and a newcomer's estimated wait, as GET /api/v1/queues gives them (DESIGN.md §3).

    Called by the unit of work before it writes its events, so each queue.stats gets a
    seq in the same transaction, after the events that caused it. The count is one indexed
    query; the service's pace (recent service times, open counters) comes from the
    2-second cache that ``estimate_for`` fills on every issue.
    """
    wanted: dict[tuple[int, int], None] = {}  # (hall, service), in order of first change
    for e in uow.events:
        if e.type in QUEUE_EVENTS:
            service_id = _service_of(e.payload)
            if service_id is not None:
                wanted.setdefault((e.hall_id, service_id))
    for hall_id, service_id in wanted:
        uow.emit("queue.stats", hall_id, **service_stats(uow, hall_id, service_id))


def service_stats(uow, hall_id: int, service_id: int) -> dict[str, Any]:
    from hall.services import repo

    conn = uow.conn
    waiting = WAITING(conn, service_id=service_id).scalar_one()
    svc = repo.service_cached(uow, hall_id, service_id)
    day = repo.hall_config(uow, hall_id).settings.local(uow.now).date()

    def pace() -> tuple[float, int]:
        recent = recent_service_times(conn, service_id, day)
        return (service_time_estimate(recent, svc.expected_visit_s),
                open_counters(conn, service_id))

    per_visit, counters = uow.ctx.cache.get(("pace", service_id, day), pace)
    low, high = estimate_wait(waiting, per_visit, counters)
    return {"service_id": service_id, "waiting": waiting, "open_counters": counters,
            "estimated_wait": {"min_s": low, "max_s": high}}
