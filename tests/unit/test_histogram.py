"""Histograms of whole seconds give exactly the list-based measures."""
from __future__ import annotations

import random

import pytest

from hall.domain import histogram as hist
from hall.domain import measures


@pytest.mark.parametrize("seed", range(40))
def test_percentile_of_a_histogram_equals_the_percentile_of_the_list(seed):
    rng = random.Random(seed)
    values = [rng.choice([rng.randint(0, 30), rng.randint(0, 5000)])
              for _ in range(rng.randint(1, 300))]
    h = hist.of(values)
    for p in (0, 10, 50, 90, 99, 100):
        assert hist.percentile(h, p) == pytest.approx(measures.percentile(values, p))
    assert hist.mean(h) == pytest.approx(measures.mean(values))


def test_merging_day_histograms_equals_the_histogram_of_the_month():
    days = [[61.9, 5, 5], [5, 7200.2], []]
    month = {}
    for d in days:
        hist.merge(month, {str(k): n for k, n in hist.of(d).items()})  # as JSON stores them
    assert month == {61: 1, 5: 3, 7200: 1}
    assert hist.percentile(month, 50) == 5 and hist.at_most(month, 61) == 4


def test_an_empty_histogram_has_no_figures():
    assert hist.percentile({}, 50) is None and hist.mean({}) is None


def test_buckets_split_a_distribution_into_bands():
    h = {0: 2, 299: 1, 300: 4, 1800: 1, 99999: 1}
    assert hist.buckets(h, [0, 300, 900, 1800]) == [3, 4, 0, 2]


@pytest.mark.parametrize("seed", range(40))
def test_two_level_percentiles_read_only_the_minutes_they_need(seed):
    rng = random.Random(seed)
    values = [rng.choice([rng.randint(0, 59), rng.randint(0, 7200)])
              for _ in range(rng.randint(1, 400))]
    coarse, fine = hist.split(hist.of(values))
    coarse_i = {int(k): n for k, n in coarse.items()}
    ps = (50, 90)
    needed = hist.rank_buckets(coarse_i, ps)
    assert len(needed) <= 4
    partial = {b: {int(s): n for s, n in fine[str(b)].items()} for b in needed}
    for p in ps:
        assert hist.percentile_2(coarse_i, partial, p) == pytest.approx(
            measures.percentile(values, p))
