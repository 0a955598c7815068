"""好差评 later from the ticket's phone page in the browser (headless Chromium against a
real server): the page open while the visit finishes loads the rating form by itself; a low
rating asks for its reason; the rating is kept once, from the phone (issue 19 item 4)."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from tests.e2e.conftest import SEEN, SQLITE_ONLY, change_settings, open_page

pytestmark = [pytest.mark.slow, pytest.mark.browser, SQLITE_ONLY]


def test_a_visitor_rates_the_finished_visit_on_the_phone_page(live_hall, ctx, browser,
                                                              artifacts):
    from playwright.sync_api import expect

    server, _, post = live_hall
    change_settings(ctx, server.url, rating_dimensions=["礼仪", "效率"])  # the settings page
    ticket = post("/api/v1/tickets", "kiosk", service="hj")
    page, errors = open_page(browser, f"{server.url}/t/{ticket['token']}", 360, 740)
    expect(page.locator("#t-number")).to_have_text(ticket["number"])
    assert page.locator("#t-rate").count() == 0  # waiting: nothing to rate
    post("/api/v1/counters/1/call-next", "keypad1")
    post("/api/v1/counters/1/start", "keypad1")
    post("/api/v1/counters/1/finish", "keypad1", outcome="done")

    form = page.locator("#t-rate-form")
    expect(form).to_be_visible(timeout=SEEN)  # the page reloaded itself when it finished
    expect(page.locator(".t-rate-reason")).to_be_hidden()
    page.check("#t-rate-form input[name=level][value='2']")
    expect(page.locator(".t-rate-reason")).to_be_visible()  # a low rating: why?
    page.click("#t-rate-form button[type=submit]")
    expect(page.locator(".t-rate-result")).to_contain_text("原因", timeout=SEEN)
    page.select_option("#t-rate-form select[name=reason]", "等候时间长")
    page.select_option("[data-dimension='礼仪']", "4")
    page.fill("#t-rate-form textarea[name=comment]", "排队一个多小时")
    page.screenshot(path=artifacts / "phone-rating-form.png", full_page=True)
    page.click("#t-rate-form button[type=submit]")
    expect(page.locator(".t-rate-done")).to_be_visible(timeout=SEEN)
    expect(form).to_be_hidden()
    with ctx.engine.connect() as conn:
        kept = conn.execute(text("SELECT level, reason, comment, channel, dimensions "
                                 "FROM ratings")).one()
    assert tuple(kept)[:4] == (2, "等候时间长", "排队一个多小时", "phone")
    dims = json.loads(kept.dimensions) if isinstance(kept.dimensions, str) else kept.dimensions
    assert dims == {"礼仪": 4}  # the dimension left blank is not scored
    page.reload()
    expect(page.locator("#t-number")).to_have_text(ticket["number"])
    assert page.locator("#t-rate").count() == 0  # rated: once per visit
    assert errors == []
