"""Devices over HTTP: who am I, health reports, bad reports refused by field."""
from __future__ import annotations

from hall.services.config import accounts


def test_device_learns_who_it_is_and_reports_health_over_http(app, seeded):
    d = accounts.add_device(seeded, kind="kiosk", name="取号机").value
    client = app.test_client()
    headers = {"Authorization": f"Bearer {d['token']}"}
    me = client.get("/api/v1/devices/me", headers=headers).json
    assert me["id"] == d["id"] and me["kind"] == "kiosk"
    r = client.post("/api/v1/devices/me/health", headers=headers,
                    json={"paper": "near_end", "errors": 2})
    assert r.status_code == 200 and r.json["health"]["paper"] == "near_end"
    bad = client.post("/api/v1/devices/me/health", headers=headers, json={"paper": "wet"})
    assert bad.status_code == 422 and bad.json["error"]["field"] == "paper"


def test_health_error_can_be_cleared(app, seeded):
    """``"error": null`` clears the last error (issue 17 §2); a report that leaves the
    field out keeps it."""
    from hall.services.devices import health as devices
    from hall.services.supervision import alerts

    d = accounts.add_device(seeded, kind="kiosk", name="取号机").value
    client = app.test_client()
    headers = {"Authorization": f"Bearer {d['token']}"}
    r = client.post("/api/v1/devices/me/health", headers=headers,
                    json={"online": False, "error": "Cannot reach the printer"})
    assert r.status_code == 200 and r.json["health"]["error"] == "Cannot reach the printer"
    hall_id = accounts.device_actor(seeded, d["token"]).hall_id
    assert [a["kind"] for a in alerts.open_alerts(seeded, hall_id)] == ["device_offline"]

    kept = client.post("/api/v1/devices/me/health", headers=headers, json={"errors": 1})
    assert kept.json["health"]["error"] == "Cannot reach the printer"  # not said: kept
    assert kept.json["health"]["online"] is True  # a report is a sign of life
    cleared = client.post("/api/v1/devices/me/health", headers=headers, json={"error": None})
    assert cleared.status_code == 200, cleared.json
    assert "error" not in cleared.json["health"] and cleared.json["health"]["errors"] == 1
    stored = {x["id"]: x for x in devices.health_board(seeded, hall_id)}[d["id"]]
    assert "error" not in stored["health"] and stored["health"]["online"] is True
    assert alerts.open_alerts(seeded, hall_id) == []
