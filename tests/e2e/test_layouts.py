"""Every room fits its screen (issue 15 item 6), in headless Chromium against a real server.

A busy hall — long Chinese names of the hall, departments, services, windows and staff,
40 windows, 17 queues, a long pause reason, four-digit numbers (A1234), a printer out of
paper — is opened in each room and looked at in each size the README names for it. Every
room is exactly its window: a page fails when it scrolls, when anything sticks out of the
window, when a box cuts its text (ending in "…" is allowed, with the whole text as its
title), or when a label ("12 号窗口", a number, a face's caption) is broken over two lines;
tests/e2e/fits.js says how each is measured. What is longer than the window scrolls in its
own box: the kiosk's guide, the terminal's and the board's columns. Screenshots of every
view at every size go to tests/artifacts/<test name>/.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import insert, text

from hall.services.config import accounts
from hall.services.config.layout.seed import load_layout, seed
from hall.store.models import NumberCounter
from tests.conftest import DATA
from tests.e2e.browsing import page_signed_in_as
from tests.e2e.conftest import (
    SQLITE_ONLY,
    new_tab,
    open_kiosk,
    open_pad,
    open_page,
    sign_in_on_page,
    wait_live,
)
from tests.e2e.server import running_hall

pytestmark = [pytest.mark.slow, pytest.mark.browser, SQLITE_ONLY]

HALL_NAME = "乌鲁木齐市沙依巴克区政务服务中心"
LONG_PAUSE = "参加市政务服务管理局组织的业务培训"
STAFF_NAME = "阿卜杜热合曼·买买提明"
DEPARTMENTS = [("bdc", "不动产登记中心（自然资源和规划局）"), ("scj", "市场监督管理局"),
               ("rsj", "人力资源和社会保障局")]
# (code, department, name): names as long as real halls have them
SERVICES = [
    ("bdc-zy", "bdc", "不动产转移登记（二手房买卖）"),
    ("bdc-dy", "bdc", "不动产抵押权首次登记（一般抵押）"),
    ("bdc-cx", "bdc", "不动产登记资料查询（含权属证明打印）"),
    ("bdc-zx", "bdc", "不动产抵押权注销登记"),
    ("bdc-gz", "bdc", "不动产更正登记（依申请）"),
    ("bdc-hz", "bdc", "不动产权证书换发、补发"),
    ("bdc-yg", "bdc", "预购商品房预告登记"),
    ("bdc-sc", "bdc", "国有建设用地使用权及房屋所有权首次登记"),
    ("scj-qy", "scj", "企业设立登记（含名称自主申报、印章刻制、涉税事项）"),
    ("scj-sp", "scj", "食品经营许可证核发（新办、延续、变更）"),
    ("scj-gt", "scj", "个体工商户设立、变更、注销登记"),
    ("rsj-yl", "rsj", "城乡居民基本养老保险参保登记及待遇申领"),
    ("rsj-sy", "rsj", "失业保险金申领"),
    ("rsj-gs", "rsj", "工伤保险待遇核定支付（一次性伤残补助金）"),
]
MATERIALS = [
    "不动产权属证书原件（《不动产权证书》或《房屋所有权证》及《国有土地使用证》）",
    "买卖双方身份证明原件及复印件（夫妻双方共有的，须提供结婚证或婚姻关系证明）",
    "经网签备案的《存量房买卖合同》原件一式三份",
    "完税凭证（契税、增值税、个人所得税）或减免税证明",
    "委托他人代办的，须提供经公证的授权委托书及受托人身份证原件",
    "不动产登记申请书（可在大厅自助填写或由窗口工作人员协助打印）",
    "共有人同意出售的书面证明（按份共有的，须有其他共有人放弃优先购买权的声明）",
    "房屋平面图、宗地图（测绘成果报告）",
]
COUNTERS = 40
PAUSED = range(31, 36)  # windows 31–35: paused with a long reason
CLOSED = range(38, 41)  # windows 38–40: closed today
NUMBER = "A1234"

# which room, at which sizes (README: "The rooms of the hall", "Screens and the phone page")
SIZES = {
    "kiosk": [(1080, 1920)],
    "hall-screen": [(1920, 1080), (1080, 1920)],
    "window-screen": [(1920, 1080), (1080, 1920)],
    "pad": [(1280, 800), (800, 1280)],
    "terminal": [(1366, 768), (1920, 1080)],
    "board": [(1366, 768), (1440, 900), (1920, 1080)],
}


def busy_layout() -> dict:
    layout = load_layout(DATA / "small_hall.toml")
    layout["departments"] += [{"code": c, "name": n} for c, n in DEPARTMENTS]
    for code, dept, name in SERVICES:
        layout["services"].append({
            "code": code, "department": dept, "name": name, "prefix": "A", "kind": "promised",
            "legal_days": 30, "promised_days": 5, "expected_visit_minutes": 20,
            "time_limit_minutes": 40, "warning_minutes": 30, "materials": MATERIALS,
            "steps": ["取号", "窗口受理、审核", "缴纳税费", "登簿", "领取不动产权证书"],
            "fee": "住宅每件80元，非住宅每件550元（含第一本证书工本费；每增加一本加收10元）",
            "basis": "《不动产登记暂行条例》第十四条、《不动产登记暂行条例实施细则》第三十八条",
            "notes": "申请人应对所提交材料的真实性负责。" * 6})
    codes = [code for code, _, _ in SERVICES]
    names = ["不动产登记综合受理窗口", "企业开办一窗通办（市场监管·税务·公安·社保）",
             "社会保障综合柜员窗口", "综合窗口"]
    for n in range(5, COUNTERS + 1):  # window 5 takes every service (无差别受理)
        served = set(codes) if n == 5 else {codes[0], *(codes[(n + k) % len(codes)]
                                                         for k in range(3))}
        layout["counters"].append({
            "number": n, "name": f"{n}号{names[n % len(names)]}",
            "services": [{"service": c, "weight": 1} for c in sorted(served)] +
                        [{"service": "hj", "weight": 1}]})
    return layout


class Session:
    """A signed-in staff member's requests against the real server."""

    def __init__(self, url: str, login: str, password: str):
        self.url = url
        self.http = requests.Session()
        r = self.http.post(url + "/api/v1/auth/login",
                           json={"login": login, "password": password}, timeout=5)
        assert r.status_code == 200, r.text
        self.headers = {"X-CSRFToken": r.json()["csrf_token"]}

    def call(self, method: str, path: str, **json):
        r = self.http.request(method, self.url + path, json=json or None,
                              headers=self.headers, timeout=10)
        assert r.status_code < 300, (path, r.text)
        return r.json()


@pytest.fixture
def served_busy_hall(ctx, db_url, tmp_path):
    """The test hall grown to 40 windows and 17 services, busy: most windows calling or
    serving (window 5, which takes every service, calls A1234 last), five paused with a
    long reason, three closed; a visit to rate at window 37, staff signed in at 36."""
    seed(ctx, busy_layout())
    with running_hall(ctx, db_url, tmp_path) as (server, tokens, post):
        users = {login: accounts.add_user(ctx, login=login, name=name, role=role)
                 .value["password"]
                 for login, name, role in [("root", "系统管理员", "admin"),
                                           ("chen", "陈督查", "supervisor"),
                                           ("li", STAFF_NAME, "staff"),
                                           ("ma", "欧阳娜娜·热依拉", "staff"),
                                           ("wu", "热依拉·阿不都克里木", "staff")]}
        admin = Session(server.url, "root", users["root"])
        settings = admin.call("GET", "/api/v1/admin/settings")
        settings["name"] = HALL_NAME
        settings["pause_reasons"] = [*settings["pause_reasons"], LONG_PAUSE]
        admin.call("PUT", "/api/v1/admin/settings", **settings)
        admin.call("PUT", "/api/v1/admin/notices", notices=[{"text": t} for t in (
            "本中心实行“一窗受理、集成服务”，请按叫号顺序到对应窗口办理。",
            "不动产登记、企业开办等事项可通过“一网通办”平台预约，预约群众请到自助机签到。")])
        sup = Session(server.url, "chen", users["chen"])
        counters = {c["number"]: c["id"] for c in sup.call("GET", "/api/v1/counters")["counters"]}
        with ctx.engine.begin() as conn:  # late in a busy day: numbers reach four digits
            hall_id = conn.execute(text("SELECT id FROM halls")).scalar_one()
            day = datetime.now(ZoneInfo("Asia/Shanghai")).date()
            conn.execute(insert(NumberCounter).values(hall_id=hall_id, prefix="A", day=day,
                                                      last=1233))
        codes = [code for code, _, _ in SERVICES] + ["hj", "sfz"]
        for i in range(100):  # the first is A1234, for 不动产转移登记（二手房买卖）
            post("/api/v1/tickets", "kiosk", service=codes[i % len(codes)])
        for n in range(4, COUNTERS + 1):
            if n not in CLOSED:
                sup.call("POST", f"/api/v1/counters/{counters[n]}/open")
        sup.call("POST", f"/api/v1/counters/{counters[5]}/call", number=NUMBER)
        for n in [*range(1, 5), *range(6, 31)]:
            called = sup.call("POST", f"/api/v1/counters/{counters[n]}/call-next")
            assert called["ticket"], (n, called)
            if n % 2:
                sup.call("POST", f"/api/v1/counters/{counters[n]}/start")
        sup.call("POST", f"/api/v1/counters/{counters[5]}/recall")  # the newest call
        for n in PAUSED:
            sup.call("POST", f"/api/v1/counters/{counters[n]}/pause", reason=LONG_PAUSE)
        # the pads of windows 36 (idle, its staff signed in) and 37 (a visit to rate)
        for n in (36, 37):
            tokens[f"pad{n}"] = accounts.add_device(ctx, kind="pad", counter_number=n).value
        ma = Session(server.url, "ma", users["ma"])
        ma.call("POST", f"/api/v1/counters/{counters[36]}/sign-in")
        li = Session(server.url, "li", users["li"])
        li.call("POST", f"/api/v1/counters/{counters[37]}/sign-in")
        li.call("POST", f"/api/v1/counters/{counters[37]}/call-next")
        li.call("POST", f"/api/v1/counters/{counters[37]}/start")
        li.call("POST", f"/api/v1/counters/{counters[37]}/finish", outcome="done")
        with ctx.engine.begin() as conn:
            conn.execute(text("UPDATE staff SET number = 'BDC-2024-0137' WHERE login IN "
                              "('li', 'ma')"))
        post("/api/v1/devices/me/health", "kiosk", paper="out")  # an alert on the board
        yield server, tokens, counters, users


# --- the checks ------------------------------------------------------------------------

FITS = (Path(__file__).parent / "fits.js").read_text(encoding="utf-8")


@dataclass
class Checks:
    labels: list[str]  # selectors of what must stay whole, on one line
    exempt: list[str] = field(default_factory=list)  # boxes that may cut (a ticker)
    turn: Callable | None = None  # shows a paged view's next page; False past the last


def problems(page, checks: Checks) -> list[str]:
    return page.evaluate(FITS, {"labels": checks.labels, "exempt": checks.exempt})


# --- the rooms: each opens its pages at its first size and yields (view, page, checks) ---

def kiosk_views(browser, hall):
    server, tokens, _, _ = hall
    page, errors = open_kiosk(browser, server, tokens["kiosk"], *SIZES["kiosk"][0])
    checks = Checks([".k-badge", "#r-number", ".k-tool", ".k-btn", ".k-page-no", ".k-clock"])
    yield "departments", page, checks
    page.locator("#dept-grid .k-card", has_text=DEPARTMENTS[0][1]).click()
    page.wait_for_selector("#screen-services:not([hidden])")
    yield "services", page, checks
    page.locator("#svc-grid .k-card", has_text=SERVICES[0][2]).click()
    page.wait_for_selector("#screen-guide:not([hidden])")
    yield "guide", page, checks  # eight long materials and notes: the guide panel scrolls
    page.click("#k-take")
    page.wait_for_selector("#screen-result:not([hidden])", timeout=15000)
    yield "number", page, checks
    page.click("#k-elder")  # 长辈模式: larger type, fewer cards a page
    page.click("#screen-result .k-btn-take")
    page.locator("#dept-grid .k-card", has_text=DEPARTMENTS[0][1]).click()
    page.wait_for_selector("#screen-services:not([hidden])")
    yield "elder-services", page, checks
    assert errors == []
    page.context.close()


def next_queue_page(page) -> bool:
    """Turn the hall screen's waiting table to its next page, as its timer does every few
    seconds; False once it is back on the first."""
    return page.evaluate("""async () => {
      const screen = window.hallScreen;
      screen.queuePage += 1;
      window.dispatchEvent(new Event("resize")); // the screen redraws (after 200 ms)
      await new Promise((done) => setTimeout(done, 500));
      return screen.queuePage !== 0;
    }""")


def hall_screen_views(browser, hall):
    server, tokens, _, _ = hall
    screen = tokens["screen"]
    page, errors = open_page(browser, f"{server.url}/display/hall/{screen['id']}"
                                      f"?token={screen['token']}", *SIZES["hall-screen"][0])
    page.wait_for_function("() => document.querySelectorAll('#queues tr').length > 0")
    assert page.locator("#now-number").inner_text() == NUMBER
    yield "hall", page, Checks(
        ["#now-number", "#now-counter", ".recent-number", ".recent-counter", ".window-no",
         ".window-ticket", ".queue-table th", ".queue-table td.num", "#clock-time"],
        exempt=[".ticker-track"], turn=next_queue_page)
    assert errors == []
    page.context.close()


def window_screen_views(browser, hall):
    server, tokens, counters, _ = hall
    screen = tokens["screen"]
    for n, view in ((5, "calling"), (PAUSED[0], "paused")):
        page, errors = open_page(browser, f"{server.url}/display/counter/{counters[n]}"
                                          f"?token={screen['token']}",
                                 *SIZES["window-screen"][0])
        yield view, page, Checks(["#counter-no", "#counter-ticket", "#counter-state"])
        assert errors == []
        page.context.close()


def pad_views(browser, hall):
    server, tokens, _, _ = hall
    checks = Checks(["#pad-window", ".level-label", "#pad-ticket", ".pad-actions button"])
    for who, view in (("pad36", "idle"), ("pad37", "rate")):
        device = tokens[who]  # opened at 1280×800
        page, errors = open_pad(browser, f"{server.url}/pad/{device['id']}"
                                         f"?token={device['token']}")
        page.wait_for_selector(f"body[data-screen={view}]")
        yield view, page, checks
        if view == "idle":
            page.context.close()
    page.click("#level-1")  # 非常不满意: why?
    page.wait_for_selector("body[data-screen=reason]")
    yield "reason", page, checks
    assert errors == []
    page.context.close()


def terminal_views(browser, hall):
    server, _, _, users = hall
    width, height = SIZES["terminal"][0]
    context = browser.new_context(viewport={"width": width, "height": height},
                                  locale="zh-CN", timezone_id="Asia/Shanghai")
    page, errors = new_tab(context, f"{server.url}/counter")
    sign_in_on_page(page, "wu", users["wu"])
    page.click("#choose-5")  # the window of every service, A1234 called there
    wait_live(page)
    page.wait_for_selector(f"#t-number:text('{NUMBER}')")
    checks = Checks(["#t-number", "#t-limit-left", ".ct-actions kbd", ".ct-q-waiting",
                     "#t-staff", ".ct-lang a"])
    yield "called", page, checks
    page.locator("body").press("s")
    page.wait_for_selector("#t-current[data-state=serving]")
    yield "serving", page, checks
    page.locator("body").press("f")
    page.locator("#outcome-done").press("3")  # 补正: every material is missing
    for box in page.locator("#finish-materials input").all():
        box.check()
    page.click("#finish-submit")
    page.wait_for_selector("#t-correction:not([hidden])")
    # the live echo can draw the 补正 list before the finish answer closes the form; a key
    # pressed while the form is open belongs to the form, so wait for it to close
    page.wait_for_selector("#dlg-finish:not([open])", state="attached")
    page.locator("body").press("p")
    page.wait_for_selector("#dlg-pause[open]")
    page.select_option("#pause-reason", LONG_PAUSE)
    page.click("#pause-submit")
    page.wait_for_selector(".ct-state[data-state=paused]")
    yield "paused", page, checks  # the 补正 list below the window and a long pause reason
    assert errors == []
    page.context.close()


def board_views(browser, hall):
    server, _, _, users = hall
    width, height = SIZES["board"][0]
    page, errors = page_signed_in_as(browser, f"{server.url}/admin/board", "chen",
                                     users["chen"], width=width, height=height)
    wait_live(page)
    page.wait_for_selector(f"#window-{COUNTERS}")
    page.wait_for_selector("#alerts li.alert")
    yield "board", page, Checks([".win-number", ".win-visit .ticket", ".badge", ".adm-nav a",
                                 ".adm-totals small", ".q-waiting"])
    assert errors == []
    page.context.close()


ROOMS = {"kiosk": kiosk_views, "hall-screen": hall_screen_views,
         "window-screen": window_screen_views, "pad": pad_views, "terminal": terminal_views,
         "board": board_views}


@pytest.mark.parametrize("room", list(SIZES))
def test_every_room_fits_its_screen_sizes(served_busy_hall, browser, artifacts, room):
    found: list[str] = []
    for view, page, checks in ROOMS[room](browser, served_busy_hall):
        for width, height in SIZES[room]:
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(400)  # pages that measure themselves do so after a resize
            for step in itertools.count():  # a paged view is looked at page by page
                shot = f"{room}-{view}-{width}x{height}" + (f"-{step + 1}" if step else "")
                page.screenshot(path=artifacts / f"{shot}.png")
                found += [f"{shot}: {p}" for p in problems(page, checks)]
                if checks.turn is None or not checks.turn(page):
                    break
    assert found == [], "\n".join(found)
