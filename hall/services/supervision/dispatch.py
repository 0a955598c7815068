"""Auto-dispatch (issue 22): a free open window idle for the hall's ``auto_dispatch_seconds``
while people wait for it calls the next visitor itself.

The watch asks ``auto_dispatch`` on every pass (it is timed in seconds, not minutes). Which
windows are idle, and since when, is ``watch_rules.idle_since`` — the same reading as the
idle-window alert. Each call is ``calling.call_next`` as the system acting for that window,
so the policy, the claim and the ``ticket.called`` event (the window's screen and terminal
show it as any call) are the usual ones. The setting is off by default; staff turn it off
for their own window (``counters.state.set_auto_dispatch``).
"""
from __future__ import annotations

import logging
from typing import Any

from hall.domain.access import Actor
from hall.domain.errors import DomainError
from hall.services import repo
from hall.services.context import Context, read
from hall.services.queue import calling
from hall.services.supervision.watch_rules import idle_since

log = logging.getLogger(__name__)


def idle_limit(settings: dict[str, Any] | None) -> float | None:
    """The hall's ``auto_dispatch_seconds``; None (off) when unset, 0 or not a number."""
    value = (settings or {}).get("auto_dispatch_seconds")
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return float(value)


def due_windows(ctx: Context, hall_id: int) -> list[int]:
    """The windows whose idle spell has reached the hall's limit (and that did not opt out),
    in window order. A read; nothing when the setting is off."""

    def query(uow) -> list[int]:
        limit = idle_limit(repo.hall_config(uow, hall_id).row.settings)
        if limit is None:
            return []
        return [r.id for r, since in sorted(idle_since(uow, hall_id), key=lambda x: x[0].number)
                if r.auto_dispatch and (uow.now - since).total_seconds() >= limit]

    return read(ctx, query)


def auto_dispatch(ctx: Context, hall_id: int) -> list[dict[str, Any]]:
    """Call the next visitor at every window due (``due_windows``); returns the calls made
    (call_next's value and the window). A window that changed meanwhile (staff called,
    paused or closed it) is left alone."""
    called = []
    for counter_id in due_windows(ctx, hall_id):
        actor = Actor("system", None, hall_id, "auto_dispatch", counter_id,
                      label="auto-dispatch")
        try:
            value = calling.call_next(ctx, counter_id=counter_id, actor=actor).value
        except DomainError as exc:  # a race with the window's own staff: theirs wins
            log.info("auto-dispatch at counter %s: %s", counter_id, exc.code)
            continue
        if value is not None:
            called.append(value | {"counter_id": counter_id})
    return called
