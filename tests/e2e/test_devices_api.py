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


def test_device_config_sets_kiosk_printer(app, seeded, admin_client, printer):
    """An admin points a kiosk at its printer over the API /admin/devices uses (issue 17
    §1): audited, and the very next ticket prints there, with no restart."""
    from hall.services.config import audit

    d = accounts.add_device(seeded, kind="kiosk", name="1号取号机").value
    kiosk = app.test_client()
    headers = {"Authorization": f"Bearer {d['token']}"}
    url = f"escpos+tcp://127.0.0.1:{printer.tcp_port}?paper=58"
    r = admin_client.put(f"/api/v1/devices/{d['id']}/url", headers=admin_client.csrf,
                         json={"url": f"  {url} "})
    assert r.status_code == 200, r.json
    assert r.json == {"id": d["id"], "kind": "kiosk", "name": "1号取号机", "url": url}
    listed = {x["id"]: x for x in admin_client.get("/api/v1/devices").json["devices"]}
    assert listed[d["id"]]["url"] == url

    t = kiosk.post("/api/v1/tickets", json={"service": "hj"}, headers=headers)
    job = kiosk.post("/api/v1/print-jobs", json={"ticket_id": t.json["id"]}, headers=headers)
    assert job.status_code == 201 and job.json["state"] == "printed", job.json
    assert t.json["number"] in printer.wait_for_tickets(1)[0].ticket.lines

    entries = audit.entries(seeded, 1, entity="device")
    assert [(e["action"], e["before"], e["after"]) for e in entries
            if e["action"] == "update"] == [("update", {"url": None}, {"url": url})]
    off = admin_client.put(f"/api/v1/devices/{d['id']}/url", headers=admin_client.csrf,
                           json={"url": None})  # its printer now hangs off an agent
    assert off.status_code == 200 and off.json["url"] is None


def test_device_config_refuses_bad_url(seeded, admin_client, staff_client):
    """A bad address is refused naming ``url`` and quoting the form expected; only admins
    set addresses; a screen has none."""
    kiosk = accounts.add_device(seeded, kind="kiosk").value
    keypad = accounts.add_device(seeded, kind="keypad", counter_number=1).value
    screen = accounts.add_device(seeded, kind="screen").value

    def put(device, url, client=admin_client):
        return client.put(f"/api/v1/devices/{device['id']}/url", headers=client.csrf,
                          json={"url": url})

    for device, url, says in [
            (kiosk, "escpos+tpc://10.0.0.5:9100", "connect by"),  # a typo in the transport
            (kiosk, "escpos+tcp://10.0.0.5:9100?baud=9600", "unknown option"),
            (kiosk, "led+tcp://10.0.0.5:5005", "escpos+tcp://HOST:9100"),  # not a printer
            (kiosk, "10.0.0.5:9100", "escpos+tcp://HOST:9100"),
            (keypad, "keypad+usb://0416:5011", "keypad+serial:///dev/ttyS1")]:
        r = put(device, url)
        assert r.status_code == 422, (url, r.json)
        assert r.json["error"] == {**r.json["error"], "code": "bad_device_url", "field": "url"}
        assert says in r.json["error"]["message"], (url, r.json)
    assert put(screen, "escpos+tcp://10.0.0.5:9100").json["error"]["code"] == \
        "device_has_no_url"
    assert put(kiosk, "escpos+tcp://10.0.0.5:9100", staff_client).status_code == 403
    listed = {x["id"]: x for x in admin_client.get("/api/v1/devices").json["devices"]}
    assert listed[kiosk["id"]]["url"] is None and listed[keypad["id"]]["url"] is None


def test_device_test_prints_a_test_slip_on_the_kiosk_printer(app, seeded, admin_client,
                                                              staff_client, printer):
    """The "test" button (issue 17 §1): a printer the server drives gets a test slip over
    real bytes (the ESC/POS emulator on TCP decodes it); paper out is the driver's reason,
    in Chinese, and lands in the device's health."""
    d = accounts.add_device(seeded, kind="kiosk", name="1号取号机",
                            url=f"escpos+tcp://127.0.0.1:{printer.tcp_port}?paper=58").value
    r = admin_client.post(f"/api/v1/devices/{d['id']}/test", headers=admin_client.csrf)
    assert r.status_code == 200, r.json
    assert r.json["state"] == "ok" and r.json["error"] is None
    assert r.json["health"]["test"]["ok"] is True and r.json["health"]["paper"] == "ok"
    slip = printer.wait_for_tickets(1)[0].ticket
    assert "测试大厅" in slip.lines and "1号取号机" in slip.lines
    assert slip.cut and not slip.unknown

    printer.state = "paper_end"
    failed = admin_client.post(f"/api/v1/devices/{d['id']}/test", headers=admin_client.csrf)
    assert failed.status_code == 200, failed.json
    assert failed.json["state"] == "failed" and failed.json["error"] == "打印机缺纸"
    assert failed.json["message"] == "打印机缺纸"
    assert failed.json["health"]["test"] == {**failed.json["health"]["test"], "ok": False,
                                             "error": "打印机缺纸"}
    assert failed.json["health"]["paper"] == "out"
    assert len(printer.tickets) == 1  # nothing sent after the status said paper end
    refused = staff_client.post(f"/api/v1/devices/{d['id']}/test", headers=staff_client.csrf)
    assert refused.status_code == 403
    screen = accounts.add_device(seeded, kind="screen").value
    none = admin_client.post(f"/api/v1/devices/{screen['id']}/test", headers=admin_client.csrf)
    assert none.status_code == 422 and none.json["error"]["field"] == "device"


def test_the_test_slip_prints_no_control_characters(app, seeded, admin_client, printer):
    """Issue 16, item 8: the hall's and the device's names on the test slip (an older row,
    a layout file, a pairing request's name) print as text: ESC @ resets nothing, GS V cuts
    nothing, ESC p kicks no drawer — one slip, one cut, the words kept."""
    from sqlalchemy import update

    from hall.store.models import Hall

    with seeded.engine.begin() as conn:
        conn.execute(update(Hall).values(name="测试\x1b@大厅\x1dV0"))
    seeded.cache.clear()
    d = accounts.add_device(seeded, kind="kiosk", name="1号\x1bp0\x19\x19取号机",
                            url=f"escpos+tcp://127.0.0.1:{printer.tcp_port}?paper=58").value
    r = admin_client.post(f"/api/v1/devices/{d['id']}/test", headers=admin_client.csrf)
    assert r.status_code == 200 and r.json["state"] == "ok", r.json
    (slip,) = [t.ticket for t in printer.wait_for_tickets(1)]
    assert slip.cut and not slip.unknown
    assert "测试@大厅V0" in slip.lines and "1号p0取号机" in slip.lines
    assert not [line for line in slip.lines if not line.isprintable()]


def test_the_test_slip_sent_to_a_bridge_holds_no_control_characters(seeded, admin_client):
    """The same slip, for a printer an agent drives, travels in ``device.test``: its texts
    are already clean when the bridge prints them."""
    from sqlalchemy import update

    from hall.store.models import Hall

    with seeded.engine.begin() as conn:
        conn.execute(update(Hall).values(name="测试\x1b@大厅"))
    seeded.cache.clear()
    printer = accounts.add_device(seeded, kind="printer", counter_number=1,
                                  name="窗口\x1dV\x01打印机").value
    r = admin_client.post(f"/api/v1/devices/{printer['id']}/test", headers=admin_client.csrf)
    assert r.status_code == 200 and r.json["state"] == "sent", r.json
    (event,) = [e for e in logged_events(seeded) if e["type"] == "device.test"]
    texts = [event["slip"]["hall_name"], *(line["text"] for line in event["slip"]["lines"])]
    assert texts[:2] == ["测试@大厅", "窗口V打印机"]
    assert all(text.isprintable() for text in texts), texts


def logged_events(ctx) -> list[dict]:
    from hall.services.queue import queries

    return queries.events_after(ctx, 1, 0)["events"]


def test_device_test_reaches_an_agent_driven_device_as_an_event(seeded, admin_client):
    """A keypad bus, a sign or a printer on an agent is tested by its bridge: the server
    sends ``device.test`` to the device's own room and says it was sent."""
    from hall.realtime.events import rooms_for
    from hall.services.queue import queries

    keypad = accounts.add_device(seeded, kind="keypad", counter_number=1).value
    r = admin_client.post(f"/api/v1/devices/{keypad['id']}/test", headers=admin_client.csrf)
    assert r.status_code == 200 and r.json["state"] == "sent", r.json
    (event,) = [e for e in queries.events_after(seeded, 1, 0)["events"]
                if e["type"] == "device.test"]
    assert event["device_id"] == keypad["id"] and event["kind"] == "keypad"
    assert event["slip"]["title"] and event["text"]
    assert f"device:{keypad['id']}#window" in rooms_for(1, "device.test", event)
