"""The layout specs: what a hall's TOML may say, and the error a person reads when it is
wrong."""
from __future__ import annotations

import math
import tomllib

import pytest

from hall.services.config.layout.seed import validate_layout
from hall.services.config.layout.spec import AlertsSpec, HallSpec, LayoutSpec
from hall.services.supervision.watch_rules import DEFAULTS
from tests.conftest import DATA


def test_the_alert_settings_a_layout_may_give_are_the_ones_the_watch_reads():
    assert set(AlertsSpec.model_fields) == set(DEFAULTS)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -1, 1441])
def test_alert_thresholds_are_finite_minutes(bad):
    with pytest.raises(ValueError):
        AlertsSpec(idle_minutes=bad)
    with pytest.raises(ValueError):
        AlertsSpec(pause_by_reason={"午休": bad})


def test_nested_alert_tables_and_bare_toml_dates_are_accepted():
    hall = HallSpec.model_validate(tomllib.loads('''
        code = "x"
        name = "大厅"
        holidays = [2026-10-09]
        alerts = { idle_minutes = 3, pause_by_reason = { "午休" = 90 } }
    '''))
    assert hall.alerts.pause_by_reason == {"午休": 90.0}
    assert hall.model_dump(mode="json", exclude_none=True)["holidays"] == ["2026-10-09"]


def test_a_layout_error_names_the_entry_by_its_code_and_the_field():
    layout = tomllib.loads((DATA / "small_hall.toml").read_text(encoding="utf-8"))
    layout["services"][1]["prefix"] = "a1"
    with pytest.raises(ValueError, match=r"^services\.sfz: prefix: "):
        validate_layout(layout)
    layout["services"][1]["prefix"] = "A"
    layout["counters"][0]["services"].append({"service": "nope"})
    with pytest.raises(ValueError, match=r"counters.*unknown service 'nope'"):
        validate_layout(layout)


def test_an_unknown_sms_provider_is_refused_naming_the_field():
    """Issue 21's bad input: a hall's [hall.notify] names Aliyun or Tencent, or none."""
    layout = tomllib.loads((DATA / "small_hall.toml").read_text(encoding="utf-8"))
    layout["hall"]["notify"] = {"provider": "yunpian"}
    with pytest.raises(ValueError, match=r"^hall\.notify\.provider: .*'aliyun' or 'tencent'"):
        validate_layout(layout)
    layout["hall"]["notify"] = {"provider": "tencent", "ahead": 3, "keep_days": 7}
    validate_layout(layout)


def test_the_demo_and_test_layouts_validate():
    for path in (DATA / "small_hall.toml", DATA.parents[1] / "hall/seed/demo_hall.toml"):
        LayoutSpec.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))


def test_hall_flow_settings_from_toml():
    """Issue 22: 延时服务 days, auto-dispatch and the overnight queue, as a layout gives them
    and as halls.settings stores them (what repo.calendar_of reads)."""
    hall = HallSpec.model_validate(tomllib.loads('''
        code = "x"
        name = "大厅"
        auto_dispatch_seconds = 30
        overnight_queue = "carry"
        closing_time = "17:30"
        extended_service = [{ weekday = 6, hours = ["09:00-12:00"] },
                            { date = 2026-12-12, services = ["hj"] }]
    '''))
    stored = hall.model_dump(mode="json", exclude_none=True)
    assert stored["extended_service"] == [{"weekday": 6, "hours": ["09:00-12:00"]},
                                          {"date": "2026-12-12", "services": ["hj"]}]
    assert (stored["auto_dispatch_seconds"], stored["overnight_queue"]) == (30, "carry")


@pytest.mark.parametrize("bad", [
    {"extended_service": [{"hours": ["09:00-12:00"]}]},  # neither a date nor a weekday
    {"extended_service": [{"weekday": 6, "date": "2026-12-12"}]},  # both
    {"extended_service": [{"weekday": 8}]},
    {"extended_service": [{"weekday": 6, "hours": ["12:00-09:00"]}]},
    {"overnight_queue": "keep"},
    {"closing_time": "25:00"},
    {"auto_dispatch_seconds": 0},
])
def test_hall_flow_settings_refuse_nonsense(bad):
    with pytest.raises(ValueError):
        HallSpec.model_validate({"code": "x", "name": "大厅", **bad})
