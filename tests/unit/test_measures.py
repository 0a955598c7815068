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
    case_figures,
    counts_by_outcome,
    fees_total,
    followup_rate,
    idle_seconds,
    level_distribution,
    matter_rate,
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


def test_on_time_rate_counts_open_overdue_cases():
    # November 2026, reported on 1 December: ten cases due in the month. One was done on
    # its due day; nine are still open, all past their due day. Leaving the nine out would
    # read 1/1 = 100 %; they count against the rate: 1 / (1 + 9) = 10 %.
    done = CaseRecord(due=date(2026, 11, 20), done_on=date(2026, 11, 20), state="done")
    open_ = [CaseRecord(due=date(2026, 11, 2 + i), done_on=None, state="in_progress")
             for i in range(9)]
    fig = case_figures([done, *open_], date(2026, 11, 1), date(2026, 11, 30))
    assert (fig.concluded, fig.on_time, fig.late, fig.open_due_overdue) == (1, 1, 0, 9)
    assert fig.on_time_rate == pytest.approx(0.10)
    assert on_time_rate([done, *open_], date(2026, 11, 1), date(2026, 11, 30)) == \
        pytest.approx(0.10)
    assert fig.overdue == 9  # 超期件数: the nine open past due, none concluded late


def test_on_time_rate_and_overdue_count_worked_example():
    nov = (date(2026, 11, 1), date(2026, 11, 30))
    cases = [
        CaseRecord(date(2026, 11, 13), date(2026, 11, 13), "done"),  # on time (due day)
        CaseRecord(date(2026, 11, 13), date(2026, 11, 16), "done"),  # late
        CaseRecord(date(2026, 11, 30), date(2026, 11, 2), "returned"),  # returned, on time
        CaseRecord(date(2026, 10, 20), date(2026, 11, 5), "done"),  # due in Oct, late in Nov
        CaseRecord(date(2026, 10, 30), None, "accepted"),  # overdue since Oct, still open
        CaseRecord(date(2026, 11, 25), date(2026, 12, 3), "done"),  # open at end of Nov
        CaseRecord(date(2026, 12, 10), None, "in_progress"),  # not due yet
        CaseRecord(date(2026, 10, 13), date(2026, 10, 13), "done"),  # October's business
        # suspended before its due day: the clock stopped, not overdue
        CaseRecord(date(2026, 11, 20), None, "suspended", suspended_on=date(2026, 11, 18)),
    ]
    fig = case_figures(cases, *nov)
    # concluded in Nov: the first four (on time: 1st, 3rd); open and overdue at 30 Nov:
    # the 5th (due in Oct) and the 6th (due in Nov) → rate 2 / (4 + 1) = 40 %
    assert (fig.concluded, fig.on_time, fig.late) == (4, 2, 2)
    assert (fig.open_due_overdue, fig.open_overdue) == (1, 2)
    assert fig.on_time_rate == pytest.approx(0.4)
    assert fig.overdue == 4  # two concluded late + two open past due
    # on 26 Nov (the period still running, as of the 25th) the 6th is due today: not late
    running = case_figures(cases, *nov, as_of=date(2026, 11, 24))
    assert (running.open_due_overdue, running.open_overdue) == (0, 1)
    assert case_figures([], *nov).on_time_rate is None


def test_onsite_rate_shown_with_correction_and_refusal_rates():
    from hall.domain.rollup import Sums, figures

    # a window's month: 6 done on the spot, 2 accepted, 1 sent away for materials (补正),
    # 1 refused, 3 inquiries. 现场办结率 = 6 / (6 + 2) = 75 %; it ignores 补正 and 不予受理,
    # so they are shown beside it over every visit with a matter outcome (10, not the
    # 3 inquiries): 补正率 = 1 / 10, 不予受理率 = 1 / 10.
    outcomes = ["done"] * 6 + ["accepted"] * 2 + ["correction", "refused"] + ["inquiry"] * 3
    visits = [Visit(outcome=o, state="done") for o in outcomes]
    assert onsite_completion_rate(visits) == pytest.approx(0.75)
    assert matter_rate(visits, "correction") == pytest.approx(0.1)
    assert matter_rate(visits, "refused") == pytest.approx(0.1)
    assert matter_rate([Visit(outcome="inquiry")], "refused") is None
    fig = figures(Sums(outcomes={o: outcomes.count(o) for o in set(outcomes)}), 900)
    assert (fig["onsite_completion_rate"], fig["correction_rate"], fig["refusal_rate"]) == \
        (0.75, 0.1, 0.1)
    # refusing more cannot flatter the on-the-spot rate: it stays, the refusal rate rises
    worse = figures(Sums(outcomes={"done": 6, "accepted": 2, "refused": 10}), 900)
    assert (worse["onsite_completion_rate"], worse["refusal_rate"]) == (0.75, 0.5556)


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
