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
