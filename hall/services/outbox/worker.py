"""The outbox worker: takes due rows under a lease, sends each through its topic's adapter
outside any transaction, and records what happened, one short transaction per row.

An adapter's ``send(topic, key, payload)`` answers with a ``Delivery``:
- ``SENT`` (accepted, or refused as a repeat of a record already received: delivered);
- ``REFUSED`` (the record is wrong; retrying cannot help): the row is failed, with reason;
- ``RETRY`` (endpoint down, a 5xx, a timeout): back off and try again, failed after
  ``store.MAX_ATTEMPTS``.
A row of a topic with no adapter (a provider not configured here) stays pending.

The worker holds no transaction while it waits on a provider, so the hall never waits on
one; killed at any point (kill -9), it loses nothing: a row it claimed is taken again when
its lease runs out, and sent under the same key.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from hall.services.context import Context, UnitOfWork, read, run
from hall.services.outbox import store

log = logging.getLogger(__name__)

SENT, REFUSED, RETRY = "sent", "refused", "retry"


@dataclass(frozen=True)
class Delivery:
    outcome: str  # SENT | REFUSED | RETRY
    detail: str = ""


class Adapter(Protocol):
    def send(self, topic: str, key: str, payload: dict[str, Any]) -> Delivery: ...


@dataclass
class Settings:
    batch: int = 20
    lease_s: float = 60.0
    backoff_s: float = store.BACKOFF_BASE_S
    max_attempts: int = store.MAX_ATTEMPTS


def run_once(ctx: Context, adapters: Mapping[str, Adapter],
             settings: Settings | None = None) -> dict[str, int]:
    """One pass: claim a batch of due rows and send them; returns counts by outcome."""
    settings = settings or Settings()
    topics = sorted(adapters)
    done = {SENT: 0, REFUSED: 0, RETRY: 0}
    if not topics or not read(ctx, lambda uow: store.any_due(uow, topics)):
        return done  # a read first: no write lock taken (SQLite) when nothing is due
    rows = run(ctx, lambda uow: store.claim(uow, topics, settings.batch,
                                           settings.lease_s)).value
    for row in rows:
        try:
            delivery = _deliver(adapters[row.topic], row)
        except Exception as exc:  # noqa: BLE001 - an adapter's bug must not stop the others
            log.exception("outbox adapter for %s failed on %s", row.topic, row.key)
            delivery = Delivery(RETRY, f"{type(exc).__name__}: {exc}")
        run(ctx, lambda uow, r=row, d=delivery: _record(uow, r, d, settings))
        done[delivery.outcome] += 1
    return done


def _deliver(adapter: Adapter, row: Any) -> Delivery:
    """Send one row; a row retaken from a worker that died mid-send is first looked up at
    the provider when the adapter can (``delivered``): found there, it is not sent again."""
    payload = dict(row.payload or {})
    check = getattr(adapter, "delivered", None)
    if getattr(row, "retaken", False) and check is not None:
        found = check(row.key, payload)
        if found:
            return Delivery(SENT, "delivered before the worker restarted")
        if found is None:
            return Delivery(RETRY, "could not ask the provider whether it was delivered")
    return adapter.send(row.topic, row.key, payload)


def _record(uow: UnitOfWork, row: Any, delivery: Delivery, settings: Settings) -> None:
    if delivery.outcome == SENT:
        store.mark_sent(uow, row.id)
    elif delivery.outcome == REFUSED:
        store.mark_failed(uow, row.id, delivery.detail or "refused")
    else:
        store.mark_retry(uow, row, delivery.detail or "unavailable", settings.max_attempts,
                         settings.backoff_s)


def loop(ctx: Context, adapters: Mapping[str, Adapter], stop: threading.Event | None = None,
         idle_s: float = 2.0, settings: Settings | None = None,
         chores: Callable[[], Any] | None = None, chores_every_s: float = 600.0) -> None:
    """Send until ``stop`` is set; sleeps ``idle_s`` when nothing was due; runs ``chores``
    (erasing old personal data) every ``chores_every_s``."""
    stop = stop or threading.Event()
    chores_at = time.monotonic() + chores_every_s
    while not stop.is_set():
        if chores is not None and time.monotonic() >= chores_at:
            chores_at = time.monotonic() + chores_every_s
            try:
                chores()
            except Exception:  # noqa: BLE001 - a chore must not stop the sending
                log.exception("outbox chores failed")
        try:
            done = run_once(ctx, adapters, settings)
        except Exception:  # noqa: BLE001 - the database away for a moment: try again
            log.exception("outbox pass failed")
            done = {}
        if not sum(done.values()):
            stop.wait(idle_s)


@dataclass
class InServer:
    """The worker running inside a server process (``hall run``, ``hall demo``)."""

    stop_event: threading.Event
    task: Any = None

    def stop(self, timeout: float = 30.0) -> None:
        self.stop_event.set()
        if self.task is not None:
            try:
                self.task.join(timeout=timeout)
            except TypeError:  # eventlet's thread wrapper joins without a timeout
                self.task.join()


def start_in_server(app, adapters: Mapping[str, Adapter], idle_s: float = 2.0,
                    settings: Settings | None = None, chores: Callable[[], Any] | None = None,
                    chores_every_s: float = 600.0) -> InServer:
    """Run ``loop`` in a background green thread of the server (or a thread, per the async
    mode), as the watch runs; the worker's waits (the provider's answer, the idle sleep)
    yield to the server's other green threads, and no transaction is held across them.
    With no adapter it only runs its ``chores``."""
    running = InServer(threading.Event())
    running.task = app.extensions["socketio"].start_background_task(
        loop, app.extensions["hall"], adapters, running.stop_event, idle_s, settings, chores,
        chores_every_s)
    log.info("outbox worker started for %s", ", ".join(sorted(adapters)) or "chores only")
    return running
