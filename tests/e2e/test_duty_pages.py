"""The staff-on-duty pages (issue 20) in headless Chromium against a real server: 排班
/admin/rota, 请销假 /admin/leave and the terminal's "my week" and leave form, 考勤
/admin/attendance, and the 首问 desk /admin/desk with the first contact shown to the window
that serves the ticket. The server's clock is the real one: the weeks are this week.
Screenshots go to tests/artifacts/<test name>/."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import text

from hall.services.config import accounts
from tests.e2e.browsing import signed_in_page
from tests.e2e.conftest import SEEN, SQLITE_ONLY, admin_session, sign_in_on_page

ZONE = ZoneInfo("Asia/Shanghai")  # the small test hall's


def _today() -> date:
    return datetime.now(ZONE).date()


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _staff_session(ctx, url: str, login: str, name: str, role: str = "staff"):
    """A requests session signed in as a (new or reset) account; (session, its id)."""
    password = accounts.add_user(ctx, login=login, name=name, role=role).value["password"]
    http = requests.Session()
    r = http.post(url + "/api/v1/auth/login", json={"login": login, "password": password},
                  timeout=5)
    assert r.status_code == 200, r.text
    http.headers["X-CSRFToken"] = r.json()["csrf_token"]
    return http, r.json()["staff"]["id"]


@SQLITE_ONLY
@pytest.mark.browser
def test_rota_page_sets_copies_exports_and_imports_posts(live_hall, ctx, browser, artifacts):
    from playwright.sync_api import expect

    server, _tokens, _post = live_hall
    li, li_id = _staff_session(ctx, server.url, "li", "李娜")
    _zhou, zhou_id = _staff_session(ctx, server.url, "zhou", "周洁")
    page, errors = signed_in_page(browser, ctx, f"{server.url}/admin/rota")
    expect(page.locator("#nav-rota")).to_have_class("active")
    monday = _monday(_today())
    a_post = page.locator(f"#post-1-{monday}-am-A")
    expect(a_post).to_be_visible(timeout=SEEN)

    def saved(post: str, staff_id: int):
        # each choice is answered before the next (the message alone would already read
        # 已保存 from the one before, and a late answer would clear the next one's error)
        with page.expect_response(lambda r: "/api/v1/duty/rota" in r.url
                                  and r.request.method == "PUT", timeout=SEEN):
            page.locator(post).select_option(str(staff_id))

    # A: 李娜, B: 周洁 on window 1's morning; saved, and still there after a reload
    saved(f"#post-1-{monday}-am-A", li_id)
    expect(page.locator("#rota-message")).to_have_text("已保存", timeout=SEEN)
    saved(f"#post-1-{monday}-am-B", zhou_id)
    expect(page.locator("#rota-message")).to_have_text("已保存", timeout=SEEN)
    # the same person on an overlapping shift of another window: refused, naming why
    page.locator(f"#post-2-{monday}-am-A").select_option(str(li_id))
    expect(page.locator("#rota-error")).to_contain_text("重叠", timeout=SEEN)
    expect(page.locator(f"#post-2-{monday}-am-A")).to_have_value("")
    page.reload()
    expect(page.locator(f"#post-1-{monday}-am-A")).to_have_value(str(li_id), timeout=SEEN)
    expect(page.locator(f"#post-1-{monday}-am-B")).to_have_value(str(zhou_id))

    # copied forward two weeks: the next week's morning has the same A and B
    page.fill("#copy-weeks", "2")
    page.click("#copy-submit")
    expect(page.locator("#rota-message")).to_contain_text("2", timeout=SEEN)
    page.click("#week-next")
    nxt = monday + timedelta(days=7)
    expect(page.locator(f"#post-1-{nxt}-am-A")).to_have_value(str(li_id), timeout=SEEN)
    expect(page.locator(f"#post-1-{nxt}-am-B")).to_have_value(str(zhou_id))

    # the week as a rota file, and a file read back in (a B post for window 2's afternoon)
    href = page.locator("#export-csv").get_attribute("href", timeout=SEEN)
    csv = page.request.get(server.url + href)
    assert csv.ok and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text().lstrip("\ufeff").splitlines()
    assert lines[0] == "counter,day,shift,post,login,name"
    assert f"1,{nxt},am,A,li," in lines and f"1,{nxt},am,B,zhou," in lines
    upload = f"counter,day,shift,post,login\r\n2,{nxt},pm,B,li\r\n".encode()
    page.set_input_files("#import-file", files=[
        {"name": "rota.csv", "mimeType": "text/csv", "buffer": upload}])
    expect(page.locator("#rota-message")).to_contain_text("1", timeout=SEEN)
    expect(page.locator(f"#post-2-{nxt}-pm-B")).to_have_value(str(li_id), timeout=SEEN)
    bad = b"counter,day,shift,post,login\r\n2,not-a-day,pm,B,li\r\n"
    page.set_input_files("#import-file", files=[
        {"name": "bad.csv", "mimeType": "text/csv", "buffer": bad}])
    expect(page.locator("#rota-error")).to_contain_text("第 2 行", timeout=SEEN)

    # 李娜's leave approved for the whole next week: the page shows who covers, live
    start = datetime.combine(nxt, datetime.min.time(), ZONE)
    r = li.post(server.url + "/api/v1/duty/leave", timeout=5, json={
        "kind": "annual", "start": start.isoformat(),
        "end": (start + timedelta(days=5)).isoformat(), "reason": "年休"})
    assert r.status_code == 201, r.text
    boss = admin_session(ctx, server.url)
    assert boss.post(f"{server.url}/api/v1/duty/leave/{r.json()['id']}/approve", json={},
                     timeout=5).status_code == 200
    expect(page.locator(f"#cover-1-{nxt}-am-A")).to_contain_text("周洁", timeout=SEEN)
    expect(page.locator(f"#cover-2-{nxt}-pm-B")).to_contain_text("无人", timeout=SEEN)
    page.screenshot(path=artifacts / "rota-1600x1000.png", full_page=True)
    assert errors == []


def _terminal(browser, url: str, login: str, password: str, window: int):
    """The counter terminal signed in as ``login`` at window ``window``; (page, errors)."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{url}/counter")
    sign_in_on_page(page, login, password)
    page.click(f"#choose-{window}", timeout=SEEN)
    expect(page.locator("#terminal")).to_be_visible(timeout=SEEN)
    page.wait_for_function("() => document.body.dataset.live === 'live'", timeout=15000)
    return page, errors


def _shift_posts(http, url: str, day: date, counter: int, staff: dict[str, int]) -> None:
    for shift in ("am", "pm"):
        for post, who in staff.items():
            r = http.put(url + "/api/v1/duty/rota", timeout=5, json={
                "counter": counter, "day": day.isoformat(), "shift": shift, "post": post,
                "staff_id": who})
            assert r.status_code == 200, r.text


@SQLITE_ONLY
@pytest.mark.browser
def test_leave_asked_on_the_terminal_is_decided_on_the_leave_page_and_covered_by_b(
        live_hall, ctx, browser, artifacts):
    from playwright.sync_api import expect

    server, _tokens, _post = live_hall
    boss = admin_session(ctx, server.url)
    li_password = accounts.add_user(ctx, login="li", name="李娜").value["password"]
    zhou_password = accounts.add_user(ctx, login="zhou", name="周洁").value["password"]
    roster = {s["login"]: s["id"] for s in boss.get(server.url + "/api/v1/duty/roster",
                                                    timeout=5).json()["staff"]}
    today = _today()
    _shift_posts(boss, server.url, today, 1, {"A": roster["li"], "B": roster["zhou"]})

    # 周洁 (B post) works at window 2 today; 李娜 (A post) at window 1
    zhou, zhou_errors = _terminal(browser, server.url, "zhou", zhou_password, 2)
    expect(zhou.locator(f"#week-{today}-am-1-B")).to_contain_text("B", timeout=SEEN)
    expect(zhou.locator("#t-cover")).to_be_hidden()
    li, li_errors = _terminal(browser, server.url, "li", li_password, 1)
    expect(li.locator(f"#week-{today}-am-1-A")).to_be_visible(timeout=SEEN)

    # the leave form: a period that ends before it starts is refused, naming why
    li.click("#btn-leave")
    li.select_option("#leave-kind", "sick")
    li.fill("#leave-start", f"{today}T08:00")
    li.fill("#leave-end", f"{today}T07:00")
    li.fill("#leave-reason", "发烧就医")
    li.click("#leave-submit")
    expect(li.locator("#leave-error")).to_contain_text("晚于", timeout=SEEN)
    li.fill("#leave-end", f"{today}T18:00")
    li.click("#leave-submit")
    expect(li.locator("#dlg-leave")).to_be_hidden(timeout=SEEN)
    mine = li.locator("#t-leave li").first
    expect(mine).to_contain_text("病假", timeout=SEEN)
    expect(mine).to_contain_text("待审批")
    li.screenshot(path=artifacts / "terminal-leave-asked.png")

    # the supervisor's leave page: the request with its reason; their own cannot be decided
    page, errors = signed_in_page(browser, ctx, f"{server.url}/admin/leave")
    expect(page.locator("#nav-leave")).to_have_class("active")
    asked = page.locator("#leave-rows tr", has_text="李娜")
    expect(asked).to_contain_text("发烧就医", timeout=SEEN)
    expect(asked).to_contain_text("病假")
    page.evaluate("""async (day) => {
      const csrf = document.querySelector('meta[name="csrf-token"]').content;
      await fetch('/api/v1/duty/leave', {method: 'POST', headers: {
        'Content-Type': 'application/json', 'X-CSRFToken': csrf}, body: JSON.stringify({
        kind: 'personal', start: day + 'T09:00:00+08:00', end: day + 'T12:00:00+08:00',
        reason: '家中有事'})});
    }""", today.isoformat())
    own = page.locator("#leave-rows tr", has_text="家中有事")
    expect(own).to_contain_text("另一位督查人员", timeout=SEEN)
    expect(own.locator("button.approve")).to_have_count(0)
    asked.locator("input.leave-note").fill("同意，注意休息")
    asked.locator("button.approve").click()
    expect(page.locator("#leave-message")).to_have_text("已保存", timeout=SEEN)
    page.select_option("#leave-state", "approved")
    expect(page.locator("#leave-rows tr", has_text="李娜")).to_contain_text("已批准",
                                                                           timeout=SEEN)
    page.screenshot(path=artifacts / "leave-page.png", full_page=True)

    # at once: 李娜's terminal says approved; 周洁's says whose window they now cover
    expect(mine).to_contain_text("已批准", timeout=SEEN)
    expect(li.locator(f"#week-{today}-am-1-A")).to_have_class("away today", timeout=SEEN)
    expect(zhou.locator("#t-cover")).to_contain_text("李娜", timeout=SEEN)
    expect(zhou.locator("#t-cover")).to_contain_text("1", timeout=SEEN)
    expect(zhou.locator(f"#week-{today}-am-1-B")).to_contain_text("李娜")
    zhou.screenshot(path=artifacts / "terminal-b-covers.png")

    # 销假: 李娜 is back (from now on: the shifts already past stay excused)
    li.locator("#t-leave li button").first.click()
    expect(mine).to_contain_text("已销假", timeout=SEEN)
    assert errors == [] and li_errors == [] and zhou_errors == []


@SQLITE_ONLY
@pytest.mark.browser
def test_desk_logs_an_inquiry_takes_a_number_and_the_window_sees_the_first_contact(
        live_hall, ctx, browser, artifacts):
    from playwright.sync_api import expect

    server, _tokens, _post = live_hall
    page, errors = signed_in_page(browser, ctx, f"{server.url}/admin/desk", role="staff",
                                  login="li", name="李娜")
    expect(page.locator("#desk-service option[value=sfz]")).to_have_count(1, timeout=SEEN)

    # 代取号 without a service: refused, naming what is missing
    page.fill("#desk-question", "想办身份证")
    page.check("#desk-take")
    page.click("#desk-submit")
    expect(page.locator("#desk-error")).to_contain_text("事项", timeout=SEEN)

    page.select_option("#desk-service", "sfz")
    page.fill("#desk-answer", "带户口簿到1号窗口")
    page.select_option("#desk-counter", "1")
    page.click("#desk-submit")
    expect(page.locator("#desk-ticket")).to_contain_text("A", timeout=SEEN)
    number = page.locator("#desk-ticket").inner_text().split()[1]
    row = page.locator("#desk-rows tr").first
    expect(row).to_contain_text("李娜")
    expect(row).to_contain_text("想办身份证")
    expect(row).to_contain_text(number)
    # an inquiry answered on the spot: no ticket, no window
    page.fill("#desk-question", "公积金在哪里办")
    page.fill("#desk-answer", "二楼公积金中心")
    page.click("#desk-submit")
    expect(page.locator("#desk-rows tr")).to_have_count(2, timeout=SEEN)
    page.screenshot(path=artifacts / "desk.png", full_page=True)

    # the window that calls the number sees who the visitor asked first
    password = accounts.add_user(ctx, login="zhou", name="周洁").value["password"]
    terminal, terminal_errors = _terminal(browser, server.url, "zhou", password, 1)
    terminal.click("#btn-call-next")
    expect(terminal.locator("#t-number")).to_have_text(number, timeout=SEEN)
    expect(terminal.locator("#t-first")).to_have_text("首问：李娜", timeout=SEEN)
    terminal.screenshot(path=artifacts / "terminal-first-contact.png")
    assert errors == [] and terminal_errors == []


def _spell(ctx, counter: int, staff_id: int, start: datetime, end: datetime) -> None:
    """A spell a person was signed in at a window (as sign-in and sign-out write them)."""
    with ctx.engine.begin() as conn:
        counter_id = conn.execute(text("SELECT id FROM counters WHERE number = :n"),
                                  {"n": counter}).scalar_one()
        conn.execute(text("INSERT INTO counter_intervals (counter_id, staff_id, state, start, "
                          '"end") VALUES (:c, :s, \'open\', :a, :b)'),
                     {"c": counter_id, "s": staff_id, "a": start.astimezone(UTC),
                      "b": end.astimezone(UTC)})


@SQLITE_ONLY
@pytest.mark.browser
def test_attendance_page_shows_the_day_per_department_with_minutes(live_hall, ctx, browser,
                                                                   artifacts):
    from playwright.sync_api import expect

    server, _tokens, _post = live_hall
    boss = admin_session(ctx, server.url)
    for login, name in (("li", "李娜"), ("zhou", "周洁"), ("sun", "孙悦")):
        accounts.add_user(ctx, login=login, name=name)
    staff = {s["login"]: s["id"] for s in boss.get(server.url + "/api/v1/duty/roster",
                                                   timeout=5).json()["staff"]}
    for login, dept in (("li", "gaj"), ("zhou", "swj"), ("sun", "swj")):
        r = boss.put(f"{server.url}/api/v1/admin/staff/{staff[login]}",
                     json={"department": dept}, timeout=5)
        assert r.status_code == 200, r.text
    day = _today() - timedelta(days=1)  # a day whose shifts are over whenever this runs
    _shift_posts(boss, server.url, day, 1, {"A": staff["li"]})
    _shift_posts(boss, server.url, day, 2, {"A": staff["zhou"]})
    _shift_posts(boss, server.url, day, 3, {"A": staff["sun"]})
    at = lambda hm: datetime.combine(day, datetime.strptime(hm, "%H:%M").time(), ZONE)  # noqa: E731
    _spell(ctx, 1, staff["li"], at("09:20"), at("12:00"))  # 20 minutes late
    _spell(ctx, 1, staff["li"], at("13:30"), at("16:00"))  # left an hour early
    _spell(ctx, 3, staff["sun"], at("08:55"), at("12:05"))
    _spell(ctx, 3, staff["sun"], at("13:25"), at("17:10"))  # 周洁 never came: absent

    page, errors = signed_in_page(browser, ctx, f"{server.url}/admin/attendance")
    expect(page.locator("#nav-attendance")).to_have_class("active")
    page.fill("#attendance-day", day.isoformat())
    page.dispatch_event("#attendance-day", "change")
    li = page.locator(f"#attendance-{staff['li']}")
    expect(li.locator("td").nth(1)).to_have_text("迟到", timeout=SEEN)  # the day's worst
    expect(li.locator("td").nth(5)).to_contain_text("早退")  # its afternoon
    assert li.locator("td").nth(2).inner_text() == "20"
    assert li.locator("td").nth(3).inner_text() == "60"
    zhou = page.locator(f"#attendance-{staff['zhou']}")
    expect(zhou).to_contain_text("缺岗")
    assert zhou.locator("td").nth(4).inner_text() == str(180 + 210)
    expect(page.locator(f"#attendance-{staff['sun']}")).to_contain_text("正常")
    # one table per department: 公安局 holds 李娜; 税务局 holds 周洁 and 孙悦
    gaj = page.locator(".attendance-department", has_text="公安局")
    expect(gaj.locator("tbody tr")).to_have_count(1)
    swj = page.locator(".attendance-department", has_text="税务局")
    expect(swj.locator("tbody tr")).to_have_count(2)
    page.screenshot(path=artifacts / "attendance.png", full_page=True)
    options = page.locator("#attendance-department option", has_text="税务局")
    page.select_option("#attendance-department", options.get_attribute("value"))
    expect(page.locator("#attendance-tables tbody tr")).to_have_count(2, timeout=SEEN)
    expect(page.locator(f"#attendance-{staff['li']}")).to_have_count(0)
    assert errors == []
