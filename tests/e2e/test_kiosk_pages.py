"""The kiosk touch page in headless Chromium (Debian's /usr/bin/chromium via Playwright)
against a real server process that prints to the ESC/POS emulator over TCP. Screenshots go
to tests/artifacts/<test name>/ for review: start, services, guide, number; elder mode;
English; paper out."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import update

from hall.services.config import accounts
from hall.services.config.layout.seed import load_layout, seed
from hall.store.models import Device, Service
from tests.conftest import DATA
from tests.e2e.browsing import signed_in_page
from tests.e2e.conftest import HALL_ZONE, SEEN, SQLITE_ONLY, open_kiosk
from tests.e2e.server import running_hall

LIVE = 3000  # ms: a change in the console is on the kiosk within a couple of seconds
MM15 = 96 / 25.4 * 15  # 15 mm in CSS px (96 per inch): the smallest touch target allowed
EXTRA = ("gjj-tq", "公积金提取"), ("gjj-dk", "公积金贷款"), ("crj-qz", "出入境签注"), \
    ("jsz-hz", "驾驶证换证")

pytestmark = [pytest.mark.slow, pytest.mark.browser,
              SQLITE_ONLY]


@pytest.fixture
def kiosk_hall(ctx, db_url, tmp_path, printer_80mm):
    """The small test hall with four more 公安局 services (so elder mode has pages to turn),
    served by a real process; the kiosk prints to the emulator."""
    layout = load_layout(DATA / "small_hall.toml")
    for code, name in EXTRA:
        layout["services"].append({"code": code, "department": "gaj", "name": name,
                                   "prefix": "C", "kind": "instant",
                                   "expected_visit_minutes": 5, "time_limit_minutes": 10})
    layout["services"][-1]["per_person_daily_limit"] = 1  # 驾驶证换证: by ID number
    seed(ctx, layout)
    with running_hall(ctx, db_url, tmp_path) as (server, tokens, post):
        with ctx.engine.begin() as conn:
            conn.execute(update(Device).where(Device.id == tokens["kiosk"]["id"])
                         .values(url=f"escpos+tcp://127.0.0.1:{printer_80mm.tcp_port}"))
        yield server, tokens, post


def test_a_visitor_walks_from_department_to_a_printed_number(kiosk_hall, browser, artifacts,
                                                             printer_80mm):
    from playwright.sync_api import expect

    server, tokens, _ = kiosk_hall
    page, errors = open_kiosk(browser, server, tokens["kiosk"])
    assert "token=" not in page.url  # kept in localStorage, gone from the address bar
    expect(page.locator("#k-hall")).to_have_text("测试大厅")
    expect(page.locator("#k-elder")).to_have_text("长辈模式")  # the glossary's word
    expect(page.locator("#dept-grid .k-card")).to_have_count(2)
    page.screenshot(path=artifacts / "1-departments.png")

    page.locator("#dept-grid .k-card", has_text="公安局").click()
    cards = page.locator("#svc-grid .k-card")
    expect(cards).to_have_count(6)
    for box in (cards.nth(i).bounding_box() for i in range(6)):
        assert box["height"] >= MM15 and box["width"] >= MM15
    size = page.evaluate("parseFloat(getComputedStyle(document.querySelector("
                         "'#svc-grid .k-card-name')).fontSize)")
    assert size >= 28  # large type
    page.screenshot(path=artifacts / "2-services.png")

    page.locator("#svc-grid .k-card", has_text="户籍办理").click()
    guide = page.locator("#screen-guide")
    expect(guide).to_be_visible()
    expect(page.locator("#guide-title")).to_have_text("户籍办理")
    expect(guide.locator("[data-part=materials] li")).to_have_text(["居民户口簿原件",
                                                                     "居民身份证原件"])
    expect(guide.locator("[data-part=fee]")).to_contain_text("不收费")
    expect(guide.locator("[data-part=basis]")).to_contain_text("户口登记条例")
    expect(page.locator("#guide-facts")).to_contain_text("5")  # 承诺 5 working days
    take = page.locator("#k-take")
    assert take.bounding_box()["height"] >= MM15
    page.screenshot(path=artifacts / "3-guide.png")

    take.click()
    expect(page.locator("#r-number")).to_have_text("A001", timeout=SEEN)
    expect(page.locator("#r-service")).to_have_text("户籍办理")
    expect(page.locator("#r-ahead")).to_have_text("前面没有人等候")
    expect(page.locator("#r-print")).to_have_attribute("data-print", "printed", timeout=SEEN)
    page.wait_for_function("() => document.getElementById('r-qr').naturalWidth > 0")
    rec = printer_80mm.wait_for_tickets(1)[0]
    assert "A001" in rec.ticket.lines and "户籍办理" in rec.ticket.lines
    token = re.search(r"/kiosk/qr/([^/.]+)\.svg$", page.get_attribute("#r-qr", "src"))[1]
    assert rec.ticket.qr == [f"{server.url}/t/{token}"]  # paper and screen: the same page
    page.screenshot(path=artifacts / "4-number.png")

    # the green channel: a reason from the hall's list, then the number
    page.locator("[data-go=home]:visible").click()
    page.locator("#dept-grid .k-card", has_text="公安局").click()
    page.locator("#svc-grid .k-card", has_text="户籍办理").click()
    page.locator("#k-priority").click()
    expect(page.locator("#reason-grid .k-card")).to_have_text(["老年人", "残疾人", "孕妇"])
    page.screenshot(path=artifacts / "5-green-channel.png")
    page.locator("#reason-grid .k-card", has_text="老年人").click()
    expect(page.locator("#r-number")).to_have_text("A002", timeout=SEEN)
    expect(page.locator("#r-kind")).to_contain_text("老年人")
    expect(page.locator("#r-print")).to_have_attribute("data-print", "printed", timeout=SEEN)
    assert errors == []


def test_elder_mode_is_larger_with_fewer_buttons_per_screen_and_english_works(
        kiosk_hall, browser, artifacts):
    from playwright.sync_api import expect

    server, tokens, _ = kiosk_hall
    page, errors = open_kiosk(browser, server, tokens["kiosk"], "lang=en")
    expect(page.locator("#dept-grid .k-card").first).to_have_text(re.compile("公安局"))
    expect(page.locator("#k-elder")).to_have_attribute("aria-pressed", "false")
    normal = page.evaluate("parseFloat(getComputedStyle(document.querySelector("
                           "'#dept-grid .k-card-name')).fontSize)")
    page.locator("#k-elder").click()
    expect(page.locator("body")).to_have_class(re.compile(r"\belder\b"))
    elder = page.evaluate("parseFloat(getComputedStyle(document.querySelector("
                          "'#dept-grid .k-card-name')).fontSize)")
    assert elder >= 1.3 * normal
    page.screenshot(path=artifacts / "elder-en-departments.png")
    page.locator("#dept-grid .k-card").first.click()
    cards = page.locator("#svc-grid .k-card")
    expect(cards).to_have_count(4)  # six services: four on the first screen, then a page turn
    expect(page.locator("#svc-pager")).to_be_visible()
    expect(cards.first).to_contain_text("Household registration")
    page.screenshot(path=artifacts / "elder-en-services-page1.png")
    page.locator("#svc-pager [data-page='1']").click()
    expect(cards).to_have_count(2)
    page.screenshot(path=artifacts / "elder-en-services-page2.png")
    page.locator("#svc-pager [data-page='-1']").click()
    page.locator("#svc-grid .k-card", has_text="Household registration").click()
    expect(page.locator("#guide-title")).to_have_text("Household registration")
    page.screenshot(path=artifacts / "elder-en-guide.png")
    page.locator("#k-take").click()
    expect(page.locator("#r-number")).to_have_text("A001", timeout=SEEN)
    expect(page.locator("#r-ahead")).to_have_text("Nobody is ahead of you")
    big = page.evaluate("parseFloat(getComputedStyle(document.getElementById('r-number'))"
                        ".fontSize)")
    assert big >= 200  # the number, as large as the screen allows
    page.screenshot(path=artifacts / "elder-en-number.png")
    assert errors == []


GUIDE_KEYS = ("materials", "steps", "fee", "basis", "notes")


def test_the_whole_guide_is_read_by_scrolling_the_guide_panel_once(kiosk_hall, browser,
                                                                   artifacts, ctx):
    """At 1080×1920 the demo hall's longest guide (不动产转移登记): the panel takes the
    screen's height, is the only thing that scrolls, says there is more below, and one
    scroll shows 设立依据 and 注意事项 with the take button still on screen."""
    from playwright.sync_api import expect

    server, tokens, _ = kiosk_hall
    layout = load_layout(DATA.parents[1] / "hall" / "seed" / "demo_hall.toml")
    demo = {s["code"]: s for s in layout["services"]}
    with ctx.engine.begin() as conn:
        conn.execute(update(Service).where(Service.code == "hj")
                     .values(guide={k: demo["bdc-zy"][k] for k in GUIDE_KEYS}))
    page, errors = open_kiosk(browser, server, tokens["kiosk"])
    page.locator("#dept-grid .k-card", has_text="公安局").click()
    page.locator("#svc-grid .k-card", has_text="户籍办理").click()
    panel, more = page.locator("#guide-body"), page.locator("#guide-more")
    expect(more).to_be_visible()
    page.screenshot(path=artifacts / "guide-top.png")
    scrollers = page.evaluate("""() => [...document.querySelectorAll('*')]
        .filter((el) => el.scrollHeight > el.clientHeight + 1
                        && /auto|scroll/.test(getComputedStyle(el).overflowY))
        .map((el) => el.id)""")
    assert scrollers == ["guide-body"]  # nothing else scrolls, the page itself neither
    assert page.evaluate("document.scrollingElement.scrollHeight") <= 1920
    box = panel.bounding_box()
    gap = page.locator("#screen-guide .k-actions").bounding_box()["y"] \
        - (more.bounding_box()["y"] + more.bounding_box()["height"])
    assert gap <= 48, gap  # the panel fills the screen down to the bar and the buttons
    hidden = page.evaluate("(g) => g.scrollHeight - g.clientHeight",
                           panel.element_handle())
    assert 0 < hidden <= box["height"]  # one scroll's worth out of sight, no more

    more.click()  # once
    expect(more).to_be_hidden(timeout=SEEN)
    box = panel.bounding_box()
    for part in ("basis", "notes"):
        shown = page.locator(f"[data-part={part}]").bounding_box()
        assert box["y"] <= shown["y"] and \
            shown["y"] + shown["height"] <= box["y"] + box["height"] + 1, part
    expect(page.locator("[data-part=notes]")).to_contain_text(demo["bdc-zy"]["notes"][:10])
    take = page.locator("#k-take").bounding_box()
    assert take["y"] + take["height"] <= 1920
    page.screenshot(path=artifacts / "guide-end.png")
    assert errors == []


def test_paper_out_still_shows_the_number_and_says_what_happened(kiosk_hall, browser,
                                                                  artifacts, printer_80mm):
    from playwright.sync_api import expect

    server, tokens, _ = kiosk_hall
    printer_80mm.state = "paper_end"
    page, errors = open_kiosk(browser, server, tokens["kiosk"], width=1920, height=1080)
    expect(page.locator("#k-printer-banner")).to_contain_text("打印机缺纸", timeout=SEEN)
    page.locator("#dept-grid .k-card", has_text="税务局").click()
    page.locator("#svc-grid .k-card", has_text="税务申报").click()
    page.locator("#k-take").click()
    expect(page.locator("#r-number")).to_have_text("B001", timeout=SEEN)
    status = page.locator("#r-print")
    expect(status).to_have_attribute("data-print", "failed", timeout=SEEN)
    expect(status).to_contain_text("打印机缺纸")
    page.wait_for_function("() => document.getElementById('r-qr').naturalWidth > 0")
    expect(page.locator("#r-reprint")).to_be_visible()
    page.screenshot(path=artifacts / "paper-out-1920x1080.png")
    assert printer_80mm.tickets == []

    printer_80mm.state = "ok"  # paper back in: the visitor taps "print again"
    page.locator("#r-reprint").click()
    expect(status).to_have_attribute("data-print", "printed", timeout=SEEN)
    assert "B001" in printer_80mm.wait_for_tickets(1)[0].ticket.lines
    expect(page.locator("#k-printer-banner")).to_be_hidden(timeout=SEEN)
    assert errors == []


def test_closed_and_sold_out_services_say_why_and_cannot_be_taken(kiosk_hall, browser,
                                                                   artifacts, ctx):
    from playwright.sync_api import expect

    server, tokens, post = kiosk_hall
    for _ in range(3):
        post("/api/v1/tickets", "kiosk", service="ss")  # its daily quota is 3
    with ctx.engine.begin() as conn:
        conn.execute(update(Service).where(Service.code == "sfz").values(active=False))
    page, errors = open_kiosk(browser, server, tokens["kiosk"])
    page.locator("#dept-grid .k-card", has_text="税务局").click()
    card = page.locator("#svc-grid .k-card", has_text="税务申报")
    expect(card).to_have_attribute("data-state", "quota_out")
    expect(card).to_contain_text("税务申报今日3个号已全部取完")
    card.click()
    expect(page.locator("#guide-status")).to_have_text("税务申报今日3个号已全部取完")
    expect(page.locator("#k-take")).to_be_disabled()
    page.screenshot(path=artifacts / "quota-out.png")
    page.goto(page.url)  # a fresh start, as after the countdown
    page.wait_for_selector("body[data-state=ready]")
    page.locator("#dept-grid .k-card", has_text="公安局").click()
    closed = page.locator("#svc-grid .k-card", has_text="身份证办理")
    expect(closed).to_have_attribute("data-state", "closed")
    expect(closed).to_contain_text("身份证办理暂停办理")
    page.screenshot(path=artifacts / "closed.png")
    assert errors == []


def test_an_idle_kiosk_counts_down_and_returns_to_the_start(kiosk_hall, browser, artifacts):
    from playwright.sync_api import expect

    server, tokens, _ = kiosk_hall
    page, errors = open_kiosk(browser, server, tokens["kiosk"], "idle=12")
    page.locator("#k-elder").click()
    page.locator("#dept-grid .k-card", has_text="公安局").click()
    expect(page.locator("#screen-services")).to_be_visible()
    countdown = page.locator("#k-countdown")
    page.clock.fast_forward(9000)  # untouched for 9 of its 12 s: the last 4 count down
    expect(countdown).to_be_visible(timeout=SEEN)
    expect(page.locator("#k-countdown-text")).to_contain_text(re.compile(r"\d"))
    page.screenshot(path=artifacts / "countdown.png")
    page.clock.fast_forward(4000)
    expect(page.locator("#screen-home")).to_be_visible(timeout=SEEN)
    expect(countdown).to_be_hidden()
    expect(page.locator("body")).not_to_have_class(re.compile(r"\belder\b"))  # reset too
    assert errors == []


def test_a_limited_service_asks_for_the_id_number_masked_and_refuses_a_second_ticket(
        kiosk_hall, browser, artifacts):
    from playwright.sync_api import expect

    server, tokens, _ = kiosk_hall
    page, errors = open_kiosk(browser, server, tokens["kiosk"])

    def take_with(id_number: str) -> None:
        page.locator("#dept-grid .k-card", has_text="公安局").click()
        page.locator("#svc-grid .k-card", has_text="驾驶证换证").click()
        page.locator("#k-take").click()
        expect(page.locator("#screen-idnum")).to_be_visible()
        for i, key in enumerate(id_number):
            page.locator(f"#idnum-pad [data-key='{key}']").click()
            if i == 5:  # masked as it is typed, not only once complete
                expect(page.locator("#idnum-entry")).to_have_text("1101**")
        expect(page.locator("#idnum-entry")).to_have_text(f"1101{'*' * 10}{id_number[-4:]}")
        page.locator("#idnum-ok").click()

    take_with("11010519491231002X")  # the standard's own sample number (valid check digit)
    expect(page.locator("#r-number")).to_have_text("C001", timeout=SEEN)
    expect(page.locator("#r-print")).to_have_attribute("data-print", "printed", timeout=SEEN)
    page.locator("[data-go=home]:visible").click()
    take_with("11010519491231002X")  # the same person again: the limit is one a day
    dialog = page.locator("#k-error")
    expect(dialog).to_be_visible(timeout=SEEN)
    expect(page.locator("#k-error-text")).to_contain_text("驾驶证换证")
    page.screenshot(path=artifacts / "id-limit-reached.png")
    page.locator("#k-error-ok").click()
    expect(page.locator("#screen-guide")).to_be_visible()  # back at the guide
    page.locator("#k-take").click()
    for key in "110105194912310021":  # a typo: the check digit does not match
        page.locator(f"#idnum-pad [data-key='{key}']").click()
    page.locator("#idnum-ok").click()
    expect(dialog).to_be_visible()
    expect(page.locator("#k-error-text")).to_have_text("身份证号码有误（校验位不符），请核对后重新输入")
    page.screenshot(path=artifacts / "id-typo.png")
    page.locator("#k-error-ok").click()
    page.locator("#idnum-pad [data-key=del]").click()  # 17 typed: the length is what is missing
    page.locator("#idnum-ok").click()
    expect(page.locator("#k-error-text")).to_have_text("请输入完整的 18 位身份证号码")
    assert errors == []


def test_an_unknown_appointment_code_is_explained(kiosk_hall, browser, artifacts):
    from playwright.sync_api import expect

    server, tokens, _ = kiosk_hall
    page, errors = open_kiosk(browser, server, tokens["kiosk"])
    page.locator("#k-appt").click()
    expect(page.locator("#screen-appt")).to_be_visible()
    page.locator("#appt-pad [data-key=abc]").click()
    for key in "ZZZZ2345":
        page.locator(f"#appt-pad [data-key='{key}']").click()
    expect(page.locator("#appt-entry")).to_have_text("ZZZZ2345")
    page.screenshot(path=artifacts / "appointment-code.png")
    page.locator("#appt-ok").click()
    expect(page.locator("#k-error")).to_be_visible(timeout=SEEN)
    expect(page.locator("#k-error-text")).to_have_text("未找到该预约码对应的预约")
    expect(page.locator("#screen-appt")).to_be_visible()  # back where the code is typed
    assert errors == []


def admin_session(ctx, server) -> requests.Session:
    """An admin signed in over HTTP, as the console's own page would be."""
    password = accounts.add_user(ctx, login="root", name="管理员", role="admin").value["password"]
    http = requests.Session()
    r = http.post(f"{server.url}/api/v1/auth/login", json={"login": "root", "password": password},
                  timeout=5)
    assert r.status_code == 200, r.text
    http.headers["X-CSRFToken"] = r.json()["csrf_token"]
    return http


def test_a_service_changed_in_the_console_reaches_the_open_kiosk_live(kiosk_hall, browser,
                                                                      artifacts, ctx):
    from playwright.sync_api import expect

    server, tokens, post = kiosk_hall
    admin = admin_session(ctx, server)
    page, errors = open_kiosk(browser, server, tokens["kiosk"])
    expect(page.locator("body")).to_have_attribute("data-live", "live", timeout=SEEN)
    page.evaluate("window.sameDocument = true")  # gone if the page reloads
    page.locator("#dept-grid .k-card", has_text="公安局").click()
    card = page.locator("#svc-grid .k-card[data-service=sfz]")
    expect(card).to_have_attribute("data-state", "open")

    r = admin.post(f"{server.url}/api/v1/config/services/sfz/deactivate", timeout=5)
    assert r.status_code == 200, r.text
    expect(card).to_have_attribute("data-state", "closed", timeout=LIVE)
    expect(card).to_contain_text("身份证办理暂停办理")

    hj = admin.get(f"{server.url}/api/v1/config/services/hj", timeout=5).json()
    del hj["id"]  # the answer names the row; the request does not
    page.locator("#svc-grid .k-card[data-service=hj]").click()
    hj.update(name="户籍业务办理", notes="请本人到场办理。")
    r = admin.put(f"{server.url}/api/v1/config/services/hj", json=hj, timeout=5)
    assert r.status_code == 200, r.text
    expect(page.locator("#guide-title")).to_have_text("户籍业务办理", timeout=LIVE)
    expect(page.locator("[data-part=notes]")).to_contain_text("请本人到场办理。")

    post("/api/v1/tickets", "kiosk", service="hj")  # someone else takes a number
    expect(page.locator("#guide-status")).to_contain_text("等候 1 人", timeout=LIVE)
    page.screenshot(path=artifacts / "guide-changed-live.png")
    assert page.evaluate("window.sameDocument") is True  # no reload did it
    assert errors == []


def test_a_kiosk_without_a_token_shows_how_to_pair_it_and_the_halls_own_time(
        ctx, db_url, tmp_path, browser, artifacts):
    """The hall keeps Urumqi time; the kiosk's browser Shanghai's, the server its own. A
    supervisor signed in still previews the kiosk without a token."""
    from playwright.sync_api import expect

    with running_hall(ctx, db_url, tmp_path, hall_timezone=HALL_ZONE) as (server, tokens, _):
        context = browser.new_context(viewport={"width": 1080, "height": 1920}, locale="zh-CN",
                                      timezone_id="Asia/Shanghai")
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
                if r.status >= 400 else None)
        page.goto(f"{server.url}/kiosk/{tokens['kiosk']['id']}")  # no token, none stored
        expect(page.locator("#screen-unpaired")).to_be_visible(timeout=SEEN)
        expect(page.locator("#screen-home")).to_be_hidden()
        expect(page.locator("#k-pair")).to_have_attribute("href", "/pair?kind=kiosk")
        before = datetime.now(ZoneInfo(HALL_ZONE)).strftime("%H:%M")
        shown = page.locator("#k-clock").inner_text()
        after = datetime.now(ZoneInfo(HALL_ZONE)).strftime("%H:%M")
        assert shown in (before, after), (shown, HALL_ZONE)
        page.screenshot(path=artifacts / "unpaired.png")
        page.locator("#k-pair").click()
        expect(page.locator("#pair-code")).to_have_text(re.compile(r"^\d{3} \d{3}$"),
                                                        timeout=SEEN)
        assert page.url.endswith("/pair?kind=kiosk")
        assert errors == []

        boss, boss_errors = signed_in_page(browser, ctx, f"{server.url}/admin/board")
        boss.goto(f"{server.url}/kiosk/{tokens['kiosk']['id']}")
        boss.wait_for_selector("body[data-state=ready]", timeout=15000)
        expect(boss.locator("#dept-grid .k-card")).to_have_count(2)
        assert boss_errors == []


def test_a_card_on_the_reader_shows_its_holder_masked_and_a_refused_card_says_why(
        ctx, db_url, tmp_path, browser, artifacts):
    """The kiosk's ID card reader, driven by the server (HALL_IDCARD_READERS), an emulated
    reader on a pty: a card laid on it shows 张**先生 and the 绿色通道 offer, and the number
    taken is a priority one; a card whose ID number fails its check digit says so."""
    from playwright.sync_api import expect

    from drivers.idcard import protocol as p
    from drivers.idcard.emulator import IdCardEmulator
    from hall.domain.personal import id_check_char
    from tests.e2e.server import Server

    elder = "11010519490307123" + id_check_char("11010519490307123")
    card = p.CardText(name="张三丰", sex="男", nation="01", birth="19490307",
                      address="北京市东城区和平里东街11号", id_number=elder,
                      authority="北京市公安局东城分局", valid_from="20150101", valid_to="长期")
    seed(ctx, load_layout(DATA / "small_hall.toml"))
    kiosk = accounts.add_device(ctx, kind="kiosk").value
    with IdCardEmulator() as reader:
        server = Server(db_url, tmp_path, extra_env={
            "HALL_IDCARD_READERS": f"{kiosk['id']}={reader.url}"}).start()
        try:
            page, errors = open_kiosk(browser, server, kiosk)
            banner = page.locator("#k-card-banner")
            expect(banner).to_be_hidden()
            mistyped = elder[:-1] + ("0" if elder[-1] != "0" else "1")
            reader.place(p.CardText(**{**card.__dict__, "id_number": mistyped}))
            expect(banner).to_have_text("身份证号码有误（校验位不符），请核对后重新输入",
                                        timeout=SEEN)
            page.screenshot(path=artifacts / "card-refused.png")
            reader.remove()  # lifted: the message goes
            expect(banner).to_be_hidden(timeout=SEEN)
            reader.place(card)
            expect(banner).to_contain_text("张**先生", timeout=SEEN)
            expect(banner).to_contain_text("绿色通道")
            assert "三丰" not in banner.inner_text()
            page.screenshot(path=artifacts / "card-read.png")
            page.locator("#dept-grid .k-card", has_text="公安局").click()
            page.locator("#svc-grid .k-card", has_text="户籍办理").click()
            page.locator("#k-take").click()
            expect(page.locator("#r-number")).to_have_text(re.compile(r"^[A-Z]\d{3}$"),
                                                           timeout=SEEN)
            page.screenshot(path=artifacts / "card-ticket.png")
            assert [e for e in errors if "/card" not in e] == []
        finally:
            server.stop()


def test_a_visitor_leaves_a_mobile_number_for_a_near_turn_text_after_taking_a_number(
        kiosk_hall, ctx, browser, artifacts):
    """短信提醒 at the kiosk (issue 21): offered on the number's screen only when the hall
    sends texts; the keypad takes the mobile number, which the server keeps masked."""
    import json
    import time

    from playwright.sync_api import expect
    from sqlalchemy import text

    server, tokens, _ = kiosk_hall

    def take_hj(page) -> None:
        page.locator("#dept-grid .k-card", has_text="公安局").click()
        page.locator("#svc-grid .k-card", has_text="户籍办理").click()
        page.locator("#k-take").click()
        expect(page.locator("#r-number")).to_have_text(re.compile(r"^A\d{3}$"), timeout=SEEN)

    page, errors = open_kiosk(browser, server, tokens["kiosk"])
    take_hj(page)
    expect(page.locator("#r-notify")).to_be_hidden()  # this hall sends no texts
    with ctx.engine.begin() as conn:
        raw = conn.execute(text("SELECT settings FROM halls")).scalar_one()
        settings = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
        settings["notify"] = {"provider": "tencent", "ahead": 3}
        conn.execute(text("UPDATE halls SET settings = :s"), {"s": json.dumps(settings)})
    time.sleep(2.2)  # the server's settings cache
    page.reload()
    page.wait_for_selector("body[data-state=ready]", timeout=15000)
    take_hj(page)
    page.locator("#r-notify").click()
    expect(page.locator("#screen-phone")).to_be_visible()
    expect(page.locator("#phone-hint")).to_contain_text("3")  # the hall's K
    assert page.locator("#phone-pad [data-key=X]").count() == 0  # digits only
    for key in "1381234":
        page.locator(f"#phone-pad [data-key='{key}']").click()
    page.locator("#phone-ok").click()
    expect(page.locator("#k-error-text")).to_have_text("请输入11位手机号码")
    page.locator("#k-error-ok").click()
    for key in "1234":
        page.locator(f"#phone-pad [data-key='{key}']").click()
    expect(page.locator("#phone-entry")).to_have_text("13812341234")
    page.locator("#phone-ok").click()
    expect(page.locator("#screen-result")).to_be_visible(timeout=SEEN)
    expect(page.locator("#r-notify-status")).to_contain_text("138****1234")
    expect(page.locator("#r-notify")).to_be_hidden()
    page.screenshot(path=artifacts / "notify-done.png")
    with ctx.engine.connect() as conn:
        sub = conn.execute(text("SELECT address_masked, channel FROM notify_subscriptions")
                           ).one()
    assert tuple(sub) == ("138****1234", "sms")
    assert errors == []
