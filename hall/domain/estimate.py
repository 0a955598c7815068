"""Estimated wait shown on tickets, kiosks and phone pages, as a range."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

# With few recent visits the mean is noisy; blend with the service's expected visit length.
_PRIOR_WEIGHT = 5


def service_time_estimate(recent_service_s: Sequence[float], expected_visit_s: float) -> float:
    """Mean of recent service times, shrunk toward the configured expectation."""
    n = len(recent_service_s)
    return (sum(recent_service_s) + _PRIOR_WEIGHT * expected_visit_s) / (n + _PRIOR_WEIGHT)


def estimate_wait(ahead: int, per_visit_s: float, open_counters: int) -> tuple[int, int]:
    """(low, high) seconds until a ticket with ``ahead`` people before it is called.

    Counters work in parallel; the range widens with the queue because service times vary.
    With no counter open we still assume one will open, rather than showing infinity.
    """
    if ahead <= 0:
        return (0, int(per_visit_s / max(open_counters, 1)))
    mid = ahead * per_visit_s / max(open_counters, 1)
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
