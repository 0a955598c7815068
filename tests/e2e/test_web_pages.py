"""The pages of the web floor that belong to no room (hall/web): the start page ``/`` that
links every room, and the page an unknown address gets — HTML in Chinese for a person's
browser, while /api/v1 and page scripts keep the JSON error."""
from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import SEEN, SQLITE_ONLY

ROOMS = {"start-book": "/book", "start-case": "/case", "start-counter": "/counter",
         "start-admin": "/admin/", "start-pair-kiosk": "/pair?kind=kiosk",
         "start-pair-screen": "/pair?kind=screen"}
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@SQLITE_ONLY
def test_the_start_page_links_every_room_and_holds_no_token(app, seeded, kiosk_headers):
    client = app.test_client()
    r = client.get("/")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "text/html" in r.content_type
    for anchor, path in ROOMS.items():
        assert f'id="{anchor}" href="{path.replace("&", "&amp;")}"' in html, anchor
        assert client.get(path).status_code == 200, path
    assert "token" not in html.lower()
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None  # no inline script (CSP)


@SQLITE_ONLY
def test_an_unknown_page_is_a_chinese_page_and_an_unknown_api_path_stays_json(app, seeded):
    client = app.test_client()
    for accept in (BROWSER_ACCEPT, None):  # a browser, or a client that does not say
        r = client.get("/no-such-page", headers={"Accept": accept} if accept else {})
        html = r.get_data(as_text=True)
        assert r.status_code == 404 and r.mimetype == "text/html"
        assert '<html lang="zh-CN">' in html and "页面不存在" in html
        assert "noto-sans-sc" in html  # the one page template every page extends
        assert 'href="/"' in html
    api = client.get("/api/v1/no-such-thing", headers={"Accept": BROWSER_ACCEPT})
    assert api.status_code == 404 and api.mimetype == "application/json"
    assert api.json["error"]["code"] == "not_found"
    script = client.get("/kiosk/1/no-such-thing", headers={"Accept": "application/json"})
    assert script.status_code == 404 and script.json["error"]["code"] == "not_found"
    english = client.get("/no-such-page?lang=en")
    assert english.status_code == 404 and "Page not found" in english.get_data(as_text=True)


@SQLITE_ONLY
@pytest.mark.slow
@pytest.mark.browser
def test_a_visitor_starts_at_the_start_page_and_an_unknown_address_leads_back(
        live_hall, browser, artifacts):
    from playwright.sync_api import expect

    server, _, _ = live_hall
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.url}/")
    for anchor, path in ROOMS.items():
        link = page.locator(f"#{anchor}")
        expect(link).to_be_visible()
        assert link.get_attribute("href") == path
    page.screenshot(path=artifacts / "start.png", full_page=True)
    page.locator("#start-book").click()
    expect(page).to_have_url(re.compile(r"/book$"), timeout=SEEN)

    answer = page.goto(f"{server.url}/no-such-page")
    assert answer.status == 404
    expect(page.locator("h1")).to_have_text("页面不存在")
    page.screenshot(path=artifacts / "not-found.png", full_page=True)
    page.locator("#to-start").click()
    expect(page.locator("#start-counter")).to_be_visible(timeout=SEEN)
    assert errors == []

