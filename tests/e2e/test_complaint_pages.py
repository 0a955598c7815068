"""投诉建议 in the browser (headless Chromium against a real server): a visitor files from
the kiosk's 我要投诉建议 and from a case's page; a supervisor takes it on, replies and closes it
on /admin/complaints, and the complaint's own phone page shows the reply and takes the
visitor's answer; staff enter a 12345 work order."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import text

from tests.conftest import LOOKUP_CODE, add_case
from tests.e2e.browsing import signed_in_page
from tests.e2e.conftest import SEEN, SQLITE_ONLY, open_kiosk

pytestmark = [pytest.mark.slow, pytest.mark.browser, SQLITE_ONLY]
REPLY = "经核实，2号窗口工作人员服务用语不规范，已批评教育并纳入当月考核。感谢您的监督。"


def phone_page(browser, url: str):
    """A phone's page at ``url``; its uncaught script errors and failed resources."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", has_touch=True, is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and "/api/v1/" not in r.url else None)
    page.goto(url)
    return page, errors


def test_a_visitor_files_at_the_kiosk_and_reads_the_reply_on_the_phone(
        browser, live_hall, ctx, artifacts):
    from playwright.sync_api import expect

    server, tokens, _ = live_hall
    kiosk, errors = open_kiosk(browser, server, tokens["kiosk"])
    kiosk.click("#k-complaint")
    expect(kiosk.locator("#screen-complaint")).to_be_visible()
    expect(kiosk.locator("#complaint-kinds [data-category]")).to_have_count(6)
    expect(kiosk.locator("#complaint-kinds")).to_contain_text("服务态度")
    kiosk.click("#complaint-kinds [data-category=attitude]")
    expect(kiosk.locator("[data-category=attitude]")).to_have_attribute("aria-checked", "true")
    expect(kiosk.locator("#complaint-counter option")).to_have_count(5, timeout=SEEN)
    kiosk.select_option("#complaint-counter", label="2 号窗口")
    # nothing written yet: said on the spot, nothing filed
    kiosk.click("#complaint-send")
    expect(kiosk.locator("#k-error-text")).to_have_text("请写明投诉建议的内容")
    kiosk.click("#k-error-ok")
    kiosk.fill("#complaint-text", "2号窗口工作人员说话很不耐烦")
    for key in "1381234567":  # one digit short
        kiosk.click(f"#complaint-pad [data-key='{key}']")
    kiosk.click("#complaint-send")
    expect(kiosk.locator("#k-error-text")).to_contain_text("11位")
    kiosk.click("#k-error-ok")
    kiosk.click("#complaint-pad [data-key='8']")
    expect(kiosk.locator("#complaint-phone")).to_have_text("13812345678")
    kiosk.screenshot(path=artifacts / "1-kiosk-form.png")
    kiosk.click("#complaint-send")
    done = kiosk.locator("#screen-complaint-done")
    expect(done).to_be_visible(timeout=SEEN)
    number = kiosk.locator("#cd-number").inner_text()
    assert number.startswith("TS-")
    expect(kiosk.locator("#cd-due")).to_contain_text("前答复")
    token = done.get_attribute("data-token")
    kiosk.wait_for_function("() => document.getElementById('cd-qr').naturalWidth > 0")
    kiosk.screenshot(path=artifacts / "2-kiosk-filed.png")
    qr = requests.get(f"{server.url}/kiosk/complaint-qr/{token}.svg", timeout=5)
    assert qr.status_code == 200 and qr.headers["Content-Type"].startswith("image/svg")
    with ctx.engine.connect() as conn:
        kept = conn.execute(text(
            "SELECT c.source, c.category, c.phone_masked, k.number AS window FROM complaints c "
            "JOIN counters k ON k.id = c.counter_id")).one()
    assert tuple(kept) == ("kiosk", "attitude", "138****5678", 2)
    kiosk.click("#screen-complaint-done [data-go=home]")
    expect(kiosk.locator("#screen-home")).to_be_visible()

    # the supervisor takes it on and replies on /admin/complaints
    admin, admin_errors = signed_in_page(browser, ctx, f"{server.url}/admin/complaints")
    row = admin.locator(f"#complaints tr[data-number='{number}']")
    expect(row).to_contain_text("取号机", timeout=SEEN)
    expect(row).to_contain_text("服务态度")
    expect(row).to_contain_text("2 号窗口")
    row.click()
    expect(admin.locator("#detail-title")).to_have_text(number)
    expect(admin.locator("#detail-contact")).to_have_text("138****5678")
    expect(admin.locator("#reply-form")).to_be_visible()
    admin.click("#take-submit")
    expect(admin.locator("#detail-state")).to_have_text("办理中", timeout=SEEN)
    expect(admin.locator("#take-form")).to_be_hidden()
    admin.fill("#reply-text", REPLY)
    admin.select_option("#reply-upheld", "yes")
    admin.click("#reply-submit")
    expect(admin.locator("#detail-state")).to_have_text("已答复", timeout=SEEN)
    expect(admin.locator("#detail-upheld")).to_have_text("属实")
    expect(admin.locator("#close-form")).to_be_visible()
    admin.screenshot(path=artifacts / "3-admin-replied.png", full_page=True)

    # the complaint's own phone page (the kiosk's QR) shows the reply and takes the answer
    phone, phone_errors = phone_page(browser, f"{server.url}/complaint/{token}")
    expect(phone.locator("#complaint-number")).to_have_text(number)
    expect(phone.locator("#complaint-reply")).to_contain_text(REPLY)
    expect(phone.locator("#complaint-state")).to_contain_text("已答复")
    phone.screenshot(path=artifacts / "4-phone-reply.png", full_page=True)
    phone.click("[data-satisfied='1']")
    expect(phone.locator("#complaint-answer")).to_contain_text("满意", timeout=SEEN)
    expect(phone.locator("[data-satisfied]")).to_have_count(0)

    # the answer reaches the supervisor's page live; then it is closed
    expect(admin.locator("#detail-satisfied")).to_have_text("满意", timeout=SEEN)
    admin.click("#close-submit")
    expect(admin.locator("#detail-state")).to_have_text("已办结", timeout=SEEN)
    expect(admin.locator("#detail-forms")).to_be_hidden()
    expect(admin.locator(f"#complaints tr[data-number='{number}']")).to_have_count(0)
    admin.select_option("#filter-state", "closed")
    expect(admin.locator(f"#complaints tr[data-number='{number}']")).to_be_visible()
    phone.reload()
    expect(phone.locator("#complaint-state")).to_contain_text("已办结")
    assert errors == [] and admin_errors == [] and phone_errors == []


def test_a_visitor_files_from_the_case_page_and_follows_it_there(
        browser, live_hall, hall, ctx, artifacts):
    from playwright.sync_api import expect

    server, _, _ = live_hall
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    number = f"TEST-{today:%Y%m%d}-0001"
    add_case(ctx, hall, number, today, today + timedelta(days=5),
             today + timedelta(days=7))
    page, errors = phone_page(browser, f"{server.url}/case/{number}?code={LOOKUP_CODE}")
    form = page.locator("#t-complaint-form")
    expect(form).to_be_visible()
    form.locator("select[name=category]").select_option("efficiency")
    form.locator("textarea[name=text]").fill("材料交齐一周了，还没有人联系我")
    form.locator("input[name=anonymous]").check()
    page.screenshot(path=artifacts / "1-case-form.png", full_page=True)
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{server.url}/complaint/*", timeout=SEEN)
    expect(page.locator("#complaint-state")).to_contain_text("办事效率")
    expect(page.locator("#complaint-text")).to_have_text("材料交齐一周了，还没有人联系我")
    page.screenshot(path=artifacts / "2-complaint-page.png", full_page=True)
    with ctx.engine.connect() as conn:
        kept = conn.execute(text("SELECT source, category, anonymous, phone_masked, case_id "
                                 "FROM complaints")).one()
    assert kept.source == "case_page" and kept.category == "efficiency"
    assert kept.anonymous and kept.phone_masked == "" and kept.case_id is not None
    # the number alone files nothing: the look-up code is asked as for the look-up
    wrong = requests.post(f"{server.url}/api/v1/complaints/by-case/{number}?code=000000",
                          json={"text": "猜一个办件编号"}, timeout=5)
    assert wrong.status_code == 404 and wrong.json()["error"]["field"] == "number"
    page.goto(f"{server.url}/complaint/not-a-complaint-token")
    expect(page.locator("body")).to_contain_text("未找到该投诉")
    assert [e for e in errors if "not-a-complaint-token" not in e] == []


def test_staff_enter_a_12345_work_order_on_the_complaints_page(browser, live_hall, ctx):
    from playwright.sync_api import expect

    server, _, _ = live_hall
    page, errors = signed_in_page(browser, ctx, f"{server.url}/admin/complaints")
    expect(page.locator("#nav-complaints")).to_have_attribute("aria-current", "page")
    expect(page.locator("#complaints-empty")).to_be_visible(timeout=SEEN)
    page.click("#entry summary")
    page.select_option("#entry-source", "hotline_12345")
    page.select_option("#entry-category", "fees")
    expect(page.locator("#entry-counter option")).to_have_count(5, timeout=SEEN)
    page.select_option("#entry-counter", label="1 号窗口")
    page.fill("#entry-text", "市民来电反映办理营业执照被要求额外缴费")
    page.click("#entry-submit")  # a 12345 work order needs its number
    expect(page.locator("#entry-error")).to_contain_text("12345", timeout=SEEN)
    page.fill("#entry-work-order", "GD12345-20261123-0088")
    page.fill("#entry-phone", "139 1234 5678")
    page.click("#entry-submit")
    row = page.locator("#complaints tr.complaint")
    expect(row).to_have_count(1, timeout=SEEN)
    expect(row).to_contain_text("12345工单 GD12345-20261123-0088")
    expect(row).to_contain_text("收费")
    expect(page.locator("#detail-source")).to_contain_text("GD12345-20261123-0088")
    expect(page.locator("#detail-contact")).to_have_text("139****5678")
    expect(page.locator("#detail-target")).to_contain_text("1 号窗口")
    assert errors == []


def test_an_upheld_complaint_grounds_an_admonition_on_the_complaints_page(
        browser, live_hall, ctx, artifacts):
    """Issue 19 item 2: on /admin/complaints an upheld complaint naming a staff member offers
    a 效能告诫 against them, with the complaint as its evidence; once issued, it says so."""
    from playwright.sync_api import expect

    from hall.domain.access import Actor
    from hall.services.complaints import handling, intake

    server, _, _ = live_hall
    with ctx.engine.connect() as conn:
        hall_id, li = conn.execute(text("SELECT hall_id, id FROM staff WHERE login = 'li'")).one()
    boss = Actor("staff", None, hall_id, "supervisor", None, "王强")
    filed = intake.by_staff(ctx, actor=boss, source="comment_book", text="窗口人员玩手机",
                            category="discipline", target=intake.Target(staff_id=li)).value
    page, errors = signed_in_page(browser, ctx, f"{server.url}/admin/complaints")
    page.locator(f"#complaints tr[data-number='{filed['number']}']").click(timeout=SEEN)
    expect(page.locator("#detail-title")).to_have_text(filed["number"])
    expect(page.locator("#admonish-form")).to_be_hidden()  # not found upheld yet
    handling.reply(ctx, actor=boss, complaint_id=filed["id"], text="已核实", upheld=True)
    page.reload()  # replied here, not through the server: its page is read again
    page.locator(f"#complaints tr[data-number='{filed['number']}']").click(timeout=SEEN)
    expect(page.locator("#detail-upheld")).to_have_text("属实", timeout=SEEN)
    expect(page.locator("#admonish-form")).to_be_visible()
    page.select_option("#admonish-level", "admonition")
    page.fill("#admonish-reason", "工作时间玩手机，经投诉核实")
    page.click("#admonish-submit")
    expect(page.locator("#detail-admonished")).to_be_visible(timeout=SEEN)
    expect(page.locator("#admonish-form")).to_be_hidden()
    page.screenshot(path=artifacts / "complaint-admonished.png", full_page=True)
    with ctx.engine.connect() as conn:
        made = conn.execute(text("SELECT level, staff_id, evidence_kind, evidence_ref, reason "
                                 "FROM admonitions")).one()
    assert tuple(made) == ("admonition", li, "complaint", filed["number"],
                           "工作时间玩手机，经投诉核实")
    assert errors == []
