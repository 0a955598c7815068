"""Issue 6's whole visit in headless Chromium against a real server process: a staff member
signs in on /counter, calls the next visitor, starts, finishes with 受理 and sees the case
number with its due date; the window's rating pad then takes one rating and refuses a
second. Screenshots go to tests/artifacts/<test name>/.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import text

from hall.domain import cases
from hall.domain.workdays import WorkCalendar
from hall.services.config import accounts
from tests.e2e.conftest import SEEN, open_pad


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.slow
@pytest.mark.browser
def test_staff_serves_a_visit_with_a_case_and_the_pad_takes_one_rating(
        ctx, live_hall, browser, artifacts):
    from playwright.sync_api import expect

    server, _, post = live_hall
    password = accounts.add_user(ctx, login="li", name="李娜").value["password"]
    pad = accounts.add_device(ctx, kind="pad", counter_number=1).value
    ticket = post("/api/v1/tickets", "kiosk", service="hj")  # 户籍办理: promised in 5 days

    staff = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN",
                                timezone_id="Asia/Shanghai").new_page()
    staff_errors: list[str] = []
    staff.on("pageerror", lambda exc: staff_errors.append(str(exc)))
    staff.goto(f"{server.url}/counter")
    staff.locator("#login-name").fill("li")
    staff.locator("#login-password").fill(password)
    staff.locator("#login-submit").click()
    staff.locator("#choose-1").click()
    expect(staff.locator("#terminal")).to_be_visible(timeout=SEEN)

    tablet, problems = open_pad(browser, f"{server.url}/pad/{pad['id']}?token={pad['token']}")
    expect(tablet.locator("#pad-staff-name")).to_have_text("李娜", timeout=SEEN)

    staff.locator("#btn-call-next").click()
    expect(staff.locator("#t-number")).to_have_text(ticket["number"], timeout=SEEN)
    expect(staff.locator("#btn-start")).to_be_enabled(timeout=SEEN)
    staff.locator("#btn-start").click()
    expect(staff.locator("#t-current")).to_have_attribute("data-state", "serving", timeout=SEEN)
    staff.locator("#btn-finish").click()
    expect(staff.locator("#dlg-finish")).to_be_visible()
    staff.locator("#outcome-accepted").check()
    staff.locator("#finish-applicant").fill("张三丰")
    staff.locator("#finish-submit").click()

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    due = cases.due_date(today, 5, WorkCalendar())
    expect(staff.locator("#t-case")).to_be_visible(timeout=SEEN)
    expect(staff.locator("#t-case-due")).to_contain_text(due.isoformat())
    with ctx.engine.connect() as conn:
        number = conn.execute(text("SELECT number FROM cases WHERE ticket_id=:i"),
                              {"i": ticket["id"]}).scalar_one()
    expect(staff.locator("#t-case-number")).to_have_text(number)
    staff.screenshot(path=artifacts / "counter-case.png", full_page=True)

    expect(tablet.locator("#pad-rate")).to_be_visible(timeout=SEEN)
    expect(tablet.locator("#pad-ticket")).to_contain_text(ticket["number"])
    tablet.screenshot(path=artifacts / "pad-levels.png")
    tablet.locator("#level-4").click()
    expect(tablet.locator("#pad-thanks")).to_be_visible(timeout=SEEN)
    tablet.screenshot(path=artifacts / "pad-thanks.png")

    tablet.evaluate("([id, n]) => window.hallPad.offer(id, n, 60)",
                    [ticket["id"], ticket["number"]])
    tablet.locator("#level-1").click()  # 1 asks for a reason first
    tablet.locator('#reasons .reason[data-reason="等候时间长"]').click()
    tablet.locator("#reason-submit").click()
    expect(tablet.locator("#pad-notice")).to_be_visible(timeout=SEEN)
    assert tablet.evaluate("document.body.dataset.refused") == "already_rated"
    tablet.screenshot(path=artifacts / "pad-refused-second.png")
    again = requests.post(f"{server.url}/api/v1/tickets/{ticket['id']}/rating",
                          json={"level": 5}, timeout=5,
                          headers={"Authorization": f"Bearer {pad['token']}"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_rated"
    with ctx.engine.connect() as conn:
        assert conn.execute(text("SELECT level FROM ratings")).scalars().all() == [4]
        assert conn.execute(text("SELECT count(*) FROM follow_ups")).scalar_one() == 0
    assert problems == [] and staff_errors == []
