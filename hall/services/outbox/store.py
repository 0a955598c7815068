"""Outbox rows: written with the fact that causes them, claimed by a worker under a lease,
marked sent, retried with backoff, or failed with the reason.

Exactly once per ``key``: ``enqueue`` of a key already there does nothing (ON CONFLICT DO
NOTHING), and a worker killed after sending but before marking leaves the row to be sent
again with the same key, which the receiving end refuses as a repeat (the adapter reads
that answer as "already delivered"). A lease (``lease_until``) keeps two workers off one
row; a dead worker's lease runs out and its rows are taken again.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from hall.services.context import UnitOfWork
from hall.store.models import OutboxRow

STATES = ("pending", "sent", "failed")
BACKOFF_BASE_S = 30.0
BACKOFF_MAX_S = 3600.0
MAX_ATTEMPTS = 10  # then failed, for a supervisor to see and send again


def backoff(attempts: int, base: float = BACKOFF_BASE_S, cap: float = BACKOFF_MAX_S) -> float:
    """Seconds to wait after the ``attempts``-th failed try: 30 s, 60 s, 120 s … ≤ 1 h."""
    return min(cap, base * 2 ** max(0, attempts - 1))


def enqueue(uow: UnitOfWork, hall_id: int | None, topic: str, key: str,
            payload: dict[str, Any]) -> None:
    """Write the row in the caller's transaction; a key already written is left alone."""
    values = dict(hall_id=hall_id, topic=topic, key=key, payload=payload, state="pending",
                  attempts=0, next_at=uow.now, created_at=uow.now)
    dialect = postgresql if uow.conn.dialect.name == "postgresql" else sqlite
    uow.conn.execute(dialect.insert(OutboxRow.__table__).values(**values)
                     .on_conflict_do_nothing(index_elements=["key"]))


def any_due(uow: UnitOfWork, topics: list[str]) -> bool:
    """Is a row of ``topics`` due now (a read, so an idle worker takes no write lock)?"""
    o = OutboxRow.__table__
    free = (o.c.lease_until.is_(None)) | (o.c.lease_until < uow.now)
    return uow.conn.execute(select(o.c.id).where(
        o.c.state == "pending", o.c.topic.in_(topics), o.c.next_at <= uow.now, free)
        .limit(1)).first() is not None


def claim(uow: UnitOfWork, topics: list[str], limit: int, lease_s: float) -> list[Any]:
    """Take up to ``limit`` due rows of ``topics`` (oldest first) under a lease. A row's
    ``retaken`` is true when an earlier lease on it ran out unrecorded (a worker died while
    sending it): the adapter may then ask its provider whether it arrived."""
    o = OutboxRow.__table__
    free = (o.c.lease_until.is_(None)) | (o.c.lease_until < uow.now)
    ids = select(o.c.id, o.c.lease_until).where(
        o.c.state == "pending", o.c.topic.in_(topics), o.c.next_at <= uow.now, free
    ).order_by(o.c.id).limit(limit)
    if uow.conn.dialect.name == "postgresql":
        ids = ids.with_for_update(skip_locked=True)
    found = uow.conn.execute(ids).all()
    if not found:
        return []
    wanted = [r.id for r in found]
    retaken = [r.id for r in found if r.lease_until is not None]
    until = uow.now + timedelta(seconds=lease_s)
    uow.conn.execute(update(o).where(o.c.id.in_(wanted)).values(lease_until=until))
    return list(uow.conn.execute(select(o, o.c.id.in_(retaken).label("retaken"))
                                 .where(o.c.id.in_(wanted)).order_by(o.c.id)))


def mark_sent(uow: UnitOfWork, row_id: int) -> None:
    o = OutboxRow.__table__
    uow.conn.execute(update(o).where(o.c.id == row_id).values(
        state="sent", sent_at=uow.now, lease_until=None, attempts=o.c.attempts + 1,
        last_error=None))


def mark_retry(uow: UnitOfWork, row: Any, error: str, max_attempts: int = MAX_ATTEMPTS,
               base_s: float = BACKOFF_BASE_S) -> str:
    """A try that may work later (the endpoint down, a 5xx): back off, or fail for good
    after ``max_attempts``. Returns the row's new state."""
    attempts = row.attempts + 1
    state = "failed" if attempts >= max_attempts else "pending"
    o = OutboxRow.__table__
    uow.conn.execute(update(o).where(o.c.id == row.id).values(
        state=state, attempts=attempts, lease_until=None, last_error=error[:500],
        next_at=uow.now + timedelta(seconds=backoff(attempts, base_s))))
    return state


def mark_failed(uow: UnitOfWork, row_id: int, error: str) -> None:
    """Refused for good (the record itself is wrong): kept, visible, never retried alone."""
    o = OutboxRow.__table__
    uow.conn.execute(update(o).where(o.c.id == row_id).values(
        state="failed", attempts=o.c.attempts + 1, lease_until=None, last_error=error[:500]))


def requeue(uow: UnitOfWork, hall_id: int, row_id: int) -> bool:
    """A supervisor sends a failed row again (after the cause is fixed)."""
    o = OutboxRow.__table__
    done = uow.conn.execute(update(o).where(o.c.id == row_id, o.c.hall_id == hall_id,
                                            o.c.state == "failed")
                            .values(state="pending", next_at=uow.now, attempts=0))
    return done.rowcount == 1


def counts(uow: UnitOfWork, hall_id: int, topic_prefix: str = "") -> dict[str, int]:
    o = OutboxRow.__table__
    rows = uow.conn.execute(select(o.c.state, func.count()).where(
        o.c.hall_id == hall_id, o.c.topic.startswith(topic_prefix)).group_by(o.c.state))
    out = dict.fromkeys(STATES, 0)
    out.update({state: n for state, n in rows})
    return out


def latest(uow: UnitOfWork, hall_id: int, topic_condition: Any, state: str | None,
           limit: int) -> list[Any]:
    """A hall's rows whose topic meets ``topic_condition``, failed first, then the newest:
    what a supervisor's list of messages or records shows."""
    o = OutboxRow.__table__
    stmt = select(o).where(o.c.hall_id == hall_id, topic_condition)
    if state:
        stmt = stmt.where(o.c.state == state)
    return uow.conn.execute(stmt.order_by(o.c.state != "failed", o.c.id.desc())
                            .limit(limit)).all()


def view(row: Any) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {"id": row.id, "topic": row.topic, "key": row.key, "state": row.state,
            "attempts": row.attempts, "next_at": iso(row.next_at),
            "last_error": row.last_error, "created_at": iso(row.created_at),
            "sent_at": iso(row.sent_at)}
