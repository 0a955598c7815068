"""Context and unit of work shared by every service command."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from hall.domain.events import DomainEvent
from hall.services.cache import TTLCache
from hall.store import hot

log = logging.getLogger(__name__)
T = TypeVar("T")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class ManualClock:
    """A clock tests move by hand; nothing monkeypatches the system time."""

    current: datetime

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


Publisher = Callable[[list[DomainEvent]], None]
# Adds the events that follow from a command's own (queue.stats after a line changed),
# inside its transaction, before seqs are given.
Followup = Callable[["UnitOfWork"], None]


@dataclass
class Context:
    """What every command runs with. ``followups`` has no default: a real hall's are put
    together by ``hall.services.wiring.make_context``, and a Context built by hand has to
    say that it wants none (``followups=[]``) rather than silently lose queue.stats."""

    engine: Engine
    clock: Clock = field(default_factory=SystemClock)
    publishers: list[Publisher] = field(default_factory=list)
    secret: bytes = b""  # keys hashes of personal data (ID numbers, phones)
    cache: TTLCache = field(default_factory=TTLCache)
    # how long a staff session may go unused (HALL_SESSION_IDLE_MINUTES): the watch closes
    # a window whose session idled out (counters/signout.py); None: no such sweep
    session_idle_s: float | None = None
    followups: list[Followup] = field(kw_only=True)

    def publish(self, events: list[DomainEvent]) -> None:
        for publisher in self.publishers:
            try:
                publisher(events)
            except Exception:  # a broken screen feed must never undo a committed command
                log.exception("event publisher %r failed", publisher)


@dataclass
class Result:
    """What a command returns: its value and the events it caused (with their seq)."""

    value: Any
    events: list[DomainEvent]


class UnitOfWork:
    def __init__(self, ctx: Context, conn: Connection):
        self.ctx = ctx
        self.conn = conn
        self.now = ctx.clock.now()
        self.events: list[DomainEvent] = []

    def emit(self, type_: str, hall_id: int, **payload: Any) -> None:
        self.events.append(DomainEvent(type_, hall_id, payload, at=self.now))

    def _append_events(self) -> None:
        """Give events the hall's next seqs and write them to the log, in this transaction.

        The hall row is locked by the UPDATE until commit, so seqs become visible in order:
        a reader of ``seq > N`` can never see N+2 committed before N+1. The context's
        follow-ups add theirs first (a command that changed a service's line gets a
        ``queue.stats`` for it), so they come after the events that caused them.
        """
        for followup in self.ctx.followups:
            followup(self)
        by_hall: dict[int, list[DomainEvent]] = {}
        for e in self.events:
            by_hall.setdefault(e.hall_id, []).append(e)
        for hall_id, events in sorted(by_hall.items()):
            last = hot.BUMP_SEQ(self.conn, hall_id=hall_id, n=len(events)).scalar_one()
            for i, e in enumerate(events):
                e.seq = last - len(events) + 1 + i
                hot.INSERT_EVENT(self.conn, hall_id=hall_id, seq=e.seq, at=e.at, type=e.type,
                                 payload=e.payload)


_RETRYABLE = ("40001", "40P01")  # PostgreSQL serialization failure, deadlock


def _retryable(exc: DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    return code in _RETRYABLE or (isinstance(exc, OperationalError) and "locked" in str(exc))


class _Dropped(Exception):
    """The database connection was lost (a restarted or killed server process, a network
    cut) while the work was still running, before its COMMIT: nothing of it was committed,
    so it may run again on a new connection. Lost during the COMMIT itself, whether it took
    is unknown, and the error stays what it was."""

    def __init__(self, error: DBAPIError):
        super().__init__(str(error))
        self.error = error


@contextmanager
def _unit(ctx: Context, readonly: bool) -> Iterator[UnitOfWork]:
    with ctx.engine.connect() as conn:
        if readonly:
            conn = conn.execution_options(readonly=True)
        with conn.begin():
            uow = UnitOfWork(ctx, conn)
            try:
                yield uow
                if uow.events:
                    uow._append_events()
            except DBAPIError as exc:
                if exc.connection_invalidated:
                    raise _Dropped(exc) from exc
                raise


def run(ctx: Context, command: Callable[[UnitOfWork], T], attempts: int = 4) -> Result:
    """Run ``command`` in one transaction, commit, then publish its events. A transaction
    the database refused to order (serialization failure, deadlock, SQLite's lock) is run
    again, up to ``attempts`` times; one whose connection dropped before the commit, once."""
    attempt, dropped = 0, False
    while True:
        try:
            with _unit(ctx, readonly=False) as uow:
                value = command(uow)
            break
        except _Dropped as lost:
            if dropped:
                raise lost.error from None
            dropped = True
            log.warning("database connection lost before the commit; running it again")
        except DBAPIError as exc:
            attempt += 1
            if attempt == attempts or not _retryable(exc):
                raise
            time.sleep(0.005 * attempt)
    if uow.events:
        ctx.publish(uow.events)
    return Result(value, uow.events)


def read(ctx: Context, query: Callable[[UnitOfWork], T]) -> T:
    """Run a read-only query in one consistent snapshot; once more on a new connection if
    the database connection dropped under it."""
    try:
        with _unit(ctx, readonly=True) as uow:
            return query(uow)
    except _Dropped:
        log.warning("database connection lost during a read; reading again")
    try:
        with _unit(ctx, readonly=True) as uow:
            return query(uow)
    except _Dropped as lost:
        raise lost.error from None
