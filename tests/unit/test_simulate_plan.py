"""The simulated day's plan (hall/simulate/plan.py): repeatable from its seed, shaped like
a hall's day (morning peak, lunch dip, afternoon peak), with every kind of visit."""
from __future__ import annotations

from collections import Counter

from hall.simulate import plan
from hall.simulate.players import kiosks_needed, lunch_times

SERVICES = ["hj", "sfz", "sw", "gjj"]


def test_the_same_seed_plays_the_same_day_and_another_seed_another():
    def key(day):
        return [(v.at, v.service, v.kind, v.outcome, v.no_show, v.transfer_to, v.rating)
                for v in day]

    assert key(plan.day(7, SERVICES, 300)) == key(plan.day(7, SERVICES, 300))
    assert key(plan.day(7, SERVICES, 300)) != key(plan.day(8, SERVICES, 300))


def test_the_day_has_two_peaks_a_lunch_dip_and_every_kind_of_visit():
    day = plan.day(1, SERVICES, 3000, 9, 17, bookable=frozenset({"hj"}))
    per_hour = Counter(9 + int(v.at // 3600) for v in day)
    assert 2700 < len(day) < 3300 and set(per_hour) == set(range(9, 17))
    assert per_hour[10] > per_hour[11] > per_hour[12] < per_hour[13] < per_hour[14] \
        < per_hour[15]
    assert [v.at for v in day] == sorted(v.at for v in day)
    kinds = Counter(v.kind for v in day)
    assert kinds["priority"] > 50 and kinds["appointment"] > 30
    assert {v.service for v in day if v.kind == "appointment"} == {"hj"}
    assert {v.outcome for v in day} == {"done", "accepted", "correction", "refused"}
    assert sum(v.no_show for v in day) > 50 and sum(bool(v.transfer_to) for v in day) > 30
    bad = [v.rating for v in day if v.rating and v.rating[0] <= 2]
    assert bad and all(reason in plan.BAD_REASONS for _, reason in bad)
    assert all(v.rating is None for v in day if v.no_show)
    # each service keeps its own time and mix
    assert plan.profile(1, "hj") == plan.profile(1, "hj") != plan.profile(1, "sw")


def test_half_the_windows_lunch_after_the_other_half_and_kiosks_follow_the_speed():
    assert lunch_times(3, 9, 17) == [3 * 3600, 3 * 3600 + 50 * 60, 3 * 3600]
    assert lunch_times(2, 13, 17) == [float("inf")] * 2
    day = plan.day(1, SERVICES, 300)
    assert kiosks_needed(day, 1) == 1
    assert 1 < kiosks_needed(day, 60) <= kiosks_needed(day, 600) == 10
