"""The booking page (/book) in headless Chromium against a real server process: a visitor
books a slot from a phone-sized screen, sees the code, finds the booking again and cancels
it. Screenshots go to tests/artifacts/<test name>/. The server runs on real time, so the
test takes the first day that still has a free slot."""
from __future__ import annotations

import re

import pytest
import requests

# the display pages' Chromium, artifacts folder and live server fixtures, shared
from tests.e2e.conftest import SEEN, SQLITE_ONLY

CODE = re.compile(r"[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}")
PHONE = "13812341234"


def open_booking(browser, url: str):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", has_touch=True, is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.wait_for_function("() => document.body.dataset.ready === '1'", timeout=15000)
    return page, errors


def first_free_slot(page) -> str:
    """Walk the working days until one offers a free slot; its label (HH:MM–HH:MM)."""
    days = page.locator("#days .b-choice")
    for i in range(days.count()):
        days.nth(i).click()
        page.locator("#step-slot").wait_for(state="visible", timeout=SEEN)
        free = page.locator("#slots .b-choice:not([disabled])")
        if free.count():
            label = free.first.inner_text().splitlines()[0]
            free.first.click()
            return label
        page.locator("#step-slot .b-back").click()
    raise AssertionError("no free slot on any bookable day")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.slow
@pytest.mark.browser
def test_a_visitor_books_a_slot_on_a_phone_and_sees_the_code(live_hall, browser,
                                                            artifacts):
    from playwright.sync_api import expect

    server, _, _ = live_hall
    page, errors = open_booking(browser, f"{server.url}/book")
    page.locator("[data-dept]").first.click()
    page.locator("[data-service=hj]").click()
    expect(page.locator("#step-day")).to_be_visible()
    assert page.locator("#days .b-choice").count() >= 5  # two weeks of working days
    page.screenshot(path=artifacts / "book-days-360.png", full_page=True)
    slot = first_free_slot(page)
    expect(page.locator("#step-form")).to_be_visible()
    expect(page.locator("#id-field")).to_be_hidden()  # hj has no per-person limit
    page.locator("#phone").fill("12345")
    page.locator("#book-submit").click()
    expect(page.locator("#b-error")).to_be_visible()
    page.locator("#phone").fill("138 1234 1234")
    page.locator("#name").fill("张丽华")  # for a hall that calls by name: kept masked
    page.locator("#title").select_option("女士")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=artifacts / "book-form-360.png", full_page=True)
    page.locator("#book-submit").click()

    code_el = page.locator("#done-code")
    expect(code_el).to_have_text(CODE, timeout=SEEN)
    code = code_el.inner_text()
    expect(page.locator("#done-when")).to_contain_text(slot)
    expect(page.locator("#done-window")).to_contain_text(":")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=artifacts / "book-done-360.png", full_page=True)

    stored = requests.get(f"{server.url}/api/v1/appointments/{code}", timeout=5).json()
    assert stored["state"] == "booked" and stored["phone"] == "138****1234"
    assert stored["holder"] == "张**女士"
    assert stored["start"][11:16] == slot[:5]

    page.locator("#tab-mine").click()
    page.locator("#mine-code").fill(code.lower())
    page.locator("#mine-phone").fill(PHONE)
    page.locator("#mine-form button[type=submit]").click()
    expect(page.locator("#mine-phone-shown")).to_have_text("138****1234", timeout=SEEN)
    page.locator("#mine-cancel").click()
    page.locator("#mine-cancel").click()  # the second tap confirms
    expect(page.locator("#mine-cancel")).to_be_hidden(timeout=SEEN)
    page.screenshot(path=artifacts / "book-cancelled-360.png", full_page=True)
    assert requests.get(f"{server.url}/api/v1/appointments/{code}",
                        timeout=5).json()["state"] == "cancelled"

    page.goto(f"{server.url}/book/test?lang=en")
    page.wait_for_function("() => document.body.dataset.ready === '1'", timeout=15000)
    expect(page.locator("#tab-mine")).to_have_text("My appointment")
    expect(page.locator("[data-service=hj]")).to_have_text(re.compile("Household registration"))
    page.screenshot(path=artifacts / "book-start-360-en.png", full_page=True)
    assert errors == []


# --- without a browser -------------------------------------------------------------------

@SQLITE_ONLY
def test_the_booking_page_has_no_inline_script_and_a_strict_policy(app, seeded):
    client = app.test_client()
    r = client.get("/book")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None
    assert " style=" not in html
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert 'data-service="hj"' in html and 'data-service="sfz"' not in html  # bookable only
    assert client.get("/book/test").status_code == 200
    missing = client.get("/book/no-such-hall")
    assert missing.status_code == 404 and "text/html" in missing.content_type
    with client.get("/book/static/booking/book.js") as js:
        assert js.status_code == 200 and "javascript" in js.mimetype


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_booking_page_names_the_kiosk_check_in_button_as_the_kiosk_does(
        live_hall, browser, lang):  # noqa: F811
    from playwright.sync_api import expect

    from tests.e2e.conftest import open_kiosk

    server, tokens, _ = live_hall
    kiosk, _ = open_kiosk(browser, server, tokens["kiosk"], f"lang={lang}")
    button = kiosk.locator("#k-appt").inner_text().strip()
    kiosk.locator("#k-appt").click()
    expect(kiosk.locator("#screen-appt")).to_be_visible()  # that button is the check-in
    page, errors = open_booking(browser, f"{server.url}/book?lang={lang}")
    told = page.locator("#done-kiosk").text_content()
    assert re.search(f"[“\"]{re.escape(button)}[”\"]", told), (button, told)
    assert errors == []
