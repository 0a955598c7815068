"""A device that stops reporting is marked offline (with an alert) and comes back by itself."""
from __future__ import annotations

from hall.services.config import accounts
from hall.services.context import run
from hall.services.devices import health as devices
from hall.services.supervision import alerts


def test_a_device_silent_too_long_goes_offline_with_an_alert_and_its_next_report_clears_it(
        ctx, hall, clock):
    sign = accounts.add_device(ctx, kind="sign", name="LED总线").value
    kiosk = accounts.add_device(ctx, kind="kiosk", name="1号取号机").value
    accounts.add_device(ctx, kind="screen", name="大厅主屏")  # never reports: left alone
    devices.report_health(ctx, device_id=sign["id"], health={"online": True})
    devices.report_health(ctx, device_id=kiosk["id"], health={"online": True, "paper": "ok"})
    seen = clock.now()

    clock.advance(seconds=20)
    devices.report_health(ctx, device_id=kiosk["id"], health={"online": True})  # still talking
    early = run(ctx, lambda uow: devices.mark_silent(uow, hall["id"], uow.now, 30))
    assert early.value == [] and early.events == []

    clock.advance(seconds=25)  # the sign has been silent 45 s, the kiosk 25 s
    silent = run(ctx, lambda uow: devices.mark_silent(uow, hall["id"], uow.now, 30))
    assert [d["id"] for d in silent.value] == [sign["id"]]
    marked = silent.value[0]
    assert marked["health"]["online"] is False and marked["health"]["silent_s"] == 45
    assert marked["last_seen"] == seen.isoformat()  # silence does not count as being seen
    assert [e.type for e in silent.events] == ["device.health", "alert"]
    assert silent.events[1].payload["alert"]["kind"] == "device_offline"
    assert [a["key"] for a in alerts.open_alerts(ctx, hall["id"])] == [f"device:{sign['id']}"]

    clock.advance(seconds=5)
    again = run(ctx, lambda uow: devices.mark_silent(uow, hall["id"], uow.now, 30))
    assert again.value == [] and again.events == []  # already offline: nothing new

    back = devices.report_health(ctx, device_id=sign["id"], health={"online": True})
    assert back.value["health"]["online"] is True and "silent_s" not in back.value["health"]
    assert back.value["last_seen"] == clock.now().isoformat()
    assert alerts.open_alerts(ctx, hall["id"]) == []
    board = {d["id"]: d for d in devices.health_board(ctx, hall["id"])}
    assert board[sign["id"]]["health"]["online"] is True
