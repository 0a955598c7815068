"""Exponential backoff with jitter, for reconnecting to the server and retrying start-up.

After a server restart every agent and screen of a hall reconnects at once; the random
half of each delay spreads them out (the "equal jitter" of AWS's architecture blog), while
the doubling keeps a long outage from being hammered.
"""
from __future__ import annotations

import random
import threading
from collections.abc import Callable


class Backoff:
    def __init__(self, first: float = 0.5, cap: float = 15.0,
                 rng: Callable[[], float] = random.random) -> None:
        if not 0 < first <= cap:
            raise ValueError(f"backoff: need 0 < first ({first}) <= cap ({cap})")
        self.first, self.cap, self._rng = first, cap, rng
        self.attempt = 0

    def next(self) -> float:
        """The next delay: between half and all of first × 2^attempt, at most cap."""
        ceiling = min(self.cap, self.first * 2 ** min(self.attempt, 32))
        self.attempt += 1
        return ceiling * (0.5 + self._rng() / 2)

    def wait(self, stop: threading.Event) -> bool:
        """Sleep the next delay; True when `stop` was set meanwhile."""
        return stop.wait(self.next())

    def reset(self) -> None:
        self.attempt = 0
