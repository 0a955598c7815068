"""办件 management: urgency filters, the life cycle, and due alerts with an injected clock."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hall.domain.access import Actor
from hall.domain.errors import DomainError
from hall.services.cases import workflow as cases
from hall.services.context import run
from hall.services.supervision import alerts
from tests.conftest import add_case


@pytest.fixture
def three_cases(ctx, hall):
    # today (the clock) is Mon 2026-11-23
    add_case(ctx, hall, "T-20261116-0001", date(2026, 11, 16), date(2026, 11, 19),
             date(2026, 11, 20))  # red: due last Friday
    add_case(ctx, hall, "T-20261118-0001", date(2026, 11, 18), date(2026, 11, 23),
             date(2026, 11, 24))  # yellow: warning day is today
    add_case(ctx, hall, "T-20261123-0001", date(2026, 11, 23), date(2026, 11, 27),
             date(2026, 11, 30))  # normal


def staff(hall) -> Actor:
    return Actor("staff", hall["staff"]["li"], hall["id"], "staff")


def test_cases_are_listed_by_urgency(ctx, hall, three_cases):
    everything = cases.list_cases(ctx, hall_id=hall["id"])
    assert everything["total"] == 3
    assert [c["urgency"] for c in everything["cases"]] == ["red", "yellow", "normal"]
    red = cases.list_cases(ctx, hall_id=hall["id"], urgency="red")["cases"]
    assert [c["number"] for c in red] == ["T-20261116-0001"]
    with pytest.raises(DomainError) as err:
        cases.list_cases(ctx, hall_id=hall["id"], urgency="purple")
    assert err.value.field == "urgency"


def test_due_alerts_rise_with_the_clock_and_clear_when_done(ctx, hall, three_cases, clock):
    run(ctx, lambda uow: cases.scan_due(uow, hall["id"]))
    open_ = {a["key"]: a for a in alerts.open_alerts(ctx, hall["id"])}
    assert sorted(a["kind"] for a in open_.values()) == ["case_overdue", "case_warning"]
    clock.current = datetime(2026, 11, 25, 2, tzinfo=UTC)  # Wednesday: the yellow one is late
    run(ctx, lambda uow: cases.scan_due(uow, hall["id"]))
    kinds = sorted(a["level"] for a in alerts.open_alerts(ctx, hall["id"]))
    assert kinds == ["critical", "critical"]
    done = cases.act(ctx, hall_id=hall["id"], number="t-20261118-0001", action="finish",
                     actor=staff(hall))
    assert done.value == {"number": "T-20261118-0001", "state": "done",
                          "done_on": "2026-11-25", "on_time": False}
    assert [e.type for e in done.events] == ["alert", "case.updated"]
    assert len(alerts.open_alerts(ctx, hall["id"])) == 1


def test_case_life_cycle_is_enforced(ctx, hall, three_cases):
    cases.act(ctx, hall_id=hall["id"], number="T-20261123-0001", action="return",
              actor=staff(hall))
    with pytest.raises(DomainError) as err:
        cases.act(ctx, hall_id=hall["id"], number="T-20261123-0001", action="finish",
                  actor=staff(hall))
    assert err.value.code == "illegal_case_transition"
    with pytest.raises(DomainError):
        cases.act(ctx, hall_id=hall["id"], number="T-20261123-0001", action="start",
                  actor=Actor("device", 1, hall["id"], "kiosk"))
