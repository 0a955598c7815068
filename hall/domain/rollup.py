"""A day of tickets summed per (service, counter, staff), and counter time per (counter, staff).

Reports over weeks and months add these day sums up (``fold``) and turn them into the
measures of DESIGN.md §2 (``figures``). Durations are whole seconds (floored) throughout, so
a month's p90 from day histograms is exactly the p90 of the month's waits.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hall.domain import histogram as hist
from hall.domain import measures as m

Key = tuple[int, int, int]  # service, counter (0 = none), staff (0 = none)


@dataclass(frozen=True, slots=True)
class TicketFacts:
    service_id: int
    counter_id: int | None
    staff_id: int | None
    state: str
    outcome: str | None
    issued_at: datetime
    called_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    released_at: datetime | None
    recalls: int
    fee_cents: int
    rating: int | None  # the 好差评 level, if rated
    # 多窗联办: which step of a chain ticket this visit is (1 for every other ticket); a
    # later step is a visit of its service but no number taken
    step: int = 1


@dataclass(slots=True)
class Sums:
    """Additive figures of a set of tickets (one day row, or many folded together)."""

    issued: int = 0
    called: int = 0
    within_target: int = 0
    no_show: int = 0
    cancelled: int = 0
    recalls: int = 0
    transfers: int = 0
    fees_cents: int = 0
    wait_s_total: int = 0
    service_s_total: int = 0
    # maps keyed by strings, as JSON stores them: minutes, levels, hours, outcome codes
    outcomes: dict[str, int] = field(default_factory=dict)
    waits: dict[str, int] = field(default_factory=dict)  # per minute
    services: dict[str, int] = field(default_factory=dict)  # per minute
    ratings: dict[str, int] = field(default_factory=dict)
    issued_by_hour: dict[str, int] = field(default_factory=dict)
    served_by_hour: dict[str, int] = field(default_factory=dict)
    # per second inside each minute: {minute: {second: n}}; a report loads only the minutes
    # its percentiles need (see hall.domain.histogram)
    waits_fine: dict[str, dict[str, int]] = field(default_factory=dict)
    services_fine: dict[str, dict[str, int]] = field(default_factory=dict)

    COUNTS = ("issued", "called", "within_target", "no_show", "cancelled", "recalls",
              "transfers", "fees_cents", "wait_s_total", "service_s_total")
    MAPS = ("outcomes", "waits", "services", "ratings", "issued_by_hour", "served_by_hour")
    FINE = ("waits_fine", "services_fine")

    def add(self, other: Sums | Any) -> Sums:
        """Add another fold or a day_stats row (anything with these names as keys or
        attributes; a row read without its fine columns adds none)."""
        get = other.get if hasattr(other, "get") else (lambda k: getattr(other, k))
        for name in self.COUNTS:
            setattr(self, name, getattr(self, name) + (get(name) or 0))
        for name in self.MAPS:
            _add_counts(getattr(self, name), get(name))
        for name in self.FINE:
            source = get(name) if not isinstance(other, dict) or name in other else None
            if source:
                self.add_fine(name, source)
        return self

    def add_fine(self, name: str, source: dict[str, dict[str, int]]) -> None:
        target = getattr(self, name)
        for minute, seconds in source.items():
            if seconds:
                _add_counts(target.setdefault(str(minute), {}), seconds)

    def as_row(self) -> dict[str, Any]:
        """Columns of day_stats (the per-second maps go to day_fine: ``fine_rows``)."""
        row: dict[str, Any] = {n: getattr(self, n) for n in self.COUNTS}
        row.update({n: dict(getattr(self, n)) for n in self.MAPS})
        return row

    def fine_rows(self) -> list[dict[str, Any]]:
        """One row per (measure, minute): the count of each second as s0 … s59."""
        rows = []
        for name in self.FINE:
            for minute, seconds in getattr(self, name).items():
                row: dict[str, Any] = {"measure": name.removesuffix("_fine"),
                                       "minute": int(minute)}
                row.update({f"s{i}": 0 for i in range(60)})
                for sec, n in seconds.items():
                    row[f"s{int(sec) % 60}"] = n
                rows.append(row)
        return rows

    def ints(self, name: str) -> dict[int, int]:
        return {int(k): n for k, n in getattr(self, name).items()}

    def fine_ints(self, name: str) -> dict[int, dict[int, int]]:
        return {int(b): {int(s): n for s, n in secs.items()}
                for b, secs in getattr(self, name).items()}


def _add_counts(target: dict, source: dict | None) -> None:
    if not source:
        return
    if not target:
        target.update(source)
        return
    tget = target.get
    for k, n in source.items():
        target[k] = tget(k, 0) + n


PERCENTILES = (50, 90)


def needed_minutes(s: Sums) -> dict[str, set[int]]:
    """Per distribution, the minutes whose seconds the percentiles of ``s`` need."""
    return {"waits_fine": hist.rank_buckets(s.ints("waits"), PERCENTILES),
            "services_fine": hist.rank_buckets(s.ints("services"), PERCENTILES)}


def _secs(a: datetime | None, b: datetime | None) -> int | None:
    return None if a is None or b is None else math.floor((b - a).total_seconds())


def _bump(d: dict, key: Any, n: int = 1) -> None:
    key = str(key)
    d[key] = d.get(key, 0) + n


def sum_tickets(tickets: Iterable[TicketFacts], target_wait_s: int, tz: Any) -> dict[Key, Sums]:
    rows: dict[Key, Sums] = {}
    for t in tickets:
        s = rows.setdefault((t.service_id, t.counter_id or 0, t.staff_id or 0), Sums())
        if t.step == 1:  # 取号数: a chain's number once, at its first step
            s.issued += 1
            _bump(s.issued_by_hour, t.issued_at.astimezone(tz).hour)
        wait = _secs(t.issued_at, t.called_at)
        if wait is not None:
            s.called += 1
            s.within_target += wait <= target_wait_s
            s.wait_s_total += wait
            _bump(s.waits, wait // hist.BUCKET_S)
            _bump(s.waits_fine.setdefault(str(wait // hist.BUCKET_S), {}), wait)
        s.no_show += t.state == "no_show"
        s.cancelled += t.state == "cancelled"
        s.transfers += t.state == "transferred"
        s.recalls += t.recalls
        s.fees_cents += t.fee_cents
        if t.outcome:
            _bump(s.outcomes, t.outcome)
        served = _secs(t.started_at, t.finished_at)
        if served is not None:
            s.service_s_total += served
            _bump(s.services, served // hist.BUCKET_S)
            _bump(s.services_fine.setdefault(str(served // hist.BUCKET_S), {}), served)
            _bump(s.served_by_hour, t.finished_at.astimezone(tz).hour)
        if t.rating is not None:
            _bump(s.ratings, t.rating)
    return rows


def counter_time(intervals: Iterable[tuple[int, int | None, m.StateInterval]],
                 tickets: Iterable[TicketFacts], window: tuple[datetime, datetime]
                 ) -> dict[tuple[int, int], dict[str, Any]]:
    """Open, idle and pause seconds per (counter, staff) within ``window`` (a local day)."""
    by_key: dict[tuple[int, int], list[m.StateInterval]] = {}
    for counter_id, staff_id, iv in intervals:
        by_key.setdefault((counter_id, staff_id or 0), []).append(iv)
    visits_by_counter: dict[int, list[m.Visit]] = {}
    for t in tickets:
        if t.counter_id is not None:
            visits_by_counter.setdefault(t.counter_id, []).append(m.Visit(
                issued_at=t.issued_at, called_at=t.called_at, started_at=t.started_at,
                finished_at=t.finished_at, state=t.state, released_at=t.released_at))
    out = {}
    for (counter_id, staff_id), ivs in by_key.items():
        busy = m.busy_spans(visits_by_counter.get(counter_id, []), window[1])
        open_s = sum((min(iv.end, window[1]) - max(iv.start, window[0])).total_seconds()
                     for iv in ivs if iv.state == "open" and iv.end > window[0]
                     and iv.start < window[1])
        out[(counter_id, staff_id)] = {
            "open_s": round(open_s, 3),
            "idle_s": round(m.idle_seconds(ivs, busy, window), 3),
            "pauses": {r: round(s, 3) for r, s in m.pause_seconds_by_reason(ivs, window).items()},
        }
    return out


def day_window(day, tz) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    return start, (start + timedelta(days=1)).astimezone(tz)


def figures(s: Sums, target_wait_s: int) -> dict[str, Any]:
    """The measures of DESIGN.md §2 from a fold of day sums (whose fine maps hold at least
    the minutes ``needed_minutes`` named)."""
    waits, services = s.ints("waits"), s.ints("services")
    waits_fine, services_fine = s.fine_ints("waits_fine"), s.fine_ints("services_fine")

    def r1(x: float | None) -> float | None:
        return None if x is None else round(x, 1)

    counted_ = counted(s, hist.count(services))
    spread = {
        "wait_p50_s": r1(hist.percentile_2(waits, waits_fine, 50)),
        "wait_p90_s": r1(hist.percentile_2(waits, waits_fine, 90)),
        "service_p50_s": r1(hist.percentile_2(services, services_fine, 50)),
        "service_p90_s": r1(hist.percentile_2(services, services_fine, 90)),
    }
    return {**counted_, **spread}


def counted(s: Sums, served: int) -> dict[str, Any]:
    """The measures that need only counts and totals (no distribution): what the region,
    which keeps counts per hall, day and service, shows with the hall's definitions."""
    done, accepted = s.outcomes.get("done", 0), s.outcomes.get("accepted", 0)
    matters = sum(s.outcomes.get(str(o), 0) for o in m.MATTERS)
    ratings = s.ints("ratings")
    rated = sum(ratings.values())
    good = sum(n for level, n in ratings.items() if level >= 3)

    def ratio(a: int, b: int) -> float | None:
        return None if b == 0 else round(a / b, 4)

    def r1(x: float | None) -> float | None:
        return None if x is None else round(x, 1)

    return {
        "issued": s.issued, "called": s.called, "served": served,
        "outcomes": {o: s.outcomes.get(o, 0) for o in m.OUTCOMES},
        "wait_mean_s": r1(s.wait_s_total / s.called if s.called else None),
        "service_mean_s": r1(s.service_s_total / served if served else None),
        "service_level": ratio(s.within_target, s.called),
        "no_show_rate": ratio(s.no_show, s.called),
        "onsite_completion_rate": ratio(done, done + accepted),
        # beside it, over every visit with a matter outcome (咨询 is none), so that bouncing
        # (补正) or refusing (不予受理) an applicant shows instead of flattering the rate
        "correction_rate": ratio(s.outcomes.get("correction", 0), matters),
        "refusal_rate": ratio(s.outcomes.get("refused", 0), matters),
        "satisfaction_rate": ratio(good, rated),
        "ratings": {str(lv): ratings.get(lv, 0) for lv in range(5, 0, -1)},
        "rated": rated,
        "bad_ratings": ratings.get(1, 0) + ratings.get(2, 0),
        "recalls": s.recalls, "transfers": s.transfers, "cancelled": s.cancelled,
        "no_show": s.no_show, "fees_cents": s.fees_cents,
    }
