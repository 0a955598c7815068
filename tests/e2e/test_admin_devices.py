"""/admin/devices: who may see it, and (headless Chromium against a real server) every
device's health updating live as devices report; screenshots under tests/artifacts/."""
from __future__ import annotations

import re

import pytest
import requests

from hall.services.config import accounts
from tests.e2e.browsing import signed_in_page
from tests.e2e.conftest import SEEN
from tests.e2e.server import running_hall


def test_the_devices_page_is_for_supervisors_and_shows_a_sign_in_form_otherwise(
        app, seeded, staff_client):
    anonymous = app.test_client().get("/admin/devices")
    assert anonymous.status_code == 200 and b'id="login-form"' in anonymous.data
    assert staff_client.get("/admin/devices").status_code == 403  # li is plain staff
    password = accounts.add_user(seeded, login="wang", name="王强",
                                 role="supervisor").value["password"]
    boss = app.test_client()
    login = boss.post("/api/v1/auth/login", json={"login": "wang", "password": password})
    assert login.status_code == 200
    page = boss.get("/admin/devices")
    assert page.status_code == 200 and b'id="devices"' in page.data
    assert b"devices.js" in page.data and "script-src 'self'" in page.headers[
        "Content-Security-Policy"]


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_devices_page_shows_every_device_and_follows_health_reports_live(
        ctx, db_url, tmp_path, browser, artifacts):
    from playwright.sync_api import expect

    with running_hall(ctx, db_url, tmp_path) as (server, tokens, post):
        sign = accounts.add_device(ctx, kind="sign", name="窗口屏总线").value
        kiosk = tokens["kiosk"]

        def report(device, **health):
            r = requests.post(f"{server.url}/api/v1/devices/me/health", json=health, timeout=5,
                              headers={"Authorization": f"Bearer {device['token']}"})
            assert r.ok, r.text

        report(sign, online=True, errors=0, signs=[{"address": 1, "ok": True}])
        # English labels: the Chinese ones arrive with the translation merge
        page, errors = signed_in_page(browser, ctx, f"{server.url}/admin/devices?lang=en")
        expect(page.locator("body")).to_have_attribute("data-live", "live", timeout=15000)
        expect(page.locator("#nav-devices")).to_have_class("active")
        row = page.locator(f"#device-{sign['id']}")
        expect(row.locator(".kind")).to_have_text("LED sign")
        expect(row.locator(".state")).to_have_text("Online")
        expect(row.locator(".details")).to_have_text("1 of 1 signs answer")
        expect(page.locator(f"#device-{kiosk['id']} .state")).to_have_text("Never reported")
        expect(page.locator(f"#device-{tokens['keypad1']['id']} .counter")).to_have_text(
            "Window 1")

        report(kiosk, online=True, paper="near_end")
        expect(page.locator(f"#device-{kiosk['id']} .paper")).to_have_text("Paper low",
                                                                             timeout=SEEN)
        report(sign, online=False, errors=3, error="window 3 @3: no reply in 1 s",
               signs=[{"address": 1, "ok": True}, {"address": 3, "ok": False}])
        expect(row).to_have_class(re.compile(r"\boffline\b"), timeout=SEEN)
        expect(row.locator(".state")).to_have_text("Offline")
        expect(row.locator(".errors")).to_have_text("3")
        expect(row.locator(".last-error")).to_have_text("window 3 @3: no reply in 1 s")
        expect(row.locator(".details")).to_have_text("1 of 2 signs answer")
        expect(page.locator("#devices-count")).to_have_text(
            re.compile(r"^1 of \d+ devices online$"))
        page.screenshot(path=artifacts / "devices-en.png", full_page=True)
        page.goto(f"{server.url}/admin/devices?lang=zh_CN")
        expect(page.locator("body")).to_have_attribute("data-live", "live", timeout=15000)
        expect(page.locator(f"#device-{sign['id']}")).to_have_class(re.compile("offline"))
        page.screenshot(path=artifacts / "devices-zh.png", full_page=True)
        assert errors == []


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_test_button_prints_a_test_slip_and_shows_the_result(ctx, db_url, tmp_path,
                                                                  browser, printer, artifacts):
    """An admin's "test" button on /admin/devices (issue 17 §1): the kiosk's printer (the
    ESC/POS emulator on TCP) receives the test slip and the row says so; with the paper
    out, the row shows the driver's reason in Chinese."""
    from playwright.sync_api import expect

    from hall.services.devices import printing

    with running_hall(ctx, db_url, tmp_path) as (server, tokens, post):
        kiosk = tokens["kiosk"]["id"]
        printing.set_printer(ctx, device_id=kiosk,
                             url=f"escpos+tcp://127.0.0.1:{printer.tcp_port}?paper=58")
        page, errors = signed_in_page(browser, ctx, f"{server.url}/admin/devices?lang=en",
                                      role="admin")
        expect(page.locator("body")).to_have_attribute("data-live", "live", timeout=15000)
        page.locator(f"#test-{kiosk}").click()
        expect(page.locator(f"#test-result-{kiosk}")).to_have_text("Test passed",
                                                                   timeout=SEEN)
        slip = printer.wait_for_tickets(1)[0].ticket
        assert "测试大厅" in slip.lines and slip.cut
        expect(page.locator(f"#test-{tokens['keypad1']['id']}")).to_be_visible()

        printer.state = "paper_end"
        page.goto(f"{server.url}/admin/devices?lang=zh_CN")
        expect(page.locator("body")).to_have_attribute("data-live", "live", timeout=15000)
        page.locator(f"#test-{kiosk}").click()
        result = page.locator(f"#test-result-{kiosk}")
        expect(result).to_have_text("打印机缺纸", timeout=SEEN)
        expect(result).to_have_class(re.compile(r"\btest-failed\b"))
        expect(page.locator(f"#device-{kiosk} .paper")).to_have_text("缺纸", timeout=SEEN)
        page.screenshot(path=artifacts / "devices-test-zh.png", full_page=True)
        assert len(printer.tickets) == 1 and errors == []
