"""A small time-bounded cache for what changes rarely but is read on every request
(hall settings, service rows, device tokens, service-time estimates).

Entries live ``ttl`` seconds, so a change made by another process (an admin editing a
service, a revoked token) takes effect everywhere within that time; in this process,
commands that change them clear the cache at once.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any


class TTLCache:
    def __init__(self, ttl: float = 2.0, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.clock = clock
        self._data: dict[Hashable, tuple[float, Any]] = {}

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        now = self.clock()
        hit = self._data.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        if len(self._data) > 10_000:  # tokens of many devices: never grow without bound
            self._data.clear()
        self._data[key] = (now + self.ttl, value)
        return value

    def clear(self) -> None:
        self._data.clear()

    def forget(self, key: Hashable) -> None:
        """Drop one entry (its fact changed in this process); the next ``get`` loads it."""
        self._data.pop(key, None)
