"""Calling by name (issue 21) on the screens in headless Chromium against a real server: the
window screen and the hall screen's 正在呼叫 panel (from ``calls.live``) show the holder's
masked name next to the number when the hall calls by name, and only the number when not."""
from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import text

from tests.e2e.conftest import SEEN, open_page

CACHE_S = 2.5  # the server's cached hall settings (hall/services/cache.py) expire by then


def hold(ctx, ticket_id: int, masked: str) -> None:
    """The ticket was taken with an ID card: its holder kept masked, as the kiosk keeps it."""
    with ctx.engine.begin() as conn:
        conn.execute(text("UPDATE tickets SET holder_masked=:m WHERE id=:i"),
                     {"m": masked, "i": ticket_id})


def call_by_name(ctx, on: bool) -> None:
    with ctx.engine.begin() as conn:
        raw = conn.execute(text("SELECT id, settings FROM halls")).one()
        current = json.loads(raw.settings) if isinstance(raw.settings, str) else dict(
            raw.settings or {})
        conn.execute(text("UPDATE halls SET settings=:s WHERE id=:i"),
                     {"s": json.dumps({**current, "call_by_name": on}, ensure_ascii=False),
                      "i": raw.id})
    time.sleep(CACHE_S)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.slow
@pytest.mark.browser
def test_masked_name_on_window_screen(ctx, live_hall, browser, artifacts):
    from playwright.sync_api import expect

    server, tokens, post = live_hall
    screen = tokens["screen"]
    hall, errors = open_page(browser, f"{server.url}/display/hall/{screen['id']}"
                                      f"?token={screen['token']}", 1920, 1080)
    window, errors2 = open_page(browser, f"{server.url}/display/counter/1"
                                         f"?token={screen['token']}", 1280, 720)
    # off (the default): the number only, though the ticket carries a name
    first = post("/api/v1/tickets", "kiosk", service="hj")
    hold(ctx, first["id"], "张*女士")
    post("/api/v1/counters/1/call-next", "keypad1")
    expect(window.locator("#counter-ticket")).to_have_text(first["number"], timeout=SEEN)
    expect(hall.locator("#now-number")).to_have_text(first["number"], timeout=SEEN)
    expect(window.locator("#counter-holder")).to_have_text("")
    expect(hall.locator("#now-holder")).to_have_text("")
    assert "张" not in window.locator("body").inner_text()
    post("/api/v1/counters/1/skip", "keypad1")
    # on: the masked name next to the number, on both screens, and after a reload
    call_by_name(ctx, True)
    second = post("/api/v1/tickets", "kiosk", service="hj")
    hold(ctx, second["id"], "李*先生")
    post("/api/v1/counters/1/call-next", "keypad1")
    expect(window.locator("#counter-ticket")).to_have_text(second["number"], timeout=SEEN)
    expect(window.locator("#counter-holder")).to_have_text("李*先生", timeout=SEEN)
    expect(hall.locator("#now-number")).to_have_text(second["number"], timeout=SEEN)
    expect(hall.locator("#now-holder")).to_have_text("李*先生", timeout=SEEN)
    window.screenshot(path=artifacts / "window-by-name.png")
    window.reload()  # the snapshot says the same
    expect(window.locator("#counter-holder")).to_have_text("李*先生", timeout=SEEN)
    hall.reload()
    expect(hall.locator("#now-holder")).to_have_text("李*先生", timeout=SEEN)
    hall.screenshot(path=artifacts / "hall-by-name.png")
    assert errors == [] and errors2 == []
