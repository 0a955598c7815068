"""值班牌 in the browser: the window screen and the rating pad show the person at the window —
photo, name, 工号, department and this month's 满意率 — from a real server."""
from __future__ import annotations

import base64
import io

import pytest
import requests
from PIL import Image

from hall.services.config import accounts
from tests.e2e.conftest import SEEN, admin_session, open_pad, open_page


def _photo() -> str:
    out = io.BytesIO()
    Image.new("RGB", (300, 400), (20, 120, 200)).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.browser
def test_staff_photo_on_window_screen(live_hall, ctx, browser, artifacts):
    from playwright.sync_api import expect

    server, tokens, post = live_hall
    pad = accounts.add_device(ctx, kind="pad", counter_number=3).value
    admin = admin_session(ctx, server.url)
    staff = {s["login"]: s for s in admin.get(server.url + "/api/v1/admin/staff").json()["staff"]}
    li = staff["li"]["id"]
    r = admin.put(f"{server.url}/api/v1/admin/staff/{li}",
                  json={"number": "1024", "department": "swj"})
    assert r.status_code == 200, r.text
    r = admin.put(f"{server.url}/api/v1/admin/staff/{li}/photo", json={"photo": _photo()})
    assert r.status_code == 200, r.text

    # li signs in at window 3 and serves a visitor, who rates the visit 非常满意
    password = accounts.add_user(ctx, login="li", name="李娜").value["password"]
    http = requests.Session()
    login = http.post(server.url + "/api/v1/auth/login",
                      json={"login": "li", "password": password}, timeout=5).json()
    http.headers["X-CSRFToken"] = login["csrf_token"]
    assert http.post(server.url + "/api/v1/counters/3/sign-in", timeout=5).status_code == 200
    ticket = post("/api/v1/tickets", "kiosk", service="ss")
    for step, body in (("call-next", None), ("start", None), ("finish", {"outcome": "done"})):
        r = http.post(f"{server.url}/api/v1/counters/3/{step}", json=body, timeout=5)
        assert r.status_code == 200, r.text
    r = requests.post(f"{server.url}/api/v1/tickets/{ticket['id']}/rating", json={"level": 5},
                      headers={"Authorization": f"Bearer {pad['token']}"}, timeout=5)
    assert r.status_code in (200, 201), r.text

    page, errors = open_page(browser, f"{server.url}/display/counter/3"
                                      f"?token={tokens['screen']['token']}", 1920, 1080)
    expect(page.locator("#duty-card")).to_be_visible(timeout=SEEN)
    expect(page.locator("#duty-name")).to_have_text("李娜")
    expect(page.locator("#duty-number")).to_contain_text("1024")
    expect(page.locator("#duty-department")).to_have_text("税务局")
    expect(page.locator("#duty-rate")).to_contain_text("100.0%")
    photo = page.locator("#duty-photo")
    expect(photo).to_be_visible()
    page.wait_for_function("() => document.getElementById('duty-photo').naturalWidth > 0",
                           timeout=SEEN)
    assert photo.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [300, 400]
    page.screenshot(path=artifacts / "window-duty-card.png")

    # the rating pad beside the window shows the same card
    pad_page, problems = open_pad(browser, f"{server.url}/pad/{pad['id']}?token={pad['token']}")
    expect(pad_page.locator("#pad-photo")).to_be_visible(timeout=SEEN)
    expect(pad_page.locator("#pad-staff-name")).to_have_text("李娜")
    expect(pad_page.locator("#pad-staff-number")).to_contain_text("1024")
    expect(pad_page.locator("#pad-staff-department")).to_have_text("税务局")
    expect(pad_page.locator("#pad-staff-rate")).to_contain_text("100.0%")
    pad_page.screenshot(path=artifacts / "pad-duty-card.png")

    # the photo removed, then the window closed: the card follows
    admin.delete(f"{server.url}/api/v1/admin/staff/{li}/photo")
    assert http.post(server.url + "/api/v1/counters/3/close", timeout=5).status_code == 200
    expect(page.locator("#duty-card")).to_be_hidden(timeout=SEEN)
    assert errors == [] and problems == []
