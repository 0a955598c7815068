"""The hall's KPIs (DESIGN.md §2 "Measures") as pure functions over plain records.

Rates are fractions in [0, 1] (the page multiplies by 100) and are None when their
denominator is 0: "no data" must not read as 0 % or 100 %. Durations are seconds (float).
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from hall.domain.outcomes import Outcome

OUTCOMES: tuple[str, ...] = tuple(o.value for o in Outcome)
Span = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class Visit:
    """One ticket as the measures see it; stamps are UTC-aware, None when not reached."""

    issued_at: datetime | None = None
    called_at: datetime | None = None  # first call; a recall keeps it
    started_at: datetime | None = None
    finished_at: datetime | None = None
    state: str = "waiting"
    outcome: str | None = None
    recalls: int = 0
    transferred: bool = False
    fee_cents: int = 0
    # When the counter let go of the ticket without finishing it (skip, hold, transfer):
    # ends its busy span for idle time.
    released_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """A case as the measures see it: its due day (the case clock's, extensions and
    resumed suspensions included), the day it was concluded (done or returned), its state,
    and the day a suspension still running began (the clock is stopped since)."""

    due: date
    done_on: date | None
    state: str
    suspended_on: date | None = None


CONCLUDED = ("done", "returned")


@dataclass(frozen=True, slots=True)
class Rating:
    level: int  # GB/T 39734: 5 非常满意 … 1 非常不满意

    def __post_init__(self) -> None:
        if not 1 <= self.level <= 5:
            raise ValueError(f"rating level must be 1..5, got {self.level}")


@dataclass(frozen=True, slots=True)
class StateInterval:
    """One stretch of a counter in one state (closed, open, paused, serving)."""

    state: str
    reason: str | None
    start: datetime
    end: datetime


def _seconds(a: datetime | None, b: datetime | None) -> float | None:
    return None if a is None or b is None else (b - a).total_seconds()


def _ratio(num: int, den: int) -> float | None:
    return None if den == 0 else num / den


# --- single visits -----------------------------------------------------------------------

def wait_seconds(v: Visit) -> float | None:
    """wait = called − issued."""
    return _seconds(v.issued_at, v.called_at)


def walk_seconds(v: Visit) -> float | None:
    """walk = started − called (from the call to the visitor reaching the counter)."""
    return _seconds(v.called_at, v.started_at)


def service_seconds(v: Visit) -> float | None:
    """service = finished − started."""
    return _seconds(v.started_at, v.finished_at)


def waits(visits: Iterable[Visit]) -> list[float]:
    """Waits of the called tickets, the input of the p50/p90 figures."""
    return [w for v in visits if (w := wait_seconds(v)) is not None]


# --- statistics ---------------------------------------------------------------------------

def percentile(values: Iterable[float], p: float) -> float | None:
    """The p-th percentile (0..100) by linear interpolation between closest ranks.

    Same as numpy's default ("linear"): rank h = (n − 1)·p/100 on the sorted values, and
    the result lies between x[floor h] and x[ceil h] in proportion to h's fraction.
    """
    if not 0 <= p <= 100:
        raise ValueError("p must be within 0..100")
    xs = sorted(values)
    if not xs:
        return None
    h = (len(xs) - 1) * p / 100
    lo = math.floor(h)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (h - lo) * (xs[hi] - xs[lo])


def mean(values: Iterable[float]) -> float | None:
    xs = list(values)
    return sum(xs) / len(xs) if xs else None


# --- rates --------------------------------------------------------------------------------

def _called(visits: Iterable[Visit]) -> list[Visit]:
    return [v for v in visits if v.called_at is not None]


def service_level(visits: Iterable[Visit], target_wait_s: float) -> float | None:
    """Tickets called within the target wait (wait <= target) ÷ tickets called."""
    called = _called(visits)
    within = sum(1 for v in called if (w := wait_seconds(v)) is not None and w <= target_wait_s)
    return _ratio(within, len(called))


def no_show_rate(visits: Iterable[Visit]) -> float | None:
    """no_show ÷ called."""
    called = _called(visits)
    return _ratio(sum(1 for v in called if v.state == "no_show"), len(called))


def onsite_completion_rate(visits: Iterable[Visit]) -> float | None:
    """现场办结率 = outcome 办结 ÷ outcome 办结 or 受理 (shown beside ``matter_rate`` of 补正
    and 不予受理, which it leaves out)."""
    outcomes = [v.outcome for v in visits]
    done = outcomes.count(Outcome.DONE)
    return _ratio(done, done + outcomes.count(Outcome.ACCEPTED))


MATTERS = (Outcome.DONE, Outcome.ACCEPTED, Outcome.CORRECTION, Outcome.REFUSED)


def matter_rate(visits: Iterable[Visit], outcome: str) -> float | None:
    """Visits with ``outcome`` ÷ visits with any matter outcome (办结, 受理, 补正, 不予受理;
    咨询 is no matter). 补正率 and 不予受理率 are shown beside 现场办结率, whose denominator
    leaves them out, so that bouncing or refusing an applicant can never hide."""
    outcomes = [v.outcome for v in visits if v.outcome in MATTERS]
    return _ratio(outcomes.count(outcome), len(outcomes))


@dataclass(frozen=True, slots=True)
class CaseFigures:
    """The case measures of one period (DESIGN.md §2)."""

    concluded: int  # done or returned within the period
    on_time: int  # of those, on or before their due day
    late: int  # of those, after it
    open_due_overdue: int  # due within the period and still open at its end
    open_overdue: int  # overdue and open at the period's end, whenever they were due

    @property
    def on_time_rate(self) -> float | None:
        """按时办结率: an open case past its due day counts against the rate."""
        return _ratio(self.on_time, self.concluded + self.open_due_overdue)

    @property
    def overdue(self) -> int:
        """超期件数: concluded late in the period + overdue and open at its end."""
        return self.late + self.open_overdue


def _open_overdue_at(c: CaseRecord, as_of: date) -> bool:
    """Was the case open and past its due day at the end of ``as_of``? A suspension that
    began before the due day and runs on has stopped the clock: not overdue."""
    if c.done_on is not None and c.done_on <= as_of:
        return False
    if c.state in CONCLUDED and c.done_on is None:
        return False
    stopped = (c.state == "suspended" and c.suspended_on is not None
               and c.suspended_on <= as_of and c.suspended_on <= c.due)
    return c.due <= as_of and not stopped


def case_figures(cases: Iterable[CaseRecord], start: date, end: date,
                 as_of: date | None = None) -> CaseFigures:
    """Case figures of the period [start, end]. ``as_of`` is the last day of the period
    that is over (yesterday for a period still running; default ``end``): a case due
    today is not overdue yet."""
    as_of = end if as_of is None else min(as_of, end)
    concluded = on_time = late = open_due = open_any = 0
    for c in cases:
        if c.state in CONCLUDED and c.done_on is not None and start <= c.done_on <= end:
            concluded += 1
            if c.done_on <= c.due:
                on_time += 1
            else:
                late += 1
        elif _open_overdue_at(c, as_of):
            open_any += 1
            open_due += start <= c.due
    return CaseFigures(concluded, on_time, late, open_due, open_any)


def on_time_rate(cases: Iterable[CaseRecord], start: date, end: date,
                 as_of: date | None = None) -> float | None:
    """按时办结率 over [start, end] = cases concluded (done or returned) in the period on or
    before their due day ÷ (cases concluded in the period + cases due in the period and
    still open at its end)."""
    return case_figures(cases, start, end, as_of).on_time_rate


def satisfaction_rate(ratings: Iterable[Rating]) -> float | None:
    """满意率 = ratings 3–5 (基本满意 and better) ÷ all ratings."""
    levels = [r.level for r in ratings]
    return _ratio(sum(1 for lv in levels if lv >= 3), len(levels))


def level_distribution(ratings: Iterable[Rating]) -> dict[int, int]:
    dist = dict.fromkeys(range(1, 6), 0)
    for r in ratings:
        dist[r.level] += 1
    return dist


def bad_ratings_count(ratings: Iterable[Rating]) -> int:
    """Ratings 1–2: each opens a follow-up (整改)."""
    return sum(1 for r in ratings if r.level <= 2)


def followup_rate(bad_ratings: int, followups_closed: int) -> float | None:
    """Bad-review follow-up rate = follow-ups closed ÷ bad ratings (1–2)."""
    return _ratio(followups_closed, bad_ratings)


def counts_by_outcome(visits: Iterable[Visit]) -> dict[str, int]:
    """Visits per outcome, every outcome present (0 when none); unfinished visits ignored."""
    counts = dict.fromkeys(OUTCOMES, 0)
    for v in visits:
        if v.outcome is not None:
            counts[str(v.outcome)] += 1
    return counts


def recalls_total(visits: Iterable[Visit]) -> int:
    return sum(v.recalls for v in visits)


def transfers_total(visits: Iterable[Visit]) -> int:
    return sum(1 for v in visits if v.transferred)


def fees_total(visits: Iterable[Visit]) -> int:
    """Fees collected at the counter (一窗收费), in cents: integers never lose a fen."""
    return sum(v.fee_cents for v in visits)


# --- counter time -------------------------------------------------------------------------

def _merge(spans: Iterable[Span], window: Span | None = None) -> list[Span]:
    """Sorted, disjoint spans; clipped to ``window``; empty or inverted spans dropped."""
    clipped = []
    for s, e in spans:
        if window is not None:
            s, e = max(s, window[0]), min(e, window[1])
        if e > s:
            clipped.append((s, e))
    merged: list[Span] = []
    for s, e in sorted(clipped):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def _total(spans: Sequence[Span]) -> float:
    return sum((e - s).total_seconds() for s, e in spans)


def _overlap(a: Sequence[Span], b: Sequence[Span]) -> float:
    """Seconds covered by both of two merged span lists (one sweep)."""
    i = j = 0
    total = 0.0
    while i < len(a) and j < len(b):
        s, e = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if e > s:
            total += (e - s).total_seconds()
        if a[i][1] <= b[j][1]:
            i += 1
        else:
            j += 1
    return total


def busy_spans(visits: Iterable[Visit], until: datetime) -> list[Span]:
    """When the counter held a ticket: called_at → finished_at, else released_at.

    A ticket still called or being served is busy until ``until`` (the report's end).
    """
    spans = []
    for v in visits:
        if v.called_at is None:
            continue
        end = v.finished_at or v.released_at
        if end is None and v.state in ("called", "serving"):
            end = until
        if end is not None:
            spans.append((v.called_at, end))
    return spans


def pause_seconds_by_reason(
    intervals: Iterable[StateInterval], window: Span | None = None
) -> dict[str, float]:
    """Seconds paused per reason (a pause without reason counts under ""), within window."""
    by_reason: dict[str, list[Span]] = {}
    for iv in intervals:
        if iv.state == "paused":
            by_reason.setdefault(iv.reason or "", []).append((iv.start, iv.end))
    totals = {r: _total(_merge(spans, window)) for r, spans in by_reason.items()}
    return {r: t for r, t in totals.items() if t > 0}


def idle_seconds(
    intervals: Iterable[StateInterval], busy: Iterable[Span], window: Span | None = None
) -> float:
    """Time the counter was 'open' with no ticket called or in service.

    Busy spans are clipped to the open time and merged first, so a call that overlaps a
    pause or a recall inside a call is not subtracted twice.
    """
    open_spans = _merge(((iv.start, iv.end) for iv in intervals if iv.state == "open"), window)
    return _total(open_spans) - _overlap(open_spans, _merge(busy, window))
