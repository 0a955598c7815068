"""Where each line stands: how many wait, who is ahead of a ticket, how long a ticket or a
newcomer will wait, and the ``queue.stats`` follow-up event (DESIGN.md §3).

The one owner of these figures, so the issue path, the phone page, the printed ticket,
GET /api/v1/queues, the kiosk catalog and queue.stats can never disagree.

Issuing and calling never count a line. The waiting tickets per (service, kind) are kept
by the database in ``waiting_counts`` (triggers on tickets, migration 0007), so a
newcomer's people ahead and a service's waiting total are one primary-key read however
long the line. Only a ticket already in line (its phone page, its printed slip) gets an
exact count of who is before it: a range of ix_tickets_queue, on a read.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, bindparam, func, or_, select

from hall.domain.estimate import (
    ahead_of_newcomer,
    capacity,
    estimate_wait,
    service_time_estimate,
)
from hall.services import repo
from hall.services.cache import TTLCache
from hall.store.models import Counter, CounterService, Service, Ticket, WaitingCount, kind_is
from hall.store.prepared import Prepared

if TYPE_CHECKING:
    from hall.services.context import UnitOfWork

RECENT = 20  # service times of the last 20 visits of a service drive its estimate

# Events that change how many wait for a service: each is followed by a queue.stats for
# that service. A skip, start, finish, recall or hold of a counter's current ticket leaves
# the line as it was. A counter opening, pausing, resuming or closing (counter.state)
# changes the estimates of the services it serves: each of those gets its queue.stats too.
QUEUE_EVENTS = frozenset({"ticket.issued", "ticket.called", "ticket.cancelled",
                          "ticket.reinstated", "ticket.transferred", "ticket.unheld",
                          "ticket.step"})
COUNTER_EVENT = "counter.state"

_T, _W = Ticket.__table__, WaitingCount.__table__
WAITING_BY_KIND = Prepared(select(_W.c.kind, _W.c.waiting)
                           .where(_W.c.service_id == bindparam("service_id")))
_earlier = or_(_T.c.queued_at < bindparam("queued_at"),
               and_(_T.c.queued_at == bindparam("queued_at"), _T.c.id < bindparam("id")))
# Green-channel tickets go before normal ones; within a kind, by queue time. Appointments
# have slots of their own and are not counted ahead of walk-ins (estimate.ahead_of_newcomer
# is the same rule for the last in line).
AHEAD_OF_NORMAL = Prepared(select(func.count()).where(
    _T.c.service_id == bindparam("service_id"), _T.c.state == "waiting",
    or_(kind_is(_T.c.kind, "priority"), and_(kind_is(_T.c.kind, "normal"), _earlier))))
AHEAD_OF_PRIORITY = Prepared(select(func.count()).where(
    _T.c.service_id == bindparam("service_id"), _T.c.state == "waiting",
    kind_is(_T.c.kind, "priority"), _earlier))


# ---- how many wait -----------------------------------------------------------------


def waiting_by_kind(conn: Connection, service_id: int) -> dict[str, int]:
    """Waiting tickets of a service per kind (any day: yesterday's stay in line)."""
    return dict(WAITING_BY_KIND(conn, service_id=service_id).rows)


def waiting_by_service(conn: Connection, hall_id: int) -> dict[int, int]:
    """Waiting tickets per service of a hall: a read of a few rows per service."""
    s = Service.__table__
    rows = conn.execute(select(_W.c.service_id, func.sum(_W.c.waiting))
                        .where(_W.c.service_id.in_(select(s.c.id).where(s.c.hall_id == hall_id)))
                        .group_by(_W.c.service_id)).all()
    return {service_id: int(n) for service_id, n in rows}


# ---- who is ahead --------------------------------------------------------------------


def people_ahead(conn: Connection, ticket: dict[str, Any]) -> int:
    """Exactly how many waiting tickets of the same service will be called before this
    waiting one (the phone page, a reprint): counts the part of the line before it."""
    stmt = AHEAD_OF_PRIORITY if ticket["kind"] == "priority" else AHEAD_OF_NORMAL
    return stmt(conn, service_id=ticket["service_id"], queued_at=ticket["queued_at"],
                id=ticket["id"]).scalar_one()


def newcomer_ahead(conn: Connection, ticket: dict[str, Any]) -> int:
    """People ahead of a ticket just inserted in this transaction (the counts include it),
    from the waiting counts: the same figure as ``people_ahead``, without counting."""
    waiting = waiting_by_kind(conn, ticket["service_id"])
    waiting[ticket["kind"]] = waiting.get(ticket["kind"], 1) - 1
    return ahead_of_newcomer(waiting, ticket["kind"])


# ---- how long ------------------------------------------------------------------------


def recent_service_times(conn: Connection, service_id: int, day: date) -> list[float]:
    t = Ticket.__table__
    rows = conn.execute(
        select(t.c.started_at, t.c.finished_at)
        .where(t.c.service_id == service_id, t.c.day == day, t.c.finished_at.is_not(None),
               t.c.started_at.is_not(None))
        .order_by(t.c.finished_at.desc()).limit(RECENT)).all()
    return [(f - s).total_seconds() for s, f in rows]


@dataclass(frozen=True, slots=True)
class Windows:
    """The windows serving a service now: how many are open (not paused, not closed), and
    their capacity in windows (each one's share of its weights, estimate.capacity)."""

    open: int = 0
    capacity: float = 0.0


def _serving_windows(conn: Connection, where) -> dict[int, Windows]:
    """Per service: the open windows serving it with their weights, in one read of the
    hall's counter_services (a few rows per window)."""
    c, cs = Counter.__table__, CounterService.__table__
    totals = (select(cs.c.counter_id, func.sum(cs.c.weight).label("total"))
              .group_by(cs.c.counter_id).subquery())
    rows = conn.execute(
        select(cs.c.service_id, cs.c.weight, totals.c.total)
        .select_from(c.join(cs, cs.c.counter_id == c.c.id)
                     .join(totals, totals.c.counter_id == c.c.id))
        .where(c.c.state == "open", where)).all()
    shares: dict[int, list[tuple[int, int]]] = {}
    for service_id, weight, total in rows:
        shares.setdefault(service_id, []).append((int(weight), int(total)))
    return {sid: Windows(len(s), capacity(s)) for sid, s in shares.items()}


def serving_windows(conn: Connection, service_id: int) -> Windows:
    cs = CounterService.__table__
    return _serving_windows(conn, cs.c.service_id == service_id).get(service_id, Windows())


def serving_windows_by_service(conn: Connection, hall_id: int) -> dict[int, Windows]:
    return _serving_windows(conn, Counter.__table__.c.hall_id == hall_id)


def services_of_counter(conn: Connection, counter_id: int) -> list[int]:
    cs = CounterService.__table__
    return list(conn.execute(select(cs.c.service_id).where(cs.c.counter_id == counter_id)
                             .order_by(cs.c.service_id)).scalars())


def _pace_key(service_id: int, day: date) -> tuple[str, int, date]:
    return ("pace", service_id, day)


def pace(conn: Connection, service_id: int, expected_visit_s: float, day: date,
         cache: TTLCache | None = None) -> tuple[float, Windows]:
    """(seconds per visit, the windows serving it) of a service today. They move slowly, so
    they may come from ``cache`` for a couple of seconds (one entry shared by every caller;
    a window changing state forgets its services' entries in this process at once)."""

    def load() -> tuple[float, Windows]:
        recent = recent_service_times(conn, service_id, day)
        return (service_time_estimate(recent, expected_visit_s),
                serving_windows(conn, service_id))

    return cache.get(_pace_key(service_id, day), load) if cache is not None else load()


def wait_range(ahead: int, per_visit: float, windows: Windows) -> dict[str, int] | None:
    """The estimated wait as the API gives it, or None: no window serves the service now."""
    found = estimate_wait(ahead, per_visit, windows.capacity)
    return None if found is None else {"min_s": found[0], "max_s": found[1]}


def _estimate(ahead: int, per_visit: float, windows: Windows) -> dict[str, Any]:
    return {"ahead": ahead, "estimated_wait": wait_range(ahead, per_visit, windows)}


def estimate_for(conn: Connection, ticket: dict[str, Any], svc: Any,
                 cache: TTLCache | None = None) -> dict[str, Any]:
    """People ahead (exact) and the estimated wait (a range, in seconds) of a waiting
    ticket already in line."""
    ahead = people_ahead(conn, ticket)
    return _estimate(ahead, *pace(conn, svc.id, svc.expected_visit_s, ticket["day"], cache))


def newcomer_estimate(uow: UnitOfWork, ticket: dict[str, Any], svc: Any) -> dict[str, Any]:
    """``estimate_for`` of a ticket this command just issued, at a cost that does not grow
    with the line: the issue path."""
    ahead = newcomer_ahead(uow.conn, ticket)
    return _estimate(ahead, *pace(uow.conn, svc.id, svc.expected_visit_s, ticket["day"],
                                  uow.ctx.cache))


def line(waiting: int, per_visit: float, windows: Windows) -> dict[str, Any]:
    """A service's line as queue.stats, GET /api/v1/queues and the kiosk show it: how many
    wait, how many open windows serve it, and a newcomer's estimated wait (None when no
    window serves it now)."""
    return {"waiting": waiting, "open_counters": windows.open,
            "estimated_wait": wait_range(waiting, per_visit, windows)}


# ---- queue.stats ---------------------------------------------------------------------


def _service_of(payload: dict[str, Any]) -> int | None:
    if payload.get("service_id") is not None:
        return payload["service_id"]
    ticket = payload.get("ticket")
    if isinstance(ticket, dict):  # ticket.issued carries the ticket's view
        return (ticket.get("service") or {}).get("id")
    return None


def queue_stats(uow: UnitOfWork) -> None:
    """A follow-up (Context.followups): one ``queue.stats`` per service whose line this
    unit of work changed, after the events that changed it, with their seqs.

    Per service: one primary-key read of the waiting counts; the pace comes from the
    2-second cache the issue path fills.
    """
    wanted: dict[tuple[int, int], None] = {}  # (hall, service), in order of first change
    for e in uow.events:
        if e.type in QUEUE_EVENTS:
            service_id = _service_of(e.payload)
            if service_id is not None:
                wanted.setdefault((e.hall_id, service_id))
        elif e.type == COUNTER_EVENT and e.payload.get("counter_id") is not None:
            day = repo.hall_config(uow, e.hall_id).settings.local(uow.now).date()
            for service_id in services_of_counter(uow.conn, e.payload["counter_id"]):
                uow.ctx.cache.forget(_pace_key(service_id, day))  # the windows changed
                wanted.setdefault((e.hall_id, service_id))
    for hall_id, service_id in wanted:
        uow.emit("queue.stats", hall_id, **service_stats(uow, hall_id, service_id))


def service_stats(uow: UnitOfWork, hall_id: int, service_id: int) -> dict[str, Any]:
    waiting = sum(waiting_by_kind(uow.conn, service_id).values())
    svc = repo.service_cached(uow, hall_id, service_id)
    day = repo.hall_config(uow, hall_id).settings.local(uow.now).date()
    per_visit, windows = pace(uow.conn, service_id, svc.expected_visit_s, day, uow.ctx.cache)
    return {"service_id": service_id, **line(waiting, per_visit, windows)}
