"""Paper for the visitor at every outcome (issue 15 item 5), end to end: a real server
process, the counter terminal in headless Chromium, and window 1's printer — the ESC/POS
emulator over TCP, driven by the server (a ``printer`` device bound to the window).

受理 gives a 受理回执, 不予受理 a 不予受理通知书, 补正 the 一次性告知书. Each is checked
as bytes (what the emulator parsed: GB18030 text in FS & mode, the QR code's payload) and
as the print page the terminal opens (80 mm and A4, print CSS, the PDF Chromium makes of
it). A window without a printer opens the page from 打印. The phone page after 受理 shows
the case number and the promised date. Screenshots: tests/artifacts/<test name>/.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import text, update

from counter.documents import qr_data_uri
from drivers.escpos.document import DocumentContent, layout
from drivers.escpos.parser import Parser
from drivers.escpos.printer import PROFILES, ticket_bytes
from hall.domain.access import SYSTEM
from hall.services.config import accounts, settings
from hall.store.models import Staff
from tests.e2e.conftest import SEEN, new_tab, open_page, sign_in_on_page, wait_live
from tests.e2e.server import running_hall


def lookup_code(ctx, number: str) -> str:
    """The case's look-up code (查询码), as the receipt prints it."""
    with ctx.engine.connect() as conn:
        return conn.execute(text("SELECT lookup_code FROM cases WHERE number = :n"),
                            {"n": number}).scalar_one()

PAGE = [pytest.mark.slow, pytest.mark.browser,
        pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]
MM = 72 / 25.4  # PDF points per millimetre
BASIS = "《中华人民共和国行政许可法》第三十二条"  # the defaults, in Chinese
REVIEW = "如不服本决定，可自收到本通知书之日起六十日内依法申请行政复议"


def marked(test):
    for mark in PAGE:
        test = mark(test)
    return test


def staff_li(ctx) -> str:
    """李娜, 工号 1001 (the layout's account, with a password the test knows)."""
    password = accounts.add_user(ctx, login="li", name="李娜").value["password"]
    with ctx.engine.begin() as conn:
        conn.execute(update(Staff).where(Staff.login == "li").values(number="1001"))
    return password


@pytest.fixture
def window_hall(ctx, db_url, tmp_path, printer_80mm):
    """The test hall served by a real process; window 1 has its own printer (the emulator,
    which the server drives), the other windows have none."""
    with running_hall(ctx, db_url, tmp_path) as (server, tokens, post):
        accounts.add_device(ctx, kind="printer", name="1号窗口打印机", counter_number=1,
                            url=f"escpos+tcp://127.0.0.1:{printer_80mm.tcp_port}?paper=80")
        yield server, tokens, post


def terminal(browser, server, password: str, timezone_id: str = "Asia/Shanghai"):
    """The counter terminal, signed in as 李娜 at window 1."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN",
                                  timezone_id=timezone_id)
    page, errors = new_tab(context, f"{server.url}/counter")
    sign_in_on_page(page, "li", password)
    page.click("#choose-1")
    wait_live(page)
    return context, page, errors


def finish(page, number: str, key: str, fill=None) -> None:
    """Call ``number``, start and finish it with outcome ``key`` (1–5), ``fill`` filling the
    outcome's part of the form."""
    from playwright.sync_api import expect

    body = page.locator("body")
    body.press("n")
    expect(page.locator("#t-number")).to_have_text(number, timeout=SEEN)
    body.press("s")
    expect(page.locator("#t-current")).to_have_attribute("data-state", "serving", timeout=SEEN)
    body.press("f")
    # as a person does: the outcome's key once the dialog shows (on a loaded machine it
    # may open after the key would have been pressed)
    expect(page.locator("#dlg-finish")).to_be_visible(timeout=SEEN)
    page.locator("#outcome-done").press(key)
    if fill:
        fill()
    page.click("#finish-submit")
    expect(page.locator("#dlg-finish")).to_be_hidden(timeout=SEEN)


def printed_text(emulator, count: int) -> tuple[str, list[str]]:
    """The newest ticket the emulator cut: its lines run together (a value may wrap) and
    its QR payloads."""
    rec = emulator.wait_for_tickets(count)[-1]
    assert rec.printed and rec.ticket.cut and not rec.ticket.images  # text, not pictures
    return "".join(line.strip() for line in rec.ticket.lines), rec.ticket.qr


def pdf_page_size(page) -> tuple[float, float]:
    """Width and height (mm) of the first page of the PDF Chromium prints the page to."""
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert box, "no MediaBox in the PDF"
    return round(float(box[1]) / MM), round(float(box[2]) / MM)


def check_page(doc_page, artifacts, name: str, *facts: str) -> None:
    """The print page in both sizes says every fact; each size prints on its own paper."""
    from playwright.sync_api import expect

    for paper, size in (("80", (80, 297)), ("a4", (210, 297))):
        doc_page.click(f"#paper-{paper}")
        expect(doc_page.locator("body")).to_have_attribute("data-paper", paper, timeout=SEEN)
        shown = re.sub(r"\s+", "", doc_page.locator("#doc").inner_text())
        for fact in facts:
            assert re.sub(r"\s+", "", fact) in shown, (paper, fact, shown)
        doc_page.screenshot(path=artifacts / f"{name}-{paper}.png", full_page=True)
        assert pdf_page_size(doc_page) == size
        doc_page.emulate_media(media="print")  # the tools stay on screen, off the paper
        expect(doc_page.locator(".doc-tools")).to_be_hidden()
        doc_page.emulate_media(media="screen")


@marked
def test_acceptance_receipt_has_case_number_and_qr(window_hall, printer_80mm, browser, artifacts,
                                                   ctx):
    from playwright.sync_api import expect

    server, _, post = window_hall
    password = staff_li(ctx)
    ticket = post("/api/v1/tickets", "kiosk", service="hj")
    context, page, errors = terminal(browser, server, password)
    finish(page, ticket["number"], "2", lambda: page.fill("#finish-applicant", "王五"))
    number = page.locator("#t-case-number")
    expect(number).to_have_text(re.compile(r"^TEST-\d{8}-\d{4}$"), timeout=SEEN)
    code = lookup_code(ctx, number.inner_text())
    case = requests.get(f"{server.url}/api/v1/cases/{number.inner_text()}",
                        params={"code": code}, timeout=5).json()
    expect(page.locator("#t-document")).to_be_visible()
    expect(page.locator("#t-document-title")).to_have_text("受理回执")
    page.screenshot(path=artifacts / "1-terminal-after-acceptance.png")

    page.click("#btn-print")  # window 1 has a printer: the server prints on it
    expect(page.locator("#t-message-text")).to_have_text("受理回执已在窗口打印机打印",
                                                         timeout=SEEN)
    text, qr = printed_text(printer_80mm, 1)
    case_url = f"{server.url}/case/{case['number']}?code={code}"
    for fact in ("受理回执", "测试大厅", f"办件编号：{case['number']}", f"查询码：{code}",
                 "办理事项：户籍办理",
                 "申请人：王*", f"承诺办结日期：{case['due_date']}（承诺时限5个工作日）",
                 "窗口：1号窗口", "经办人：李娜（工号1001）", "居民户口簿原件"):
        assert fact.replace(" ", "") in text.replace(" ", ""), (fact, text)
    assert qr == [case_url]  # the case look-up page with the number and code filled in
    assert requests.get(qr[0], timeout=5).status_code == 200

    with page.expect_popup() as popup:  # the same receipt as a page, from the terminal
        page.click("#t-document-page")
    doc_page = popup.value
    doc_page.on("pageerror", lambda exc: errors.append(str(exc)))
    expect(doc_page.locator("#doc-title")).to_have_text("受理回执", timeout=SEEN)
    assert doc_page.locator("#doc-qr").get_attribute("data-url") == case_url
    assert doc_page.locator("#doc-qr").get_attribute("src") == qr_data_uri(case_url)
    check_page(doc_page, artifacts, "2-receipt", f"办件编号：{case['number']}",
               "办理事项：户籍办理", f"承诺办结日期：{case['due_date']}", "窗口：1 号窗口",
               "经办人：李娜（工号 1001）", "扫码查询办理进度", case_url)
    assert errors == []
    context.close()


@marked
def test_refusal_notice_prints_reason(window_hall, printer_80mm, browser, artifacts, ctx):
    from playwright.sync_api import expect

    server, _, post = window_hall
    password = staff_li(ctx)
    ticket = post("/api/v1/tickets", "kiosk", service="hj")
    reason = "申请事项不属于本中心受理范围，请到区市场监督管理局办理"
    context, page, errors = terminal(browser, server, password)
    finish(page, ticket["number"], "4", lambda: page.fill("#finish-reason", reason))
    expect(page.locator("#t-document-title")).to_have_text("不予受理通知书", timeout=SEEN)
    page.click("#btn-print")
    expect(page.locator("#t-message-text")).to_have_text("不予受理通知书已在窗口打印机打印",
                                                         timeout=SEEN)
    text, qr = printed_text(printer_80mm, 1)
    for fact in ("不予受理通知书", "不予受理的理由", reason, "决定依据", BASIS, "救济途径",
                 REVIEW, f"排队号码：{ticket['number']}", "窗口：1号窗口",
                 "经办人：李娜（工号1001）"):
        assert fact.replace(" ", "") in text.replace(" ", ""), (fact, text)
    assert qr == []

    with page.expect_popup() as popup:
        page.click("#t-document-page")
    doc_page = popup.value
    doc_page.on("pageerror", lambda exc: errors.append(str(exc)))
    expect(doc_page.locator("#doc-title")).to_have_text("不予受理通知书", timeout=SEEN)
    check_page(doc_page, artifacts, "refusal", reason, BASIS, REVIEW, "窗口：1 号窗口",
               "经办人：李娜（工号 1001）")
    assert errors == []
    context.close()


@marked
def test_the_materials_notice_is_stamped_in_the_halls_local_time(zoned_hall, browser,
                                                                  artifacts, ctx):
    """补正 at a window without a printer: 打印 opens the 一次性告知书 as a page, which says
    when in Urumqi (UTC+6) — not UTC, not the PC's Shanghai — as do its bytes."""
    from playwright.sync_api import expect

    server, _, post = zoned_hall
    spec = settings.get_settings(ctx, 1).model_copy(update={"contact_phone": "0991-1234567"})
    settings.update_settings(ctx, SYSTEM, 1, spec)  # the enquiries phone, a hall setting
    password = staff_li(ctx)
    ticket = post("/api/v1/tickets", "kiosk", service="hj")
    context, page, errors = terminal(browser, server, password)

    def missing():
        page.check("#material-0")
        page.fill("#finish-other", "结婚证复印件")

    finish(page, ticket["number"], "3", missing)
    expect(page.locator("#t-document-title")).to_have_text("一次性告知书", timeout=SEEN)
    api = f"{server.url}/api/v1/tickets/{ticket['id']}/document"
    for _ in range(20):  # the server reads hall settings through a cache of a few seconds
        notes = [x["text"] for x in page.request.get(api).json()["lines"] if x["kind"] == "note"]
        if notes:
            break
        page.wait_for_timeout(250)
    assert notes == ["咨询电话：0991-1234567"]
    expect(page.locator("#t-document-page")).to_be_hidden()  # no printer: 打印 is the page
    with page.expect_popup() as popup:
        page.click("#btn-print")
    doc_page = popup.value
    doc_page.on("pageerror", lambda exc: errors.append(str(exc)))
    assert "print=1" in doc_page.url
    expect(doc_page.locator("body")).to_have_attribute("data-printed", "1", timeout=SEEN)
    shown = re.sub(r"\s+", "", doc_page.locator("#doc").inner_text())
    hall_now = [datetime.now(ZoneInfo("Asia/Urumqi")) + timedelta(minutes=m) for m in (-1, 0)]
    stamped = [f"出具时间：{t:%Y-%m-%d %H:%M}" for t in hall_now]
    assert any(s.replace(" ", "") in shown for s in stamped), (stamped, shown)
    for fact in ("一次性告知书", "测试大厅", "居民户口簿原件", "结婚证复印件", "窗口：1号窗口",
                 "经办人：李娜（工号1001）", "咨询电话：0991-1234567"):
        assert fact in shown, (fact, shown)
    doc_page.screenshot(path=artifacts / "notice-80.png", full_page=True)

    doc = doc_page.request.get(api).json()
    cut = []
    Parser(cut.append).feed(ticket_bytes(layout(DocumentContent.from_json(doc), "80"),
                                         PROFILES["generic"]))
    assert any(s in cut[0].lines for s in stamped), cut[0].lines
    assert cut[0].qr == [f"{server.url}/t/{ticket['token']}"]
    assert errors == []
    context.close()


@marked
def test_the_phone_page_after_acceptance_shows_the_case_number_and_due_date(
        window_hall, browser, artifacts):
    from playwright.sync_api import expect

    server, _, post = window_hall
    ticket = post("/api/v1/tickets", "kiosk", service="hj")
    page, errors = open_page(browser, f"{server.url}/t/{ticket['token']}", 360, 740)
    post("/api/v1/counters/1/call-next", "keypad1")
    post("/api/v1/counters/1/start", "keypad1")
    done = post("/api/v1/counters/1/finish", "keypad1", outcome="accepted")
    number, due = done["case"]["number"], date.fromisoformat(done["case"]["due_date"])
    code = done["case"]["lookup_code"]
    due_zh = f"{due.year}年{due.month}月{due.day}日"
    expect(page.locator("#t-case-number")).to_have_text(number, timeout=SEEN)  # live
    expect(page.locator("#t-case-code")).to_have_text(code)  # the ticket holder's to see
    expect(page.locator("#t-case-due")).to_have_text(due_zh)
    expect(page.locator(".t-done [data-case=none]")).to_be_hidden()  # not just "办理完毕"
    page.screenshot(path=artifacts / "phone-accepted-360.png", full_page=True)
    page.reload()
    expect(page.locator("#t-case-number")).to_have_text(number, timeout=SEEN)
    expect(page.locator("#t-case-due")).to_have_text(due_zh)
    expect(page.locator("#t-case-code")).to_have_text(code)
    assert page.locator("#t-case-number").get_attribute("href") == \
        f"/case/{number}?code={code}"
    page.click("#t-case-number")
    expect(page.locator("#c-case-number")).to_have_text(number, timeout=SEEN)  # 办件查询
    assert errors == []
