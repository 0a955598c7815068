"""What screens tell people is true (issue 15 items 1 and 3), in headless Chromium against a
real server: with no window open for a service the hall screen and the phone page say 暂无
窗口办理 instead of a number, and it comes back when a window opens; the board counts a
visitor sent to a closed window by name, and raises the alert for them."""
from __future__ import annotations

import pytest

from tests.e2e.browsing import signed_in_page
from tests.e2e.conftest import SEEN, SQLITE_ONLY, open_page

NO_WINDOW = "暂无窗口办理"


@pytest.mark.slow
@pytest.mark.browser
@SQLITE_ONLY
def test_estimate_says_no_window_when_none_is_open(live_hall, browser, artifacts):
    from playwright.sync_api import expect

    server, tokens, post = live_hall
    for n in (1, 2, 3):  # every window that serves 户籍办理 (hj) closes
        post(f"/api/v1/counters/{n}/close", f"keypad{n}")
    ticket = post("/api/v1/tickets", "kiosk", service="hj")
    assert ticket["estimated_wait"] is None
    screen = tokens["screen"]
    hall, errors = open_page(browser, f"{server.url}/display/hall/{screen['id']}"
                                      f"?token={screen['token']}", 1920, 1080)
    row = hall.locator("#queues tr", has_text="户籍办理")
    expect(row).to_contain_text(NO_WINDOW, timeout=SEEN)
    phone, phone_errors = open_page(browser, f"{server.url}/t/{ticket['token']}", 390, 844)
    expect(phone.locator("body")).to_contain_text(NO_WINDOW, timeout=SEEN)
    hall.screenshot(path=artifacts / "no-window.png")
    post("/api/v1/counters/1/open", "keypad1")  # a window opens: the figures move at once
    expect(row).not_to_contain_text(NO_WINDOW, timeout=SEEN)
    expect(phone.locator("body")).not_to_contain_text(NO_WINDOW, timeout=SEEN)
    assert errors == [] and phone_errors == []


@pytest.mark.slow
@pytest.mark.browser
@SQLITE_ONLY
def test_board_counts_tickets_transferred_to_a_window(live_hall, ctx, browser, artifacts):
    from playwright.sync_api import expect

    server, tokens, post = live_hall
    post("/api/v1/tickets", "kiosk", service="hj")
    post("/api/v1/counters/1/call-next", "keypad1")
    post("/api/v1/counters/1/start", "keypad1")
    page, errors = signed_in_page(browser, ctx, f"{server.url}/admin/board")
    page.wait_for_function("() => document.body.dataset.live === 'live'", timeout=15000)
    refused = requests_post(server.url, tokens["keypad1"]["token"],
                            "/api/v1/counters/1/transfer", {"to_counter": 4})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "target_closed"
    post("/api/v1/counters/1/transfer", "keypad1", to_counter=4, confirm_closed=True)
    expect(page.locator("#total-waiting")).to_have_text("1", timeout=SEEN)
    expect(page.locator("#queue-hj .q-waiting")).to_have_text("1", timeout=SEEN)
    expect(page.locator("#window-4 .win-waiting")).to_contain_text("1", timeout=SEEN)
    # the server's watch (every few seconds) raises the alert for them
    alert = page.locator("#alerts li[data-kind=waiting_at_closed_window]")
    expect(alert).to_have_count(1, timeout=15000)
    expect(alert).to_contain_text("4")
    page.screenshot(path=artifacts / "board-sent-to-a-closed-window.png", full_page=True)
    assert errors == []


def requests_post(url: str, token: str, path: str, body: dict):
    import requests

    return requests.post(url + path, json=body, timeout=5,
                         headers={"Authorization": f"Bearer {token}"})
