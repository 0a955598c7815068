"""KPIs on a small hand-built day at one counter; every expected figure is worked out here."""
from __future__ import annotations

import statistics
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hall.domain.measures import (
    OUTCOMES,
    CaseRecord,
    Rating,
    StateInterval,
    Visit,
    bad_ratings_count,
    busy_spans,
    counts_by_outcome,
    fees_total,
    followup_rate,
    idle_seconds,
    level_distribution,
    mean,
    no_show_rate,
    on_time_rate,
    onsite_completion_rate,
    pause_seconds_by_reason,
    percentile,
    recalls_total,
    satisfaction_rate,
    service_level,
    service_seconds,
    transfers_total,
    wait_seconds,
    waits,
    walk_seconds,
)


def at(h: int, m: int, s: int = 0) -> datetime:
    # Clock-face times of one day; the zone is UTC as stored (the display zone is irrelevant).
    return datetime(2026, 11, 23, h, m, s, tzinfo=UTC)


V1 = Visit(at(9, 0), at(9, 5), at(9, 6), at(9, 16), "done", "done", fee_cents=1000)
V2 = Visit(at(9, 1), at(9, 21), at(9, 22), at(9, 52), "rated", "accepted", recalls=1)
V3 = Visit(at(9, 2), at(9, 55), state="no_show", recalls=2, released_at=at(9, 58))
V4 = Visit(at(9, 10), at(10, 0), at(10, 1), state="transferred", transferred=True,
           released_at=at(10, 6))
V5 = Visit(at(9, 15), at(10, 10), at(10, 10, 30), at(10, 20), "done", "correction",
           fee_cents=2500)
V6 = Visit(at(9, 20))  # still waiting
V7 = Visit(at(9, 25), state="cancelled")
DAY = [V1, V2, V3, V4, V5, V6, V7]
# Waits of the called tickets (V1..V5):
#   V1 9:00→9:05 = 300, V2 9:01→9:21 = 1200, V3 9:02→9:55 = 3180,
#   V4 9:10→10:00 = 3000, V5 9:15→10:10 = 3300.  Sorted: 300, 1200, 3000, 3180, 3300.


def test_wait_walk_and_service_of_one_visit():
    assert wait_seconds(V1) == 300  # 9:00 → 9:05
    assert walk_seconds(V1) == 60  # 9:05 → 9:06
    assert service_seconds(V1) == 600  # 9:06 → 9:16
    assert walk_seconds(V5) == 30  # 10:10:00 → 10:10:30


def test_missing_stamps_give_none():
    assert wait_seconds(V6) is None
    assert walk_seconds(V3) is None  # called, never came
    assert service_seconds(V4) is None  # transferred before finishing


def test_waits_of_the_day_and_their_mean():
    assert sorted(waits(DAY)) == [300, 1200, 3000, 3180, 3300]
    # (300 + 1200 + 3000 + 3180 + 3300) / 5 = 10980 / 5
    assert mean(waits(DAY)) == 2196


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (0, 300),
        (10, 660),  # h = 4·0.10 = 0.4 → 300 + 0.4·(1200 − 300)
        (25, 1200),  # h = 1 exactly
        (50, 3000),  # h = 2 exactly: the median
        (90, 3252),  # h = 3.6 → 3180 + 0.6·(3300 − 3180)
        (100, 3300),
    ],
)
def test_percentile_interpolates_linearly_between_ranks(p: float, expected: float):
    assert percentile(waits(DAY), p) == pytest.approx(expected)


def test_percentile_edge_cases():
    assert percentile([], 50) is None
    assert percentile([42.0], 90) == 42.0
    assert percentile([10.0, 20.0], 50) == 15.0  # h = 0.5
    with pytest.raises(ValueError):
        percentile([1.0], 101)


@given(
    xs=st.lists(st.floats(min_value=0, max_value=1e6), min_size=2, max_size=30),
    k=st.integers(min_value=1, max_value=99),
)
def test_percentile_matches_statistics_inclusive_quantiles(xs: list[float], k: int):
    # statistics.quantiles(method="inclusive") uses the same (n − 1)·p rank as numpy "linear".
    expected = statistics.quantiles(xs, n=100, method="inclusive")[k - 1]
    assert percentile(xs, k) == pytest.approx(expected, rel=1e-9, abs=1e-6)


def test_mean_of_nothing_is_none():
    assert mean([]) is None


def test_service_level_counts_waits_up_to_the_target():
    # Target 20 min = 1200 s: V1 (300) and V2 (1200, inclusive) are within; 2 of 5 called.
    assert service_level(DAY, 1200) == pytest.approx(2 / 5)
    assert service_level(DAY, 1199) == pytest.approx(1 / 5)
    assert service_level([V6, V7], 1200) is None  # nobody called


def test_no_show_rate():
    # One no-show (V3) among five called tickets.
    assert no_show_rate(DAY) == pytest.approx(1 / 5)
    assert no_show_rate([]) is None


def test_onsite_completion_rate_ignores_correction_and_inquiry():
    # 办结: V1; 受理: V2; V5 (补正) is in neither → 1 / (1 + 1).
    assert onsite_completion_rate(DAY) == 0.5
    assert onsite_completion_rate([V5, Visit(outcome="inquiry")]) is None


def test_counts_by_outcome_lists_every_outcome():
    assert counts_by_outcome(DAY) == {
        "done": 1, "accepted": 1, "correction": 1, "refused": 0, "inquiry": 0,
    }
    assert counts_by_outcome([]) == dict.fromkeys(OUTCOMES, 0)


def test_recalls_transfers_and_fees():
    assert recalls_total(DAY) == 3  # V2 once, V3 twice
    assert transfers_total(DAY) == 1  # V4
    assert fees_total(DAY) == 3500  # 1000 + 2500 cents
    assert (recalls_total([]), transfers_total([]), fees_total([])) == (0, 0, 0)


def test_on_time_rate_counts_only_done_cases():
    cases = [
        CaseRecord(due=date(2026, 10, 13), done_on=date(2026, 10, 13), state="done"),  # on time
        CaseRecord(due=date(2026, 10, 13), done_on=date(2026, 10, 14), state="done"),  # late
        CaseRecord(due=date(2026, 11, 30), done_on=date(2026, 11, 20), state="done"),  # early
        CaseRecord(due=date(2026, 11, 30), done_on=None, state="in_progress"),
        CaseRecord(due=date(2026, 11, 30), done_on=date(2026, 11, 2), state="returned"),
    ]
    assert on_time_rate(cases) == pytest.approx(2 / 3)
    assert on_time_rate(cases[3:]) is None


RATINGS = [Rating(lv) for lv in (5, 5, 4, 3, 2, 1, 5)]


def test_satisfaction_rate_counts_three_to_five():
    # 5, 5, 4, 3, 5 are satisfied; 2 and 1 are not → 5 / 7.
    assert satisfaction_rate(RATINGS) == pytest.approx(5 / 7)
    assert satisfaction_rate([]) is None


def test_level_distribution_has_all_five_levels():
    assert level_distribution(RATINGS) == {1: 1, 2: 1, 3: 1, 4: 1, 5: 3}
    assert level_distribution([]) == {1: 0, 2: 0, 3: 0, 4: 0, 5: 0}


def test_rating_level_outside_the_scale_is_rejected():
    with pytest.raises(ValueError):
        Rating(0)
    with pytest.raises(ValueError):
        Rating(6)


def test_followup_rate_over_bad_ratings():
    assert bad_ratings_count(RATINGS) == 2  # the 2 and the 1
    assert followup_rate(bad_ratings_count(RATINGS), 1) == 0.5
    assert followup_rate(0, 0) is None


# The counter's day, reported over the window 9:00–12:30.
WINDOW = (at(9, 0), at(12, 30))
INTERVALS = [
    StateInterval("closed", None, at(8, 30), at(9, 0)),
    StateInterval("open", None, at(9, 0), at(10, 30)),  # 90 min
    StateInterval("paused", "业务咨询", at(10, 30), at(10, 45)),  # 15 min
    StateInterval("open", None, at(10, 45), at(12, 0)),  # 75 min
    StateInterval("paused", "午休", at(12, 0), at(13, 30)),  # 30 min inside the window
]
# Called at 11:50, still being served when the report is made at 12:30.
V8 = Visit(at(11, 40), at(11, 50), at(11, 51), state="serving")


def test_busy_spans_run_from_call_to_finish_or_release():
    spans = busy_spans([*DAY, V8], until=at(12, 30))
    assert spans == [
        (at(9, 5), at(9, 16)),
        (at(9, 21), at(9, 52)),
        (at(9, 55), at(9, 58)),  # skipped at 9:58
        (at(10, 0), at(10, 6)),  # transferred at 10:06
        (at(10, 10), at(10, 20)),
        (at(11, 50), at(12, 30)),  # still serving: busy until the report's end
    ]


def test_idle_time_is_open_time_without_a_ticket():
    busy = busy_spans([*DAY, V8], until=at(12, 30))
    # Open: 90 + 75 = 165 min = 9900 s.
    # Busy inside open: 11 + 31 + 3 + 6 + 10 = 61 min, plus V8 clipped to 11:50–12:00
    # (the counter stops being open at 12:00) = 10 min → 71 min = 4260 s.
    # Idle = 9900 − 4260 = 5640 s.
    assert idle_seconds(INTERVALS, busy, WINDOW) == 5640


def test_idle_time_merges_overlapping_busy_spans():
    open_hour = [StateInterval("open", None, at(9, 0), at(10, 0))]
    # Two spans overlapping (9:05–9:16 and 9:10–9:20) cover 9:05–9:20 = 15 min, not 21.
    busy = [(at(9, 10), at(9, 20)), (at(9, 5), at(9, 16))]
    assert idle_seconds(open_hour, busy) == 45 * 60


def test_idle_time_clips_open_time_to_the_window():
    open_long = [StateInterval("open", None, at(8, 0), at(11, 0))]
    # Window 9:00–12:30 keeps 9:00–11:00 = 7200 s; busy 8:50–9:10 counts only 9:00–9:10.
    assert idle_seconds(open_long, [(at(8, 50), at(9, 10))], WINDOW) == 7200 - 600


def test_idle_without_intervals_is_zero():
    assert idle_seconds([], []) == 0.0


def test_pause_seconds_by_reason_clipped_to_the_window():
    assert pause_seconds_by_reason(INTERVALS, WINDOW) == {"业务咨询": 900.0, "午休": 1800.0}
    # Unclipped, lunch runs 12:00–13:30 = 5400 s.
    assert pause_seconds_by_reason(INTERVALS)["午休"] == 5400.0


def test_pause_without_reason_and_overlapping_pauses():
    intervals = [
        StateInterval("paused", None, at(9, 0), at(9, 10)),
        StateInterval("paused", "午休", at(12, 0), at(12, 40)),
        StateInterval("paused", "午休", at(12, 30), at(13, 0)),  # overlaps: 12:00–13:00 total
    ]
    assert pause_seconds_by_reason(intervals) == {"": 600.0, "午休": 3600.0}
    assert pause_seconds_by_reason([]) == {}
