"""Reads and small writes shared by the service commands (Core statements, no ORM session)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Table,
    bindparam,
    func,
    insert,
    literal,
    select,
    union_all,
    update,
)

from hall.domain.access import Actor
from hall.domain.callnext import Candidate
from hall.domain.errors import NotFound
from hall.domain.hall import HallSettings, ServiceInfo, parse_hours
from hall.domain.workdays import ServiceDay, WorkCalendar
from hall.store import hot
from hall.store.models import (
    Counter,
    CounterService,
    Department,
    Hall,
    Service,
    Ticket,
    TicketHistory,
    kind_is,
)
from hall.store.prepared import Prepared


def hall_row(conn: Connection, hall_id: int) -> Any:
    row = conn.execute(select(Hall.__table__).where(Hall.id == hall_id)).first()
    if row is None:
        raise NotFound("hall", "hall_id")
    return row


def settings_of(row: Any) -> HallSettings:
    return HallSettings(id=row.id, code=row.code, name=row.name, timezone=row.timezone,
                        target_wait_s=row.target_wait_s, priority_ratio=row.priority_ratio,
                        max_wait_s=row.max_wait_s, rating_window_s=row.rating_window_s,
                        recall_limit=row.recall_limit)


def calendar_of(row: Any) -> WorkCalendar:
    s = row.settings or {}
    return WorkCalendar(
        extra_holidays=frozenset(date.fromisoformat(d) for d in s.get("holidays", [])),
        extra_workdays=frozenset(date.fromisoformat(d) for d in s.get("workdays", [])),
        service_days=tuple(service_day(x) for x in s.get("extended_service") or []))


def service_day(x: dict[str, Any]) -> ServiceDay:
    """One ``extended_service`` entry of the hall's settings (延时服务, as the layout's
    ``ExtendedServiceSpec`` stores it)."""
    on = x.get("date")
    return ServiceDay(on=date.fromisoformat(str(on)) if on else None, weekday=x.get("weekday"),
                      hours=parse_hours(x.get("hours") or []),
                      services=frozenset(x.get("services") or ()))


def service_row(conn: Connection, hall_id: int, service: int | str) -> Any:
    t = Service.__table__
    key = t.c.id == service if isinstance(service, int) else t.c.code == service
    row = conn.execute(select(t).where(t.c.hall_id == hall_id, key)).first()
    if row is None:
        raise NotFound("service", "service")
    return row


@dataclass(frozen=True, slots=True)
class HallConfig:
    """A hall's settings as commands use them (never its last_seq, which moves)."""

    row: Any
    settings: HallSettings
    calendar: WorkCalendar


def hall_config(uow, hall_id: int) -> HallConfig:
    """Cached for a couple of seconds: read on every issue and call."""

    def load() -> HallConfig:
        row = hall_row(uow.conn, hall_id)
        return HallConfig(row, settings_of(row), calendar_of(row))

    return uow.ctx.cache.get(("hall", hall_id), load)


def public_base(uow, hall_id: int, fallback: str) -> str:
    """Where phones reach the hall: the hall's ``public_url`` setting when the server sits
    behind another name (a kiosk may talk to 127.0.0.1), else the request's own address."""
    settings = hall_config(uow, hall_id).row.settings or {}
    return str(settings.get("public_url") or fallback).rstrip("/")


def service_cached(uow, hall_id: int, service: int | str) -> Any:
    return service_cached_info(uow, hall_id, service)[0]


def service_cached_info(uow, hall_id: int, service: int | str) -> tuple[Any, ServiceInfo]:
    """The service's row and its rules (hours parsed), cached together (one entry, one
    load) for the issue path and every other reader."""
    def load() -> tuple[Any, ServiceInfo]:
        row = service_row(uow.conn, hall_id, service)
        return row, service_info(row)

    return uow.ctx.cache.get(("service", hall_id, service), load)


def department_cached(uow, department_id: int | None) -> dict[str, Any] | None:
    """A department's id, code and name (what a ticket's event names it by), cached."""
    if department_id is None:
        return None

    def load() -> dict[str, Any] | None:
        d = Department.__table__
        row = uow.conn.execute(select(d.c.id, d.c.code, d.c.name)
                               .where(d.c.id == department_id)).first()
        return None if row is None else {"id": row.id, "code": row.code, "name": row.name}

    return uow.ctx.cache.get(("department", department_id), load)


def service_info(row: Any) -> ServiceInfo:
    return ServiceInfo(id=row.id, hall_id=row.hall_id, code=row.code, name=row.name,
                       prefix=row.prefix, kind=row.kind, promised_days=row.promised_days,
                       expected_visit_s=row.expected_visit_s, time_limit_s=row.time_limit_s,
                       warning_s=row.warning_s, daily_quota=row.daily_quota,
                       warning_days=row.warning_days,
                       hours=parse_hours(row.hours or []), active=row.active)


def owned(conn: Connection, table: Table, key: Any, within: Actor | int, *, what: str,
          field: str, column: Column | None = None, lock: bool = False) -> Any:
    """The row of a hall's thing — a counter, ticket, case, device, alert, follow-up, print
    job, appointment, account — whose ``column`` (its id unless said) is ``key``, as seen
    from ``within``: a hall (its id), or an actor, who sees their own hall's only.

    The one fence between halls (issue 16): every command and query that names a thing by
    id, number or code finds it here. Another hall's row is filtered out in the statement
    (never read, never locked) and answers NotFound like a row that does not exist, so a
    caller learns nothing of other halls. Only the system (the watch, the command line)
    sees every hall; an actor of no hall (a visitor) sees none this way.
    """
    stmt = select(table).where((table.c.id if column is None else column) == key)
    if isinstance(within, int):
        stmt = stmt.where(table.c.hall_id == within)
    elif within.kind != "system":
        if within.hall_id is None:
            raise NotFound(what, field)
        stmt = stmt.where(table.c.hall_id == within.hall_id)
    row = conn.execute(stmt.with_for_update() if lock else stmt).first()
    if row is None:
        raise NotFound(what, field)
    return row


def counter_row(conn: Connection, counter_id: int, within: Actor | int,
                lock: bool = True) -> Any:
    """The counter, as ``within`` may see it (``owned``), locked for this transaction on
    PostgreSQL (SQLite: BEGIN IMMEDIATE).

    Locking the counter first in every counter command gives one lock order
    (counter → tickets → number rows → hall seq), so commands never deadlock, and two
    browser tabs of one counter can never both claim a ticket.
    """
    return owned(conn, Counter.__table__, counter_id, within, what="counter",
                 field="counter_id", lock=lock)


def ticket_row(conn: Connection, ticket_id: int, within: Actor | int, lock: bool = True,
               field: str = "ticket") -> Any:
    """The ticket, as ``within`` may see it (``owned``), locked unless ``lock`` is False."""
    return owned(conn, Ticket.__table__, ticket_id, within, what="ticket", field=field,
                 lock=lock)


def next_number(conn: Connection, hall_id: int, prefix: str, day: date) -> int:
    """Atomically take the next number of (hall, prefix, day): one UPSERT … RETURNING."""
    return hot.for_dialect(hot.NEXT_NUMBER, conn)(conn, hall_id=hall_id, prefix=prefix,
                                                  day=day).scalar_one()


NO_QUOTA = 2**31 - 1


def take_quota(conn: Connection, service_id: int, day: date, quota: int | None) -> int | None:
    """Count one more ticket for (service, day); None when that would pass the quota."""
    if quota is not None and quota <= 0:
        return None
    return hot.for_dialect(hot.TAKE_QUOTA, conn)(
        conn, service_id=service_id, day=day,
        quota=NO_QUOTA if quota is None else quota).scalar_one_or_none()


def add_history(conn: Connection, ticket_id: int, at: datetime, action: str,
                from_state: str | None, to_state: str, counter_id: int | None,
                actor: str | None, note: str | None = None) -> None:
    conn.execute(insert(TicketHistory).values(
        ticket_id=ticket_id, at=at, action=action, from_state=from_state, to_state=to_state,
        counter_id=counter_id, actor=actor, note=note))


def counter_services(conn: Connection, counter_id: int, cache=None) -> dict[int, int]:
    """Service id → weight for a counter (cached briefly when a cache is given)."""
    cs = CounterService.__table__

    def load() -> dict[int, int]:
        return dict(conn.execute(select(cs.c.service_id, cs.c.weight)
                                 .where(cs.c.counter_id == counter_id)).all())

    return cache.get(("counter_services", counter_id), load) if cache else load()


_CANDIDATE_COLS = ("id", "number", "kind", "queued_at", "service_id", "priority_reason",
                   "appointment_at", "target_counter_id")


def queue_heads(conn: Connection, counter_id: int, weights: dict[int, int],
                exclude: set[int] = frozenset()) -> list[Candidate]:
    """The few tickets call-next must compare: each queue's head per kind, in one statement.

    Within one service and kind, the policy would always take the oldest (appointments:
    the earliest slot), so only heads are read — one index seek each on ix_tickets_queue
    (ix_tickets_appointments) — plus tickets transferred to this counter by name. Cost is
    independent of how many tickets wait (tests/integration/test_queue_cost.py). The
    statement for a counter of k services is prepared once (service ids are parameters);
    only the rare retry that excludes tickets taken meanwhile builds a fresh one.
    """
    services = sorted(weights)
    params = {f"s{i}": sid for i, sid in enumerate(services)} | {"counter_id": counter_id}
    if exclude:
        rows = conn.execute(_heads_statement(len(services), exclude), params).all()
    else:
        rows = _prepared_heads(len(services))(conn, **params).rows
    seen: set[int] = set()
    out = []
    for r in rows:
        row = dict(zip(_CANDIDATE_COLS, r, strict=True))
        if row["id"] in seen:
            continue
        seen.add(row["id"])
        out.append(Candidate(
            ticket_id=row["id"], number=row["number"], kind=row["kind"],
            issued_at=row["queued_at"], weight=weights.get(row["service_id"], 1),
            priority_reason=row["priority_reason"], appointment_at=row["appointment_at"],
            directed=row["target_counter_id"] == counter_id))
    return out


_HEADS: dict[int, Prepared] = {}


def _prepared_heads(k: int) -> Prepared:
    if k not in _HEADS:
        _HEADS[k] = Prepared(_heads_statement(k))
    return _HEADS[k]


def _heads_statement(k: int, exclude: set[int] = frozenset()):
    t = Ticket.__table__
    parts = []
    for i in range(k):
        sid = bindparam(f"s{i}")
        for kind in ("normal", "priority"):
            parts.append(_head(t, t.c.service_id == sid, kind_is(t.c.kind, kind),
                               t.c.target_counter_id.is_(None), exclude, t.c.queued_at))
        parts.append(_head(t, t.c.service_id == sid, kind_is(t.c.kind, "appointment"),
                           t.c.target_counter_id.is_(None), exclude, t.c.appointment_at))
    parts.append(_head(t, t.c.target_counter_id == bindparam("counter_id"), literal(True),
                       literal(True), exclude, t.c.queued_at))
    return union_all(*parts)


def _head(t, where_a, where_b, where_c, exclude, order_col):
    stmt = (select(*[t.c[c] for c in _CANDIDATE_COLS])
            .where(t.c.state == "waiting", where_a, where_b, where_c)
            .order_by(order_col, t.c.id).limit(1))
    if exclude:
        stmt = stmt.where(t.c.id.not_in(exclude))
    return stmt.subquery().select()


def set_counter(conn: Connection, counter_id: int, **values: Any) -> None:
    conn.execute(update(Counter).where(Counter.id == counter_id).values(**values))


def count(conn: Connection, stmt) -> int:
    return conn.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
