"""The rating pad page and the supervisors' follow-up page in headless Chromium against a
real server process (issue 6), plus a few checks with Flask's test client.

A ticket is finished through the API by a signed-in staff member; the pad shows the five
levels, takes one rating (2, with a reason) and refuses a second; the follow-up that rating
opened then appears on /admin/followups, where a supervisor records an action and closes it.
Screenshots go to tests/artifacts/<test name>/.
"""
from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import text

from hall.services.config import accounts
from tests.e2e.conftest import SEEN, SQLITE_ONLY, change_settings, open_pad


class Staff:
    """A staff member's browser-like session against the real server."""

    def __init__(self, server, login: str, password: str):
        self.url = server.url
        self.http = requests.Session()
        r = self.http.post(self.url + "/api/v1/auth/login",
                           json={"login": login, "password": password}, timeout=5)
        assert r.status_code == 200, r.text
        self.headers = {"X-CSRFToken": r.json()["csrf_token"]}

    def post(self, path: str, **json):
        r = self.http.post(self.url + path, json=json or None, headers=self.headers, timeout=5)
        assert r.status_code < 300, r.text
        return r.json()


def serve_one(post, li: Staff, outcome: str = "done") -> dict:
    ticket = post("/api/v1/tickets", "kiosk", service="hj")
    assert li.post("/api/v1/counters/1/call-next")["ticket"]["number"] == ticket["number"]
    li.post("/api/v1/counters/1/start")
    li.post("/api/v1/counters/1/finish", outcome=outcome)
    return ticket


@SQLITE_ONLY  # a browser against a server on PostgreSQL: tests/e2e/test_pages.py
@pytest.mark.slow
@pytest.mark.browser
def test_the_pad_takes_one_rating_and_the_follow_up_reaches_the_supervisor(
        ctx, live_hall, browser, artifacts):
    from playwright.sync_api import expect

    server, _, post = live_hall
    li_password = accounts.add_user(ctx, login="li", name="李娜").value["password"]
    boss_password = accounts.add_user(ctx, login="wang", name="王强",
                                      role="supervisor").value["password"]
    with ctx.engine.begin() as conn:
        conn.execute(text("UPDATE staff SET number='GA-0123' WHERE login='li'"))
    pad = accounts.add_device(ctx, kind="pad", counter_number=1).value
    li = Staff(server, "li", li_password)
    li.post("/api/v1/counters/1/sign-in")

    page, problems = open_pad(browser, f"{server.url}/pad/{pad['id']}?token={pad['token']}")
    assert "token=" not in page.url  # kept in localStorage, gone from the address bar
    expect(page.locator("#pad-window")).to_have_text("1 号窗口")
    expect(page.locator("#pad-staff-name")).to_have_text("李娜")
    expect(page.locator("#pad-staff-number")).to_contain_text("GA-0123")
    expect(page.locator("#pad-avatar")).to_have_text("李")
    assert page.evaluate("document.body.dataset.screen") == "idle"
    page.screenshot(path=artifacts / "pad-idle.png")

    ticket = serve_one(post, li)
    expect(page.locator("#pad-rate")).to_be_visible(timeout=SEEN)
    expect(page.locator("#pad-ticket")).to_contain_text(ticket["number"])
    levels = page.locator("#levels .level")
    expect(levels).to_have_count(5)
    assert [levels.nth(i).get_attribute("data-level") for i in range(5)] == list("54321")
    expect(page.locator("#level-5")).to_contain_text("非常满意")
    expect(page.locator("#level-1")).to_contain_text("非常不满意")
    box = page.locator("#level-3 .face").bounding_box()
    assert box["height"] >= 150  # large faces, easy to hit
    page.screenshot(path=artifacts / "pad-levels.png")

    page.locator("#level-2").click()
    expect(page.locator("#pad-reason")).to_be_visible()
    expect(page.locator("#reasons .reason")).to_have_count(6)
    page.locator("#reason-submit").click()  # no reason chosen: the pad asks for one
    expect(page.locator("#reason-error")).not_to_be_empty()
    assert page.evaluate("document.body.dataset.screen") == "reason"
    page.locator('#reasons .reason[data-reason="服务态度差"]').click()
    page.locator("#reason-comment").fill("办理时不耐烦")
    page.screenshot(path=artifacts / "pad-reason.png")
    page.locator("#reason-submit").click()
    expect(page.locator("#pad-thanks")).to_be_visible(timeout=SEEN)
    page.screenshot(path=artifacts / "pad-thanks.png")
    with ctx.engine.connect() as conn:
        stored = conn.execute(text("SELECT level, reason, comment FROM ratings "
                                   "WHERE ticket_id=:i"), {"i": ticket["id"]}).one()
    assert tuple(stored) == (2, "服务态度差", "办理时不耐烦")

    # a second rating of the same visit is refused, by the server and on the pad
    again = requests.post(f"{server.url}/api/v1/tickets/{ticket['id']}/rating",
                          json={"level": 5}, timeout=5,
                          headers={"Authorization": f"Bearer {pad['token']}"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_rated"
    page.evaluate("([id, n]) => window.hallPad.offer(id, n, 60)",
                  [ticket["id"], ticket["number"]])
    expect(page.locator("#pad-rate")).to_be_visible()
    page.locator("#level-5").click()
    expect(page.locator("#pad-notice")).to_be_visible(timeout=SEEN)
    assert page.evaluate("document.body.dataset.refused") == "already_rated"
    expect(page.locator("#notice-text")).not_to_be_empty()
    page.screenshot(path=artifacts / "pad-refused-second.png")
    page.clock.fast_forward(6000)  # the notice's 6 s
    expect(page.locator("#pad-idle")).to_be_visible(timeout=SEEN)  # back to idle by itself
    with ctx.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ratings")).scalar_one() == 1

    # the next visit is offered; calling the visitor after it takes the pad back to idle
    second = serve_one(post, li)
    expect(page.locator("#pad-ticket")).to_contain_text(second["number"], timeout=SEEN)
    post("/api/v1/tickets", "kiosk", service="hj")
    li.post("/api/v1/counters/1/call-next")
    expect(page.locator("#pad-idle")).to_be_visible(timeout=SEEN)
    assert problems == []

    # English on the same pad
    page.locator("#lang-switch").click()
    page.wait_for_load_state()  # a new page: its body exists before its live state is read
    page.wait_for_function("() => document.body && document.body.dataset.live === 'live'",
                           timeout=15000)
    expect(page.locator("#pad-window")).to_have_text("Window 1")
    expect(page.locator("#level-5")).to_contain_text("Very satisfied")
    page.screenshot(path=artifacts / "pad-idle-en.png")

    # the supervisor's page: sign in, see the follow-up, record an action, close it
    admin = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN",
                                timezone_id="Asia/Shanghai").new_page()
    admin_errors: list[str] = []
    admin.on("pageerror", lambda exc: admin_errors.append(str(exc)))
    admin.goto(f"{server.url}/admin/followups")
    admin.locator("#login-user").fill("wang")
    admin.locator("#login-password").fill(boss_password)
    admin.locator("#login-submit").click()
    row = admin.locator("#followups tr.followup")
    expect(row).to_have_count(1, timeout=SEEN)
    expect(row).to_contain_text(ticket["number"])
    expect(row).to_contain_text("服务态度差")
    expect(row).to_contain_text("李娜")
    expect(row).to_contain_text("王强")  # the hall's first supervisor owns it
    expect(row).not_to_have_class(re.compile(r"\boverdue\b"))
    admin.wait_for_function("() => document.body.dataset.live === 'live'", timeout=15000)

    with ctx.engine.begin() as conn:  # days pass: the deadline is behind us
        conn.execute(text("UPDATE follow_ups SET due_date='2020-01-02'"))
    admin.locator("#filter-overdue").check()
    expect(row).to_have_class(re.compile(r"\boverdue\b"), timeout=SEEN)
    expect(row.locator(".tag-overdue")).to_be_visible()
    admin.screenshot(path=artifacts / "followups-overdue.png", full_page=True)

    row.click()
    expect(admin.locator("#followup-detail")).to_be_visible()
    expect(admin.locator("#detail-comment")).to_have_text("办理时不耐烦")
    admin.locator("#assign-owner").select_option(label="李娜 (GA-0123)")
    admin.locator("#assign-submit").click()
    expect(admin.locator("#detail-owner")).to_have_text("李娜", timeout=SEEN)
    admin.locator("#action-text").fill("已约谈窗口人员")
    admin.locator("#action-submit").click()
    expect(admin.locator("#followup-actions li")).to_have_count(2, timeout=SEEN)
    admin.screenshot(path=artifacts / "followups-detail.png", full_page=True)
    admin.locator("#close-revisit").select_option("satisfied")
    admin.locator("#close-result").fill("已整改并电话回访，群众满意")
    admin.locator("#close-submit").click()
    expect(admin.locator("#detail-forms")).to_be_hidden(timeout=SEEN)
    expect(row).to_have_count(0, timeout=SEEN)  # not in the overdue list any more
    admin.locator("#filter-overdue").uncheck()
    admin.locator("#filter-state").select_option("closed")
    expect(row).to_have_count(1, timeout=SEEN)
    expect(row).to_have_class(re.compile(r"\bstate-closed\b"))
    admin.screenshot(path=artifacts / "followups-closed.png", full_page=True)
    with ctx.engine.connect() as conn:
        assert conn.execute(text("SELECT state, result FROM follow_ups")).one() == (
            "closed", "已整改并电话回访，群众满意")
    assert admin_errors == []


# --- without a browser -------------------------------------------------------------------

@SQLITE_ONLY
def test_a_pad_page_with_a_wrong_token_is_refused_readably(app, seeded):
    client = app.test_client()
    pad = accounts.add_device(seeded, kind="pad", counter_number=1).value
    screen = accounts.add_device(seeded, kind="screen").value
    r = client.get(f"/pad/{pad['id']}?token=nonsense")
    assert r.status_code == 403 and "hall device add --kind pad" in r.get_data(as_text=True)
    assert client.get(f"/pad/{screen['id']}?token={screen['token']}").status_code == 403
    state = client.get(f"/pad/{pad['id']}/state",
                       headers={"Authorization": f"Bearer {screen['token']}"})
    assert state.status_code == 403 and state.json["error"]["field"] == "authorization"


@SQLITE_ONLY
def test_the_pad_page_has_no_inline_script_and_a_strict_policy(app, seeded):
    client = app.test_client()
    pad = accounts.add_device(seeded, kind="pad", counter_number=2).value
    r = client.get(f"/pad/{pad['id']}?token={pad['token']}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in r.headers["Content-Security-Policy"]
    # the faces are drawn inline; the one image is the 值班牌 photo (from this origin)
    assert html.count('class="face"') == 5
    assert re.findall(r"<img[^>]*>", html) == [
        '<img class="pad-photo" id="pad-photo" alt="" hidden>']
    state = client.get(f"/pad/{pad['id']}/state?lang=en",
                       headers={"Authorization": f"Bearer {pad['token']}"}).json
    assert state["counter"]["number"] == 2 and state["pending"] is None
    assert state["reasons"][0] == {"value": "等候时间长", "label": "Long wait",
                                   "needs_comment": False}
    assert state["reasons"][-1]["needs_comment"] is True


@SQLITE_ONLY
def test_the_follow_up_page_asks_for_a_supervisor(app, seeded, staff_client):
    anonymous = app.test_client().get("/admin/followups")
    assert anonymous.status_code == 200 and 'id="login-form"' in anonymous.get_data(as_text=True)
    refused = staff_client.get("/admin/followups")
    assert refused.status_code == 403
    password = accounts.add_user(seeded, login="wang", name="王强",
                                 role="supervisor").value["password"]
    boss = app.test_client()
    boss.post("/api/v1/auth/login", json={"login": "wang", "password": password})
    page = boss.get("/admin/followups")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="followups-table"' in html
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"]


@SQLITE_ONLY
@pytest.mark.slow
@pytest.mark.browser
def test_a_pad_scores_the_halls_rating_dimensions_with_the_level(ctx, live_hall, browser,
                                                                 artifacts):
    """Issue 19 item 4: the hall's optional rating dimensions (礼仪, 效率 …) are on the pad,
    five scores each, before the face that sends the rating; one left alone is not scored."""
    import json

    from playwright.sync_api import expect

    server, _, post = live_hall
    change_settings(ctx, server.url, rating_dimensions=["礼仪", "效率", "环境"])
    li = Staff(server, "li", accounts.add_user(ctx, login="li", name="李娜").value["password"])
    li.post("/api/v1/counters/1/sign-in")
    pad = accounts.add_device(ctx, kind="pad", counter_number=1).value
    page, problems = open_pad(browser, f"{server.url}/pad/{pad['id']}?token={pad['token']}")
    ticket = serve_one(post, li)
    expect(page.locator("#pad-rate")).to_be_visible(timeout=SEEN)
    expect(page.locator("#pad-dims .pad-dim")).to_have_count(3)
    expect(page.locator("#pad-dims")).to_contain_text("礼仪")
    page.locator("#dim-0-5").click()  # 礼仪 5
    page.locator("#dim-1-2").click()
    page.locator("#dim-1-3").click()  # 效率: changed to 3
    page.locator("#dim-2-4").click()
    page.locator("#dim-2-4").click()  # 环境: touched twice, not scored
    expect(page.locator("#dim-1-3")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#dim-1-2")).to_have_attribute("aria-pressed", "false")
    page.screenshot(path=artifacts / "pad-dimensions.png")
    page.locator("#level-4").click()
    expect(page.locator("#pad-thanks")).to_be_visible(timeout=SEEN)
    with ctx.engine.connect() as conn:
        level, dims = conn.execute(text("SELECT level, dimensions FROM ratings WHERE "
                                        "ticket_id = :i"), {"i": ticket["id"]}).one()
    assert level == 4
    assert (json.loads(dims) if isinstance(dims, str) else dims) == {"礼仪": 5, "效率": 3}
    # the next visit starts with nothing scored
    serve_one(post, li)
    expect(page.locator("#pad-rate")).to_be_visible(timeout=SEEN)
    expect(page.locator("#pad-dims [aria-pressed=true]")).to_have_count(0)
    assert problems == []
