"""Alerts raise once, escalate, clear and are acknowledged; device reports drive health."""
from __future__ import annotations

import pytest

from hall.domain.access import Actor
from hall.domain.errors import DomainError
from hall.services.config import accounts
from hall.services.context import run
from hall.services.devices import health as devices
from hall.services.supervision import alerts


def test_an_alert_is_raised_once_escalates_and_clears(ctx, hall):
    hid = hall["id"]
    first = run(ctx, lambda uow: alerts.raise_alert(uow, hid, "visit_over:7", "visit_over",
                                                    ticket_id=7, counter_id=1))
    again = run(ctx, lambda uow: alerts.raise_alert(uow, hid, "visit_over:7", "visit_over"))
    worse = run(ctx, lambda uow: alerts.raise_alert(uow, hid, "visit_over:7", "visit_over",
                                                    "critical"))
    assert first.value["level"] == "warning" and first.events[0].payload["counter_id"] == 1
    assert again.value is None and again.events == []
    assert worse.value["id"] == first.value["id"] and worse.value["level"] == "critical"
    assert [a["key"] for a in alerts.open_alerts(ctx, hid)] == ["visit_over:7"]
    cleared = run(ctx, lambda uow: alerts.clear_alert(uow, hid, "visit_over:7"))
    assert cleared.value["cleared_at"] is not None and cleared.events[0].payload["action"] == (
        "cleared")
    assert alerts.open_alerts(ctx, hid) == []


def test_only_staff_acknowledge_and_only_once(ctx, hall):
    hid = hall["id"]
    alert = run(ctx, lambda uow: alerts.raise_alert(uow, hid, "k", "long_wait")).value
    kiosk = Actor("device", 1, hid, "kiosk")
    with pytest.raises(DomainError):
        alerts.acknowledge(ctx, alert_id=alert["id"], actor=kiosk)
    boss = Actor("staff", hall["staff"]["li"], hid, "supervisor")
    done = alerts.acknowledge(ctx, alert_id=alert["id"], actor=boss, note="opened window 3")
    assert done.value["ack_note"] == "opened window 3"
    with pytest.raises(DomainError) as err:
        alerts.acknowledge(ctx, alert_id=alert["id"], actor=boss)
    assert err.value.code == "already_acknowledged"


def test_paper_out_opens_an_alert_and_paper_back_clears_it(ctx, hall):
    printer = accounts.add_device(ctx, kind="kiosk", name="1号取号机").value
    out = devices.report_health(ctx, device_id=printer["id"],
                                health={"online": True, "paper": "out", "errors": 1})
    assert [e.type for e in out.events] == ["device.health", "alert"]
    assert out.events[1].payload["alert"]["kind"] == "printer_paper_out"
    beat = devices.report_health(ctx, device_id=printer["id"], health={"paper": "out"})
    assert beat.events == []  # a heartbeat with no news emits nothing
    back = devices.report_health(ctx, device_id=printer["id"], health={"paper": "ok"})
    assert back.events[-1].payload["action"] == "cleared"
    board = devices.health_board(ctx, hall["id"])
    assert board[0]["health"] == {"online": True, "paper": "ok", "errors": 1}
    assert board[0]["last_seen"] is not None


def test_garbage_paper_state_is_recorded_as_unknown(ctx, hall):
    d = accounts.add_device(ctx, kind="kiosk").value
    view = devices.report_health(ctx, device_id=d["id"], health={"paper": "🙃"}).value
    assert view["health"]["paper"] == "unknown"

