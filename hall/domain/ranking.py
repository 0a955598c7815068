"""Ranking for the monthly bulletin (月通报): departments and windows ordered by

1. 满意率 (satisfaction rate), 2. 现场办结率 (on-the-spot completion rate),
3. 按时办结率 (on-time completion rate), 4. visits served — each higher first;

a rate with nothing to measure (no ratings, no visits ending in 办结/受理, no cases done)
counts below every figure. Rows equal on all four share a rank and the next rank skips
("1, 2, 2, 4"); among equals the list is in name order, which decides nothing. Rates are
compared as the report gives them (fractions rounded to 4 places: 0.01 %).
"""
from __future__ import annotations

from typing import Any

RANK_BY = ("satisfaction_rate", "onsite_completion_rate", "on_time_rate", "served")


def _key(row: dict[str, Any]) -> tuple:
    return tuple((row.get(k) is None, -(row.get(k) or 0)) for k in RANK_BY)


def rank(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows in ranking order, each with ``rank`` (shared on ties) and ``tied``."""
    ordered = sorted(rows, key=lambda r: (_key(r), str(r.get("name", ""))))
    keys = [_key(r) for r in ordered]
    out = []
    for i, (row, key) in enumerate(zip(ordered, keys, strict=True)):
        place = out[-1]["rank"] if out and key == keys[i - 1] else i + 1
        tied = (i > 0 and key == keys[i - 1]) or (i + 1 < len(keys) and key == keys[i + 1])
        out.append({**row, "rank": place, "tied": tied})
    return out
