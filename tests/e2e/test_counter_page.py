"""The counter terminal in headless Chromium against a real server process (issue 6).

Staff sign in, choose a window, call, start and finish with 受理 and see the case number and
its due date; a second tab of the same window follows every step from live events; the
one-key shortcuts work; the visit's countdown turns yellow and red. Screenshots go to
tests/artifacts/<test name>/. Page checks that need no browser use Flask's test client.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import text

from hall.services.config import accounts
from hall.services.supervision import watch
from tests.e2e.conftest import (
    SEEN,
    SQLITE_ONLY,
    backdate_start,
    new_tab,
    sign_in_on_page,
    wait_live,
)


def hall_id(ctx) -> int:
    with ctx.engine.connect() as conn:
        return conn.execute(text("SELECT id FROM halls")).scalar_one()


@SQLITE_ONLY
@pytest.mark.slow
@pytest.mark.browser
def test_staff_call_start_and_accept_a_case_and_a_second_tab_follows(
        live_hall, browser, artifacts, ctx):
    from playwright.sync_api import expect

    server, _, post = live_hall
    password = accounts.add_user(ctx, login="li", name="李娜").value["password"]
    first = post("/api/v1/tickets", "kiosk", service="hj")
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page, errors = new_tab(context, f"{server.url}/counter")
    sign_in_on_page(page, "li", password)
    expect(page.locator("#choose")).to_be_visible(timeout=SEEN)
    expect(page.locator("#choose-1")).to_contain_text("一号窗口")
    page.screenshot(path=artifacts / "1-choose-counter.png")
    page.click("#choose-1")
    expect(page.locator("#terminal")).to_be_visible(timeout=SEEN)
    expect(page.locator("#t-counter")).to_contain_text("一号窗口")
    expect(page.locator("#t-staff")).to_have_text("李娜")
    wait_live(page)

    tab2, errors2 = new_tab(context, f"{server.url}/counter")  # same session, same window
    expect(tab2.locator("#terminal")).to_be_visible(timeout=SEEN)
    wait_live(tab2)
    expect(tab2.locator("#t-current")).to_have_attribute("data-state", "none")

    page.click("#btn-call-next")
    expect(page.locator("#t-number")).to_have_text(first["number"], timeout=SEEN)
    expect(tab2.locator("#t-number")).to_have_text(first["number"], timeout=SEEN)
    expect(page.locator("#t-reason")).to_have_text(re.compile(r"按顺序叫号|Next in line"))
    expect(page.locator("#t-waited")).not_to_have_text("—")
    expect(page.locator("#btn-finish")).to_be_disabled()

    page.locator("body").press("s")  # keyboard: S starts the visit
    expect(page.locator("#t-current")).to_have_attribute("data-state", "serving", timeout=SEEN)
    expect(tab2.locator("#t-current")).to_have_attribute("data-state", "serving", timeout=SEEN)
    expect(page.locator("#t-limit")).to_have_attribute("data-limit", "ok")
    expect(page.locator("#t-limit-left")).to_contain_text(re.compile(r"1[89]:\d\d|20:00"))
    page.screenshot(path=artifacts / "2-serving.png")

    page.locator("body").press("f")
    expect(page.locator("#dlg-finish")).to_be_visible()
    page.locator("#outcome-done").press("2")  # 2 = 受理
    expect(page.locator("#outcome-accepted")).to_be_checked()
    page.fill("#finish-applicant", "王五")
    page.screenshot(path=artifacts / "3-finish-accepted.png")
    page.click("#finish-submit")
    expect(page.locator("#dlg-finish")).to_be_hidden(timeout=SEEN)
    case_number = page.locator("#t-case-number")
    expect(case_number).to_have_text(re.compile(r"\S+"), timeout=SEEN)
    with ctx.engine.connect() as conn:
        code = conn.execute(text("SELECT lookup_code FROM cases WHERE number = :n"),
                            {"n": case_number.inner_text()}).scalar_one()
    case = requests.get(f"{server.url}/api/v1/cases/{case_number.inner_text()}",
                        params={"code": code}, timeout=5).json()
    expect(page.locator("#t-case-due")).to_have_text(case["due_date"])
    assert case["applicant"] == "王*" and case["state"] == "accepted"
    expect(tab2.locator("#t-case-number")).to_have_text(case["number"], timeout=SEEN)
    expect(tab2.locator("#t-case-due")).to_have_text(case["due_date"])
    expect(page.locator("#t-current")).to_have_attribute("data-state", "none")
    expect(page.locator("#today-served")).to_have_text("1", timeout=SEEN)
    expect(tab2.locator("#today-served")).to_have_text("1", timeout=SEEN)
    page.screenshot(path=artifacts / "4-case-accepted.png")
    tab2.screenshot(path=artifacts / "4-second-tab.png")

    # the other way round, by keyboard: the second tab calls, the first follows
    second = post("/api/v1/tickets", "kiosk", service="sfz")
    expect(tab2.locator("#t-queues")).to_contain_text("身份证办理", timeout=SEEN)
    tab2.locator("body").press("n")
    expect(tab2.locator("#t-number")).to_have_text(second["number"], timeout=SEEN)
    expect(page.locator("#t-number")).to_have_text(second["number"], timeout=SEEN)
    assert errors == [] and errors2 == []
    context.close()


@SQLITE_ONLY
@pytest.mark.slow
@pytest.mark.browser
def test_the_countdown_turns_yellow_then_red_and_correction_lists_the_missing_papers(
        live_hall, browser, artifacts, ctx, clock):
    from playwright.sync_api import expect

    server, _, post = live_hall
    password = accounts.add_user(ctx, login="li", name="李娜").value["password"]
    ticket = post("/api/v1/tickets", "kiosk", service="hj")  # warning 15 min, limit 20 min
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page, errors = new_tab(context, f"{server.url}/counter")
    sign_in_on_page(page, "li", password)
    page.click("#choose-1")
    wait_live(page)
    page.locator("body").press("n")
    expect(page.locator("#t-number")).to_have_text(ticket["number"], timeout=SEEN)
    page.click("#btn-start")
    expect(page.locator("#t-limit")).to_have_attribute("data-limit", "ok", timeout=SEEN)

    backdate_start(ctx, ticket["id"], 15.05)
    clock.current = datetime.now(UTC)  # this process's clock: the server's (the system's)
    watch.scan(ctx, hall_id(ctx))  # the server's own watch does this every few seconds
    page.reload()
    expect(page.locator("#t-limit")).to_have_attribute("data-limit", "warning", timeout=SEEN)
    alert = page.locator("#t-alerts li")
    expect(alert).to_have_class(re.compile(r"\bwarning\b"), timeout=SEEN)
    expect(alert).to_contain_text(ticket["number"])
    assert page.evaluate("getComputedStyle(document.getElementById('t-limit'))"
                         ".backgroundColor") == "rgb(242, 183, 5)"  # yellow
    page.screenshot(path=artifacts / "1-warning.png")
    backdate_start(ctx, ticket["id"], 20.2)
    clock.current = datetime.now(UTC)
    watch.scan(ctx, hall_id(ctx))
    page.reload()
    expect(page.locator("#t-limit")).to_have_attribute("data-limit", "over", timeout=SEEN)
    expect(alert).to_have_class(re.compile(r"\bcritical\b"), timeout=SEEN)
    expect(page.locator("#t-limit-left")).to_contain_text(re.compile(r"0:1\d"))
    assert page.evaluate("getComputedStyle(document.getElementById('t-limit'))"
                         ".backgroundColor") == "rgb(200, 22, 29)"  # red
    page.screenshot(path=artifacts / "2-over.png")
    alert.locator("input").fill("材料较多，已告知组长")
    alert.locator("button").click()
    expect(alert.locator("button")).to_have_count(0, timeout=SEEN)  # acknowledged

    page.locator("body").press("f")
    page.locator("#outcome-done").press("3")  # 3 = 补正
    expect(page.locator("#finish-materials label")).to_have_count(2)
    page.check("#material-0")
    page.fill("#finish-other", "结婚证复印件")
    page.click("#finish-submit")
    expect(page.locator("#t-correction")).to_be_visible(timeout=SEEN)
    expect(page.locator("#t-correction-list li")).to_have_text(["居民户口簿原件", "结婚证复印件"])
    expect(page.locator("#t-alerts-card")).to_be_hidden(timeout=SEEN)  # cleared by the finish
    expect(page.locator("#t-current")).to_have_attribute("data-state", "none", timeout=SEEN)
    expect(page.locator("#today-served")).to_have_text("1", timeout=SEEN)
    page.screenshot(path=artifacts / "3-correction-slip.png")

    # plain words from the API when a step is refused: nobody waits any more
    page.click("#btn-call-next")
    expect(page.locator("#t-message")).to_be_visible(timeout=SEEN)
    expect(page.locator("#t-message-text")).to_have_text("当前无人等候")
    page.goto(f"{server.url}/counter?lang=en")
    expect(page.locator("#btn-call-next")).to_contain_text("Call next", timeout=SEEN)
    expect(page.locator("#today-served")).to_have_text("1", timeout=SEEN)
    expect(page.locator("#t-result")).to_be_hidden()  # a new page starts with no last visit
    page.screenshot(path=artifacts / "4-english.png")
    assert errors == []
    context.close()


@SQLITE_ONLY
@pytest.mark.slow
@pytest.mark.browser
def test_call_by_number_transfer_hold_skip_pause_and_close_from_the_terminal(
        live_hall, browser, artifacts, ctx):
    from playwright.sync_api import expect

    server, _, post = live_hall
    password = accounts.add_user(ctx, login="li", name="李娜").value["password"]
    a1 = post("/api/v1/tickets", "kiosk", service="hj")
    a2 = post("/api/v1/tickets", "kiosk", service="hj")
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page, errors = new_tab(context, f"{server.url}/counter")
    page.on("dialog", lambda d: d.accept())  # "close this window for today?" → yes
    sign_in_on_page(page, "li", password)
    page.click("#choose-1")
    wait_live(page)
    body = page.locator("body")

    body.press("c")  # a visitor comes to the desk with a later number
    page.fill("#call-number", a2["number"].lower())
    page.locator("#call-number").press("Enter")
    expect(page.locator("#t-number")).to_have_text(a2["number"], timeout=SEEN)
    expect(page.locator("#t-reason")).to_have_text(re.compile("指定号码叫号|Called by number"))

    body.press("t")
    page.check("#transfer-to-counter")
    page.select_option("#transfer-counter", "2")
    page.fill("#transfer-note", "请复核材料")
    page.screenshot(path=artifacts / "1-transfer.png")
    page.click("#transfer-submit")
    expect(page.locator("#t-result-text")).to_contain_text(a2["number"], timeout=SEEN)
    moved = post("/api/v1/counters/2/call-next", "keypad2")["ticket"]
    assert moved["reason_code"] == "directed" and moved["number"] != a2["number"]
    expect(page.locator("#t-result-text")).to_contain_text(moved["number"])

    body.press("n")
    expect(page.locator("#t-number")).to_have_text(a1["number"], timeout=SEEN)
    body.press("h")
    page.fill("#hold-note", "去复印身份证")
    page.click("#hold-submit")
    held = page.locator("#t-held li")
    expect(held).to_have_count(1, timeout=SEEN)
    expect(held).to_contain_text(a1["number"])
    held.locator("button").click()  # back, ahead of the queue, to this window
    expect(held).to_have_count(0, timeout=SEEN)
    expect(page.locator("#t-queues [data-service-id=directed]")).to_contain_text("1")
    body.press("n")
    expect(page.locator("#t-number")).to_have_text(a1["number"], timeout=SEEN)
    body.press("k")  # no-show
    missed = page.locator("#t-no-shows li")
    expect(missed).to_contain_text(a1["number"], timeout=SEEN)
    missed.locator("button").click()  # turned up after all: back in the queue
    expect(missed).to_have_count(0, timeout=SEEN)

    body.press("p")
    page.select_option("#pause-reason", "午休")
    page.click("#pause-submit")
    expect(page.locator("#t-state")).to_have_attribute("data-state", "paused", timeout=SEEN)
    expect(page.locator("#t-state")).to_contain_text("午休")
    expect(page.locator("#btn-call-next")).to_be_disabled()
    page.screenshot(path=artifacts / "2-paused.png")
    body.press("p")  # the same key resumes
    expect(page.locator("#t-state")).to_have_attribute("data-state", "open", timeout=SEEN)

    page.click("#btn-close")
    expect(page.locator("#choose")).to_be_visible(timeout=SEEN)
    expect(page.locator("#choose-1")).to_have_attribute("data-state", "closed")
    assert errors == []
    context.close()


def _enabled(page) -> set[str]:
    return set(page.evaluate("""() => [...document.querySelectorAll('#terminal [data-action]')]
        .filter((b) => !b.disabled && !b.hidden).map((b) => b.dataset.action)"""))


def _row_actions(page, list_id: str) -> set[str]:
    return set(page.evaluate(f"""() => [...document.querySelectorAll('#{list_id} button')]
        .map((b) => b.dataset.ticketAction)"""))


@SQLITE_ONLY
@pytest.mark.slow
@pytest.mark.browser
def test_counter_actions_come_from_the_lifecycle(zoned_hall, browser, artifacts, ctx):
    """A ticket goes through every state a counter sees it in: at each step the buttons
    enabled on the page are the server's list, which is the life cycle's allowed_actions
    within the counter's state; keys of commands not on the list do nothing."""
    from playwright.sync_api import expect

    from hall.domain.lifecycle import allowed_actions

    server, tokens, post = zoned_hall
    keypad = {"Authorization": f"Bearer {tokens['keypad1']['token']}"}
    password = accounts.add_user(ctx, login="li", name="李娜").value["password"]
    ticket = post("/api/v1/tickets", "kiosk", service="hj")
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")  # the PC's zone, not the hall's
    page, errors = new_tab(context, f"{server.url}/counter")
    sign_in_on_page(page, "li", password)
    page.click("#choose-1")
    wait_live(page)
    buttons = set(page.evaluate(
        "() => [...document.querySelectorAll('#terminal [data-action]')]"
        ".map((b) => b.dataset.action)"))
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url.rsplit("/", 1)[1])
            if r.method == "POST" and "/api/v1/counters/" in r.url else None)
    body = page.locator("body")

    def agrees(counter_state: str, ticket_state: str | None) -> list[str]:
        """The page shows the server's list, and the server's list is the life cycle's."""
        expect(page.locator("#t-state")).to_have_attribute("data-state", counter_state,
                                                           timeout=SEEN)
        expect(page.locator("#t-current")).to_have_attribute("data-state",
                                                             ticket_state or "none")
        board = requests.get(f"{server.url}/api/v1/counters/1", headers=keypad,
                             timeout=5).json()
        said = board["actions"]
        expect(body).to_have_attribute("data-actions", " ".join(said), timeout=SEEN)
        assert _enabled(page) == set(said) & buttons, (counter_state, ticket_state)
        if ticket_state is not None:  # the ticket's steps are exactly the life cycle's
            steps = buttons - {"call-next", "call", "pause", "resume", "close"}
            assert set(said) & steps == {a.value for a in allowed_actions(ticket_state)} & steps
        for listed, state in (("held", "held"), ("no_shows", "no_show")):
            for t in board[listed]:
                assert set(t["actions"]) == {a.value for a in allowed_actions(state)} & {
                    "unhold", "reinstate"}
        return said

    def keys_do_nothing(*keys: str) -> None:
        before = len(posted)
        for key in keys:
            body.press(key)
        page.wait_for_timeout(300)
        assert posted[before:] == [] and not page.locator("dialog[open]").count()

    said = agrees("open", None)
    assert set(said) == {"call-next", "call", "pause", "close"}
    keys_do_nothing("r", "s", "k", "f", "t", "h")

    body.press("n")
    said = agrees("open", "called")
    assert "finish" not in said and "call-next" not in said
    keys_do_nothing("f", "n", "c", "p")
    page.screenshot(path=artifacts / "1-called.png")

    body.press("s")
    said = agrees("open", "serving")
    keys_do_nothing("r", "s", "k", "n")

    body.press("h")
    page.fill("#hold-note", "去复印身份证")
    page.click("#hold-submit")
    agrees("open", None)
    expect(page.locator("#t-held li")).to_have_count(1, timeout=SEEN)
    assert _row_actions(page, "t-held") == {"unhold"}
    page.click("#t-held button")
    expect(page.locator("#t-held li")).to_have_count(0, timeout=SEEN)

    body.press("n")  # back, ahead of the queue, to this window
    agrees("open", "called")
    body.press("k")
    agrees("open", None)
    expect(page.locator("#t-no-shows li")).to_have_count(1, timeout=SEEN)
    assert _row_actions(page, "t-no-shows") == {"reinstate"}
    page.click("#t-no-shows button")
    expect(page.locator("#t-no-shows li")).to_have_count(0, timeout=SEEN)

    body.press("n")
    agrees("open", "called")
    body.press("s")
    agrees("open", "serving")
    body.press("f")
    page.locator("#outcome-done").press("3")  # 补正: the slip is stamped in the hall's zone
    page.check("#material-0")
    page.click("#finish-submit")
    expect(page.locator("#t-correction")).to_be_visible(timeout=SEEN)
    foot = page.locator("#t-correction-foot").inner_text()
    hall_now = [datetime.now(ZoneInfo("Asia/Urumqi")) + timedelta(minutes=m) for m in (-1, 0)]
    assert any(f"{t:%H:%M}" in foot for t in hall_now), foot
    said = agrees("open", None)

    body.press("p")
    page.select_option("#pause-reason", "午休")
    page.click("#pause-submit")
    said = agrees("paused", None)
    assert set(said) == {"resume", "close"}
    expect(page.locator("#btn-resume")).to_be_visible()
    expect(page.locator("#btn-pause")).to_be_hidden()
    keys_do_nothing("n", "c", "r")
    page.screenshot(path=artifacts / "2-paused.png")
    body.press("p")
    agrees("open", None)
    assert ticket["number"] and errors == []
    context.close()


# --- without a browser -------------------------------------------------------------------

@SQLITE_ONLY
def test_the_terminal_page_has_no_inline_script_and_remembers_the_language(app):
    client = app.test_client()
    page = client.get("/counter")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None  # CSP: scripts are files
    assert "http://" not in html and "https://" not in html  # no CDN: all from this server
    for element in ("login-form", "counter-list", "btn-call-next", "btn-finish", "t-case-number",
                    "t-limit", "dlg-finish", "today-served"):
        assert f'id="{element}"' in html, element
    english = client.get("/counter?lang=en")
    assert "lang=en" in english.headers["Set-Cookie"]
    assert "Call next" in english.get_data(as_text=True)


@SQLITE_ONLY
@pytest.mark.slow
@pytest.mark.browser
def test_urging_admonition_and_case_alert_reach_the_terminal_and_stay_until_answered(
        live_hall, browser, artifacts, ctx):
    """催办 and 效能告诫 appear on the window's terminal at once (no reload), stay there
    across a reload until answered or acknowledged there; a case the window accepted is an
    amber alert on its terminal at its warning point."""
    from playwright.sync_api import expect

    from hall.services.context import run
    from hall.services.supervision import watch_rules
    from tests.conftest import add_case

    server, _, post = live_hall
    password = accounts.add_user(ctx, login="li", name="李娜").value
    boss_password = accounts.add_user(ctx, login="wang", name="王强",
                                      role="supervisor").value["password"]
    boss = requests.Session()
    signed = boss.post(f"{server.url}/api/v1/auth/login", timeout=5,
                       json={"login": "wang", "password": boss_password}).json()
    boss.headers["X-CSRFToken"] = signed["csrf_token"]
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page, errors = new_tab(context, f"{server.url}/counter")
    sign_in_on_page(page, "li", password["password"])
    page.click("#choose-1")
    expect(page.locator("#terminal")).to_be_visible(timeout=SEEN)
    wait_live(page)
    expect(page.locator("#t-supervised")).to_be_hidden()

    r = boss.post(f"{server.url}/api/v1/urgings", timeout=5,
                  json={"counter_id": 1, "note": "排队已超40分钟，请加快"})
    assert r.status_code == 200, r.text
    urging = page.locator("#t-supervised-list li.ct-urge")
    expect(urging).to_contain_text("排队已超40分钟，请加快", timeout=SEEN)
    r = boss.post(f"{server.url}/api/v1/admonitions", timeout=5, json={
        "level": "reminder", "staff_id": password["id"], "reason": "窗口台面杂乱"})
    assert r.status_code == 200, r.text
    warned = page.locator("#t-supervised-list li.ct-admonition")
    expect(warned).to_contain_text("窗口台面杂乱", timeout=SEEN)

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    with ctx.engine.connect() as conn:
        hall = {"id": hall_id(ctx),
                "services": dict(conn.execute(text("SELECT code, id FROM services")).all()),
                "counters": dict(conn.execute(text("SELECT number, id FROM counters")).all())}
    number = f"T-{today:%Y%m%d}-0001"
    add_case(ctx, hall, number, today - timedelta(days=3), today, today + timedelta(days=3))
    ctx.clock.current = datetime.now(UTC)  # the server's clock is the system's
    # the server's own watch runs this rule (every minute); run here, in this process, its
    # event does not reach the server's sockets: the page reads it again, as the countdown
    # test does (the server-side path to the window's room: test_warning_point_per_service)
    run(ctx, lambda uow: watch_rules.case_due(uow, hall["id"], {}))
    page.reload()
    amber = page.locator("#t-alerts li", has_text=number)
    expect(amber).to_have_class(re.compile(r"\bwarning\b"), timeout=SEEN)
    page.screenshot(path=artifacts / "terminal-urged-admonished.png", full_page=True)

    page.reload()  # still there: until answered
    expect(page.locator("#terminal")).to_be_visible(timeout=SEEN)
    expect(urging).to_contain_text("排队已超40分钟，请加快", timeout=SEEN)
    expect(warned).to_have_count(1)
    urging.locator("input").fill("已增开3号窗口分流")
    urging.locator("button").click()
    expect(urging).to_have_count(0, timeout=SEEN)
    warned.locator("button").click()
    expect(page.locator("#t-supervised")).to_be_hidden(timeout=SEEN)
    with ctx.engine.connect() as conn:
        assert conn.execute(text("SELECT answer FROM urgings")).scalar_one() == \
            "已增开3号窗口分流"
        assert conn.execute(text("SELECT acked_at IS NOT NULL FROM admonitions")).scalar_one()
    assert errors == []
