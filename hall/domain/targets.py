"""Targets (考核目标) beside the figures: each rate is green when it meets its target, red
when it does not, and uncoloured when there is nothing to measure.

The seeds' targets are the defaults (现场办结率 ≥ 90 %, 按时办结率 ≥ 99 %), with 满意率 and
等候达标率 (the service level); a hall sets its own in ``[hall.targets]`` (percentages).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hall.domain.i18n import N_

# measure key in the reports → (default target as a fraction, its label)
TARGETS: dict[str, tuple[float, str]] = {
    "onsite_completion_rate": (0.90, N_("On-the-spot completion rate (现场办结率)")),
    "on_time_rate": (0.99, N_("On-time completion rate (按时办结率)")),
    "satisfaction_rate": (0.95, N_("Satisfaction rate (满意率)")),
    "service_level": (0.80, N_("Service level")),
}
# the [hall.targets] keys (percent) → the measure they set
SETTING_KEYS = {"onsite_completion": "onsite_completion_rate", "on_time": "on_time_rate",
                "satisfaction": "satisfaction_rate", "service_level": "service_level"}
MET, MISSED = "met", "missed"


def targets(settings: Mapping[str, Any] | None) -> dict[str, float]:
    """The hall's targets as fractions, from its settings' ``targets`` (percentages)."""
    given = ((settings or {}).get("targets") or {})
    out = {measure: default for measure, (default, _label) in TARGETS.items()}
    for key, measure in SETTING_KEYS.items():
        if given.get(key) is not None:
            out[measure] = float(given[key]) / 100
    return out


def status(value: float | None, target: float) -> str | None:
    """met (value ≥ target), missed, or None when there is no figure. Rates arrive rounded
    to 0.01 % (4 places), so the target is compared at the same precision."""
    if value is None:
        return None
    return MET if round(value, 4) >= round(target, 4) else MISSED


def statuses(row: Mapping[str, Any], goals: Mapping[str, float]) -> dict[str, str | None]:
    """Each targeted measure of a report row as met / missed / None."""
    return {measure: status(row.get(measure), goal) for measure, goal in goals.items()}
