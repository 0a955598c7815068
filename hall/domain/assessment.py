"""日考核 (daily assessment): a hall-configured, versioned scheme of points scores each staff
member and each window per day from the day's records, always with the counts behind it.

A score = the scheme's base + the deductions and credits of each item (count × points).
Deductions: lateness and absence (per shift of the rota, from attendance: ``ATTENDANCE``),
cases that went overdue that day (a case counts once, the day after its due day, against
the window and staff that accepted it), visits over their time limit, bad reviews (1–2),
upheld complaints (on the day they were answered 属实, against the window and staff they
named), and admonitions by level. Credits: 满意率 and 现场办结率 at or above the
hall's targets on a day that has any to measure. Nothing here reads a clock or a database:
the same records and scheme always give the same score (recomputable at any time).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from hall.domain.errors import DomainError
from hall.domain.i18n import N_

DEFAULT_SCHEME: dict[str, Any] = {
    "base": 100,
    "late": -1, "absent": -5, "overdue_case": -2, "visit_over_limit": -1,
    "bad_review": -2, "complaint_upheld": -5,
    "admonition_reminder": -1, "admonition_admonition": -3, "admonition_criticism": -5,
    "satisfaction_credit": 1, "onsite_credit": 1,
}
# a shift's attendance status (hall/domain/duty.attend) → the item it counts as, once per
# shift; left early alone, on time, on leave and not begun count nothing
ATTENDANCE = {"late": "late", "late_and_left_early": "late", "absent": "absent"}
# item → its label, in the order a score's lines are shown
ITEMS: dict[str, str] = {
    "late": N_("Late (迟到)"), "absent": N_("Absent (缺岗)"),
    "overdue_case": N_("Overdue cases"), "visit_over_limit": N_("Visits over the time limit"),
    "bad_review": N_("Bad reviews"), "complaint_upheld": N_("Upheld complaints"),
    "admonition_reminder": N_("Reminders (提醒)"),
    "admonition_admonition": N_("Admonitions (告诫)"),
    "admonition_criticism": N_("Public criticism (通报批评)"),
    "satisfaction_credit": N_("Satisfaction rate at target"),
    "onsite_credit": N_("On-the-spot completion rate at target"),
}

# the report groupings a score belongs to: a staff member's, a window's
SCORED_GROUPS = ("staff", "counter")


@dataclass(slots=True)
class DayCounts:
    """What one staff member or window did on one day, as the scheme counts it."""

    visits: int = 0
    done: int = 0
    accepted: int = 0
    ratings: int = 0
    good_ratings: int = 0
    late: int = 0
    absent: int = 0
    overdue_case: int = 0
    visit_over_limit: int = 0
    bad_review: int = 0
    complaint_upheld: int = 0
    admonition_reminder: int = 0
    admonition_admonition: int = 0
    admonition_criticism: int = 0

    def add(self, other: DayCounts) -> DayCounts:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def anything(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


@dataclass(frozen=True, slots=True)
class Score:
    points: float
    lines: list[dict[str, Any]] = field(default_factory=list)  # item, count, points


def check_scheme(rules: Mapping[str, Any]) -> dict[str, Any]:
    """A scheme as stored: every item known, every value a number; unset items default."""
    unknown = set(rules) - set(DEFAULT_SCHEME)
    if unknown:
        raise DomainError("invalid_scheme", N_("Unknown scheme item %(item)s"), "rules",
                          item=sorted(unknown)[0])
    out = dict(DEFAULT_SCHEME)
    for key, value in rules.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or abs(value) > 1000:
            raise DomainError("invalid_scheme", N_("Points must be numbers (%(item)s)"),
                              "rules", item=key)
        out[key] = value
    return out


def _rate(num: int, den: int) -> float | None:
    return None if den == 0 else num / den


def score(counts: DayCounts, rules: Mapping[str, Any], targets: Mapping[str, float]) -> Score:
    """The day's score and the line for each item that moved it."""
    rules = {**DEFAULT_SCHEME, **rules}
    c = counts.as_dict()
    satisfaction = _rate(counts.good_ratings, counts.ratings)
    onsite = _rate(counts.done, counts.done + counts.accepted)
    c["satisfaction_credit"] = int(satisfaction is not None and round(satisfaction, 4)
                                   >= round(targets.get("satisfaction_rate", 1), 4))
    c["onsite_credit"] = int(onsite is not None and round(onsite, 4)
                             >= round(targets.get("onsite_completion_rate", 1), 4))
    lines, total = [], float(rules["base"])
    for item in ITEMS:
        n = c[item]
        if n:
            pts = n * rules[item]
            total += pts
            lines.append({"item": item, "count": n, "points": pts})
    return Score(round(total, 2), lines)


def summary(days: Iterable[tuple[Any, DayCounts, Score]]) -> dict[str, Any]:
    """A run of scored days (a week, a month): the sum, the mean per scored day, and the
    counts behind them."""
    total, n, counts = 0.0, 0, DayCounts()
    for _day, day_counts, s in days:
        total += s.points
        n += 1
        counts.add(day_counts)
    return {"days_scored": n, "sum": round(total, 2), "mean": round(total / n, 2) if n else None,
            "counts": counts.as_dict()}
