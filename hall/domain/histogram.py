"""Exact distributions of whole seconds, kept as counts per value ({seconds: n}).

A month of a busy hall is a million waits; reports add up day rows instead of re-reading
every ticket. A histogram with one bucket per whole second loses nothing: merging two is
adding counts, and the percentile below returns exactly what ``measures.percentile``
returns on the list of the same values (a test checks this on random data).
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

Histogram = dict[int, int]


def of(values: Iterable[float]) -> Histogram:
    """Counts per whole second (floored: a 59.9 s wait is 59 s)."""
    h: Histogram = {}
    for v in values:
        s = math.floor(v)
        h[s] = h.get(s, 0) + 1
    return h


def merge(into: Histogram, other: Mapping[int | str, int]) -> Histogram:
    """Add ``other`` into ``into``; keys may be strings (as JSON stores them)."""
    for k, n in other.items():
        key = int(k)
        into[key] = into.get(key, 0) + n
    return into


def count(h: Mapping[int, int]) -> int:
    return sum(h.values())


def total(h: Mapping[int, int]) -> int:
    return sum(k * n for k, n in h.items())


def mean(h: Mapping[int, int]) -> float | None:
    n = count(h)
    return total(h) / n if n else None


def at_most(h: Mapping[int, int], limit: float) -> int:
    """How many values are ≤ ``limit``."""
    return sum(n for k, n in h.items() if k <= limit)


def percentile(h: Mapping[int, int], p: float) -> float | None:
    """Linear interpolation between closest ranks, as ``measures.percentile`` does."""
    if not 0 <= p <= 100:
        raise ValueError("p must be within 0..100")
    n = count(h)
    if n == 0:
        return None
    rank = (n - 1) * p / 100
    lo = math.floor(rank)
    x_lo = x_hi = None
    seen = 0
    for value in sorted(h):
        seen += h[value]
        if x_lo is None and seen > lo:
            x_lo = value
        if seen > lo + 1 or seen == n:
            x_hi = value
            break
    assert x_lo is not None and x_hi is not None
    if lo + 1 >= n:
        x_hi = x_lo
    return x_lo + (rank - lo) * (x_hi - x_lo)


def buckets(h: Mapping[int, int], edges: list[int]) -> list[int]:
    """Counts per [edge_i, edge_i+1) band, the last band open-ended (wait distribution chart)."""
    out = [0] * len(edges)
    for value, n in h.items():
        i = 0
        while i + 1 < len(edges) and value >= edges[i + 1]:
            i += 1
        out[i] += n
    return out


# --- two levels: counts per minute, and per second inside each minute --------------------
# A day row keeps both. A report adds up only the minute counts of every row (a few dozen
# keys instead of hundreds), finds the minutes its percentile ranks fall in, and reads the
# seconds of those minutes alone. The answer is the same as ``percentile`` on all seconds.

BUCKET_S = 60


def split(h: Mapping[int, int]) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """Seconds histogram → (minute counts, seconds per minute), keyed by strings (JSON)."""
    coarse: dict[str, int] = {}
    fine: dict[str, dict[str, int]] = {}
    for sec, n in h.items():
        b = str(sec // BUCKET_S)
        coarse[b] = coarse.get(b, 0) + n
        fine.setdefault(b, {})[str(sec)] = n
    return coarse, fine


def rank_buckets(coarse: Mapping[int, int], ps: Iterable[float]) -> set[int]:
    """The minutes holding the ranks that the percentiles ``ps`` interpolate between."""
    n = count(coarse)
    if n == 0:
        return set()
    ranks = set()
    for p in ps:
        lo = math.floor((n - 1) * p / 100)
        ranks.update((lo, min(lo + 1, n - 1)))
    out, seen = set(), 0
    pending = sorted(ranks)
    for b in sorted(coarse):
        seen += coarse[b]
        while pending and pending[0] < seen:
            out.add(b)
            pending.pop(0)
        if not pending:
            break
    return out


def _value_at(coarse: Mapping[int, int], fine: Mapping[int, Mapping[int, int]],
              rank: int) -> int:
    before = 0
    for b in sorted(coarse):
        if rank < before + coarse[b]:
            seen = before
            for sec in sorted(fine[b]):
                seen += fine[b][sec]
                if rank < seen:
                    return sec
            raise ValueError(f"minute {b}: seconds do not add up to its count")
        before += coarse[b]
    raise ValueError("rank beyond the histogram")


def percentile_2(coarse: Mapping[int, int], fine: Mapping[int, Mapping[int, int]],
                 p: float) -> float | None:
    """``percentile`` from minute counts plus the seconds of the minutes it needs."""
    n = count(coarse)
    if n == 0:
        return None
    rank = (n - 1) * p / 100
    lo = math.floor(rank)
    x_lo = _value_at(coarse, fine, lo)
    x_hi = _value_at(coarse, fine, min(lo + 1, n - 1))
    return x_lo + (rank - lo) * (x_hi - x_lo)
