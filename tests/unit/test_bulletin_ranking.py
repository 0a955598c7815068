"""月通报 ranking: satisfaction, then on-the-spot completion, then on-time completion, then
visits served; missing rates rank below any figure; full ties share a rank."""
from __future__ import annotations

from hall.domain.ranking import rank


def row(name, sat, onsite, on_time, served):
    return {"name": name, "satisfaction_rate": sat, "onsite_completion_rate": onsite,
            "on_time_rate": on_time, "served": served}


def test_windows_rank_by_satisfaction_then_completion_then_on_time_then_served():
    ranked = rank([
        row("c", 0.95, 0.90, 1.0, 100),
        row("a", 0.98, 0.50, 0.5, 10),
        row("b", 0.95, 0.90, 1.0, 120),   # same rates as c, served more
        row("d", 0.95, 0.92, 0.2, 5),     # better on-the-spot completion beats b and c
        row("e", 0.95, 0.90, 0.99, 500),  # on-time below b and c: served does not matter
    ])
    assert [(r["name"], r["rank"]) for r in ranked] == [
        ("a", 1), ("d", 2), ("b", 3), ("c", 4), ("e", 5)]
    assert not any(r["tied"] for r in ranked)


def test_a_full_tie_shares_the_rank_and_the_next_rank_skips():
    ranked = rank([row("z", 0.9, 0.9, None, 10), row("y", 0.9, 0.9, None, 10),
                   row("x", 1.0, 0.1, 0.1, 1), row("w", 0.5, 1.0, 1.0, 99)])
    assert [(r["name"], r["rank"], r["tied"]) for r in ranked] == [
        ("x", 1, False), ("y", 2, True), ("z", 2, True), ("w", 4, False)]


def test_a_rate_with_nothing_to_measure_ranks_below_any_figure():
    ranked = rank([row("none", None, None, None, 0), row("zero", 0.0, 0.0, 0.0, 0)])
    assert [r["name"] for r in ranked] == ["zero", "none"]
