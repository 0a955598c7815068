"""Estimated wait shown on tickets, kiosks and phone pages, as a range."""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

# With few recent visits the mean is noisy; blend with the service's expected visit length.
_PRIOR_WEIGHT = 5


def service_time_estimate(recent_service_s: Sequence[float], expected_visit_s: float) -> float:
    """Mean of recent service times, shrunk toward the configured expectation."""
    n = len(recent_service_s)
    return (sum(recent_service_s) + _PRIOR_WEIGHT * expected_visit_s) / (n + _PRIOR_WEIGHT)


def capacity(windows: Iterable[tuple[int, int]]) -> float:
    """How many windows' worth of serving a service has now, from each open, unpaused window
    that serves it: (its weight for this service, the sum of its weights over all the
    services it serves). A window serving this service alone counts 1; one that serves
    two services at weights 2 and 1 counts 2/3 for the first and 1/3 for the second, as
    call-next shares its calls by those weights."""
    return sum(w / total for w, total in windows if w > 0 and total > 0)


def estimate_wait(ahead: int, per_visit_s: float, serving: float) -> tuple[int, int] | None:
    """(low, high) seconds until a ticket with ``ahead`` people before it is called, or None
    when no open window serves the service now: there is no honest number to give, and the
    visitor is told so (暂无窗口办理) instead of a wait that assumes a window will open.

    ``serving`` is the service's capacity in windows (``capacity``); windows work in
    parallel, and the range widens with the queue because service times vary.
    """
    if serving <= 0:
        return None
    if ahead <= 0:
        return (0, int(per_visit_s / max(serving, 1.0)))
    mid = ahead * per_visit_s / serving
    spread = 0.25 + 0.5 / math.sqrt(ahead)
    return (int(mid * (1 - spread / 2)), int(mid * (1 + spread)))


def ahead_of_newcomer(waiting: Mapping[str, int], kind: str) -> int:
    """People ahead of a ticket joining its line now, from the line's waiting counts per
    kind (the newcomer itself not included).

    Green-channel tickets go first, then walk-ins by arrival, so a newcomer is behind every
    waiting priority ticket and, unless it is one itself, every waiting normal ticket.
    Appointments have slots of their own and are counted ahead of nobody. This is the exact
    count (hall/services/queue/standing.py) for the last in line, without counting.
    """
    priority = waiting.get("priority", 0)
    return priority if kind == "priority" else priority + waiting.get("normal", 0)
