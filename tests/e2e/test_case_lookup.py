"""办件查询: a visitor looks a case up by its number and look-up code — the public API's due
state (SQLite and PostgreSQL, injected clock), the second factor and the rate limit, the
phone page /case (forgiving input, strict CSP), and both the phone page and the kiosk's
touch screen in headless Chromium against a real server process. Screenshots go to
tests/artifacts/<test name>/ for review.

The browser tests' server runs on real time, so their cases are dated from today."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text, update

from hall.services.config import accounts
from hall.store.models import Case
from kiosk.case_lookup import normalize
from tests.conftest import add_case
from tests.e2e.conftest import SEEN, SQLITE_ONLY, open_kiosk
from tests.e2e.hall_world import make_app
from tests.e2e.server import running_hall


def ids(ctx) -> dict:
    with ctx.engine.connect() as conn:
        return {"id": conn.execute(text("SELECT id FROM halls")).scalar_one(),
                "services": dict(conn.execute(text("SELECT code, id FROM services")).all()),
                "counters": dict(conn.execute(text("SELECT number, id FROM counters")).all())}


def codes(ctx) -> dict[str, str]:
    """Each case's look-up code (查询码, on its receipt), by number."""
    with ctx.engine.connect() as conn:
        return dict(conn.execute(text("SELECT number, lookup_code FROM cases")).all())


def close_case(ctx, number: str, state: str, on: date) -> None:
    with ctx.engine.begin() as conn:
        conn.execute(update(Case).where(Case.number == number).values(
            state=state, done_on=on, done_at=datetime(on.year, on.month, on.day, 3, tzinfo=UTC)))


def dated_cases(ctx, today: date) -> dict[str, str]:
    """One case in each due state around ``today``; their numbers by what they show."""
    hall = ids(ctx)
    n = {}

    def add(key: str, accepted: date, warning: date, due: date, seq: int) -> None:
        n[key] = f"TEST-{accepted:%Y%m%d}-{seq:04d}"
        add_case(ctx, hall, n[key], accepted, warning, due)

    d = timedelta(days=1)
    add("red", today - 10 * d, today - 3 * d, today - 2 * d, 1)  # due two days ago
    add("yellow", today - 4 * d, today, today + d, 2)  # the warning point is today
    add("normal", today, today + 5 * d, today + 7 * d, 3)
    add("done", today - 10 * d, today - 3 * d, today - 2 * d, 4)  # late, but finished
    close_case(ctx, n["done"], "done", today - d)
    add("returned", today - 4 * d, today - d, today + d, 5)
    close_case(ctx, n["returned"], "returned", today)
    return n


# --- the API -------------------------------------------------------------------------------

def test_the_public_case_answer_says_whether_it_is_on_time(app, seeded, clock):
    today = date(2026, 11, 23)  # the clock: Monday 10:00 in Shanghai
    n = dated_cases(seeded, today)
    code = codes(seeded)
    client = app.test_client()  # no session, no token: the look-up is public

    def look(number: str, **kw):
        return client.get(f"/api/v1/cases/{number}",
                          query_string={"code": code.get(number.upper(), "000000"), **kw})

    red = look(n["red"].lower())
    assert red.status_code == 200
    assert red.json == {"number": n["red"], "service": "户籍办理", "state": "accepted",
                        "accepted_on": "2026-11-13", "due_date": "2026-11-21",
                        "applicant": "张*", "done_on": None,
                        "service_en": "Household registration",
                        "warning_date": "2026-11-20", "urgency": "red",
                        "extension_days": 0, "extension_reason": None,
                        "suspended_days": 0, "suspended_on": None, "suspend_reason": None,
                        "fast_track": False, "parts": []}  # not 绿色通道, not in parts
    urgency = {k: look(v).json["urgency"] for k, v in n.items()}
    assert urgency == {"red": "red", "yellow": "yellow", "normal": "normal",
                       "done": "normal", "returned": "normal"}  # closed cases run no clock
    done = look(n["done"]).json
    assert done["state"] == "done" and done["done_on"] == "2026-11-22"

    # Wednesday 00:30 in Shanghai (Tuesday in UTC): the hall's day decides, not UTC's
    clock.current = datetime(2026, 11, 24, 16, 30, tzinfo=UTC)
    assert look(n["yellow"]).json["urgency"] == "red"
    assert look(n["normal"]).json["urgency"] == "normal"

    unknown = look("TEST-20261123-9999", lang="en")
    assert unknown.status_code == 404
    assert unknown.json["error"]["field"] == "number"
    assert unknown.json["error"]["code"] == "case_not_found"


def test_case_lookup_needs_second_factor(db_url, clock, tmp_path):
    """Case numbers are sequential per day: the number alone shows nothing, on the API or
    the page. The look-up code printed on the 受理回执 (and shown on the ticket holder's
    phone page) opens the case; a wrong code answers as an unknown number does; look-ups
    are rate-limited per address (a kiosk counts on its own)."""
    from hall.domain.access import Actor
    from hall.services.cases import documents
    from hall.services.config.layout.seed import load_layout, seed
    from hall.services.counters import state as counters
    from hall.services.queue import calling, tickets, visits
    from tests.conftest import DATA

    app = make_app(db_url, clock, tmp_path, RATELIMIT_ENABLED=True)
    ctx = app.extensions["hall"]
    seed(ctx, load_layout(DATA / "small_hall.toml"))
    hall = ids(ctx)
    with ctx.engine.connect() as conn:
        li = conn.execute(text("SELECT id FROM staff WHERE login = 'li'")).scalar_one()
    counters.sign_in(ctx, counter_id=hall["counters"][1], staff_id=li)
    staff = Actor("staff", li, hall["id"], "staff", hall["counters"][1])
    kiosk = accounts.add_device(ctx, kind="kiosk").value
    opened = []
    for _ in range(3):  # three 受理 today: TEST-20261123-0001 … 0003
        t = tickets.issue(ctx, hall_id=hall["id"], service="hj",
                          actor=Actor("device", kiosk["id"], hall["id"], "kiosk")).value
        calling.call_next(ctx, counter_id=hall["counters"][1], actor=staff)
        calling.start(ctx, counter_id=hall["counters"][1], actor=staff)
        done = visits.finish(ctx, counter_id=hall["counters"][1], actor=staff,
                             outcome="accepted", applicant="张三").value
        opened.append((t, done["case"]))
    ticket, case = opened[1]
    number, code = case["number"], case["lookup_code"]
    assert number == "TEST-20261123-0002" and re.fullmatch(r"\d{6}", code)
    assert codes(ctx)[number] == code  # what the finish said is what is kept
    receipt = documents.document(ctx, ticket_id=ticket["id"], actor=staff,
                                 base_url="https://hall.example.cn")
    fields = {line["label"]: line["text"] for line in receipt["lines"]}
    assert fields["Case number"] == number and fields["Look-up code"] == code
    assert receipt["qr_url"] == f"https://hall.example.cn/case/{number}?code={code}"
    client = app.test_client()
    phone = client.get(f"/api/v1/tickets/{ticket['token']}").json  # the ticket's holder
    assert phone["case"]["number"] == number and phone["case"]["lookup_code"] == code

    # the number alone: nothing, for the API and the page alike
    bare = client.get(f"/api/v1/cases/{number}")
    assert bare.status_code == 422 and bare.json["error"]["field"] == "code"
    page = client.get(f"/case/{number}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="c-case"' not in html and 'id="c-code"' in html
    assert "户籍办理" not in html and "张*" not in html
    wrong_code = "000000" if code != "000000" else "111111"
    wrong = client.get(f"/api/v1/cases/{number}", query_string={"code": wrong_code})
    unknown = client.get("/api/v1/cases/TEST-20261123-0099", query_string={"code": code})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json == unknown.json  # a wrong code tells nothing an unknown number doesn't
    other = opened[0][1]["number"]  # the day's neighbour, with this receipt's code: nothing
    assert client.get(f"/api/v1/cases/{other}", query_string={"code": code}).status_code \
        == (200 if opened[0][1]["lookup_code"] == code else 404)
    page = client.get(f"/case/{number}", query_string={"code": wrong_code})
    assert page.status_code == 404 and 'id="c-case"' not in page.get_data(as_text=True)

    # the number and the code: the case (spaces and full-width digits forgiven)
    right = client.get(f"/api/v1/cases/{number.lower()}",
                       query_string={"code": f" {code[:3]} {code[3:]} "})
    assert right.status_code == 200 and right.json["number"] == number
    assert right.json["applicant"] == "张*"
    wide = "".join(chr(ord(d) + 0xFEE0) for d in code)
    page = client.get(f"/case/{number}", query_string={"code": wide})
    assert page.status_code == 200 and 'id="c-case"' in page.get_data(as_text=True)

    # twenty look-ups a minute from one address, then 429 naming the code; a kiosk counts
    # on its own
    for _ in range(20 - 8):
        client.get(f"/api/v1/cases/{number}", query_string={"code": wrong_code})
    limited = client.get(f"/api/v1/cases/{number}", query_string={"code": code})
    assert limited.status_code == 429 and limited.json["error"]["field"] == "code"
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    assert client.get(f"/case/{number}", query_string={"code": code}).status_code == 429
    at_kiosk = client.get(f"/api/v1/cases/{number}", query_string={"code": code},
                          headers={"Authorization": f"Bearer {kiosk['token']}"})
    assert at_kiosk.status_code == 200
    ctx.engine.dispose()


# --- the phone page without a browser ------------------------------------------------------

@pytest.mark.parametrize(("typed", "meant"), [
    ("SMZX-20261123-0007", "SMZX-20261123-0007"),
    ("smzx-20261123-0007", "SMZX-20261123-0007"),
    ("  smzx 20261123 0007 ", "SMZX-20261123-0007"),
    ("SMZX202611230007", "SMZX-20261123-0007"),
    ("ｓｍｚｘ－２０２６１１２３－０００７", "SMZX-20261123-0007"),  # a phone's full-width IME
    ("SMZX—20261123—0007", "SMZX-20261123-0007"),
    ("20261123 0007", "TEST-20261123-0007"),  # only the digits: this hall's code in front
    ("ZX2-20261123-0007", "ZX2-20261123-0007"),
    ("SMZX-20261323-0007", "SMZX-20261323-0007"),  # no 13th month: left as typed, unknown
    ("hello world", "HELLO-WORLD"),
])
def test_a_typed_case_number_is_read_the_way_the_visitor_meant_it(typed, meant):
    assert normalize(typed, "TEST") == meant


@SQLITE_ONLY
def test_the_case_page_forgives_the_typing_and_has_a_strict_policy(app, seeded):
    n = dated_cases(seeded, date(2026, 11, 23))
    code = codes(seeded)
    client = app.test_client()
    form = client.get("/case")
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None and " style=" not in html
    assert "script-src 'self'" in form.headers["Content-Security-Policy"]
    assert "TEST-20261123-0001" in html  # the example uses this hall's code and today

    red = code[n["red"]]
    typed = client.get("/case", query_string={"number": n["red"].lower().replace("-", " "),
                                              "code": red})
    assert typed.status_code == 303
    assert typed.headers["Location"] == f"/case/{n['red']}?code={red}"
    assert client.get(f"/case/{n['red'].lower()}").headers["Location"] == f"/case/{n['red']}"
    english = client.get("/case", query_string={"number": n["red"][5:], "lang": "en"})
    assert english.headers["Location"] == f"/case/{n['red']}?lang=en"

    answer = client.get(f"/case/{n['red']}?code={red}")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    page = answer.get_data(as_text=True)
    assert 'data-urgency="red"' in page and "已超期" in page and "12345" in page
    assert "户籍办理" in page and "2026年11月21日" in page  # the due date, in words
    done = client.get(f"/case/{n['done']}?lang=en&code={code[n['done']]}").get_data(
        as_text=True)
    assert 'data-urgency="closed"' in done and "Household registration" in done
    assert "November 22, 2026" in done and "Overdue" not in done

    unknown = client.get("/case/TEST-20261123-0999?code=123456")
    assert unknown.status_code == 404 and "text/html" in unknown.content_type
    assert "TEST-20261123-0999" in unknown.get_data(as_text=True)
    empty = client.get("/case?number=+")
    assert empty.status_code == 200 and 'id="c-case"' not in empty.get_data(as_text=True)
    with client.get("/kiosk/static/case/case.js") as js:
        assert js.status_code == 200 and "javascript" in js.mimetype


@SQLITE_ONLY
def test_only_a_kiosk_learns_its_hall_code_for_the_touch_screen(app, seeded):
    kiosk = accounts.add_device(seeded, kind="kiosk").value
    other = accounts.add_device(seeded, kind="kiosk").value
    client = app.test_client()
    url = f"/kiosk/{kiosk['id']}/case-prefix"
    answer = client.get(url, headers={"Authorization": f"Bearer {kiosk['token']}"})
    assert answer.status_code == 200 and answer.json == {"prefix": "TEST"}
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": f"Bearer {other['token']}"}
                      ).status_code == 403


# --- in the browser ----------------------------------------------------------------------

@pytest.fixture
def case_hall(ctx, db_url, tmp_path):
    """The test hall served by a real process (on real time), with a case in each state."""
    with running_hall(ctx, db_url, tmp_path) as (server, tokens, post):
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        n = dated_cases(ctx, today)
        yield server, tokens, n, codes(ctx)


def open_phone(browser, url: str):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", has_touch=True, is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # a resource that fails (the page itself may answer 404 for an unknown number)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and "/case/" not in r.url
            else None)
    page.goto(url)
    return page, errors


@pytest.mark.slow
@pytest.mark.browser
@SQLITE_ONLY
def test_a_visitor_looks_a_case_up_on_a_phone(case_hall, browser, artifacts):
    from playwright.sync_api import expect

    server, _, n, code = case_hall
    page, errors = open_phone(browser, f"{server.url}/case")
    page.screenshot(path=artifacts / "1-form-360.png", full_page=True)
    page.locator("#c-form button[type=submit]").click()  # nothing typed: said on the spot
    expect(page.locator("#c-problem")).to_be_visible()
    assert page.url.endswith("/case")

    page.locator("#c-number").fill(n["red"].lower().replace("-", " "))
    page.locator("#c-form button[type=submit]").click()  # no code: said on the spot
    expect(page.locator("#c-problem")).to_have_text("请输入查询码")
    expect(page.locator("#c-code")).to_be_focused()
    page.locator("#c-code").fill(code[n["red"]])
    page.locator("#c-form button[type=submit]").click()
    card = page.locator("#c-case")
    expect(card).to_have_attribute("data-urgency", "red", timeout=SEEN)
    assert page.url.endswith(f"/case/{n['red']}?code={code[n['red']]}")  # the receipt's QR
    expect(page.locator("#c-case-number")).to_have_text(n["red"])
    expect(page.locator("#c-service")).to_have_text("户籍办理")
    expect(page.locator("#c-state")).to_have_text("已受理")
    expect(page.locator("#c-overdue")).to_contain_text("已超期")
    expect(page.locator("#c-overdue")).to_contain_text("12345")
    expect(page.locator("#c-due")).to_contain_text("年")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=artifacts / "2-overdue-360.png", full_page=True)

    page.locator("#c-number").fill(n["yellow"])
    page.locator("#c-code").fill(code[n["yellow"]])
    page.locator("#c-form button[type=submit]").click()
    expect(card).to_have_attribute("data-urgency", "yellow", timeout=SEEN)
    expect(page.locator("#c-overdue")).to_have_count(0)
    page.screenshot(path=artifacts / "3-due-soon-360.png", full_page=True)

    page.goto(f"{server.url}/case/{n['done']}?code={code[n['done']]}")
    expect(card).to_have_attribute("data-state", "done")
    expect(page.locator("#c-state")).to_have_text("已办结")
    expect(page.locator("#c-done")).to_be_visible()
    page.screenshot(path=artifacts / "4-done-360.png", full_page=True)

    page.locator("#c-number").fill("TEST-20200101-0042")
    page.locator("#c-code").fill("123456")
    page.locator("#c-form button[type=submit]").click()
    expect(page.locator("#c-problem")).to_contain_text("TEST-20200101-0042", timeout=SEEN)
    expect(page.locator("#c-case")).to_have_count(0)
    page.screenshot(path=artifacts / "5-unknown-360.png", full_page=True)

    page.goto(f"{server.url}/case/{n['returned']}?lang=en&code={code[n['returned']]}")
    expect(page.locator("#c-state")).to_have_text("Returned")
    expect(page.locator("#c-service")).to_have_text("Household registration")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.screenshot(path=artifacts / "6-returned-en-360.png", full_page=True)
    assert errors == []


def type_digits(page, number: str) -> None:
    """The digits of a case number on the kiosk's pad (its letters are filled in)."""
    for key in re.sub(r"\D", "", number):
        page.locator(f"#case-pad [data-key='{key}']").click()


def type_case(page, number: str, code: str) -> None:
    """The number, 下一步, then its look-up code, on the kiosk's pad; not yet 查询."""
    from playwright.sync_api import expect

    type_digits(page, number)
    page.locator("#case-ok").click()
    expect(page.locator("#case-hint")).to_contain_text("查询码")
    type_digits(page, code)


@pytest.mark.slow
@pytest.mark.browser
@SQLITE_ONLY
def test_a_visitor_looks_a_case_up_on_the_kiosk(case_hall, browser, artifacts):
    from playwright.sync_api import expect

    server, tokens, n, code = case_hall
    page, errors = open_kiosk(browser, server, tokens["kiosk"])
    button = page.locator("#k-case")
    expect(button).to_be_visible()
    assert button.bounding_box()["height"] >= 96 / 25.4 * 15  # a 15 mm touch target
    page.screenshot(path=artifacts / "1-home.png")
    button.click()
    expect(page.locator("#screen-case")).to_be_visible()
    expect(page.locator("#case-prefix")).to_have_text("TEST-", timeout=SEEN)
    type_digits(page, n["red"][:9])  # part of the date
    expect(page.locator("#case-entry")).to_have_text(f"{n['red'][:9]}____-____")
    page.locator("#case-ok").click()  # too short: said, nothing asked
    expect(page.locator("#k-error")).to_be_visible()
    page.locator("#k-error-ok").click()
    page.locator("#case-pad [data-key=clear]").click()
    type_digits(page, n["red"])
    expect(page.locator("#case-entry")).to_have_text(n["red"])
    page.screenshot(path=artifacts / "2-typed.png")
    page.locator("#case-ok").click()  # 下一步: the look-up code
    expect(page.locator("#case-entry")).to_have_text("查询码 ______")
    type_digits(page, code[n["red"]][:3])
    page.locator("#case-ok").click()  # too short: said, nothing asked
    expect(page.locator("#k-error")).to_be_visible()
    page.locator("#k-error-ok").click()
    type_digits(page, code[n["red"]][3:])
    expect(page.locator("#case-entry")).to_have_text(f"查询码 {code[n['red']]}")
    page.screenshot(path=artifacts / "2-code.png")
    page.locator("#case-ok").click()

    card = page.locator("#case-card")
    expect(page.locator("#screen-case-result")).to_be_visible(timeout=SEEN)
    expect(card).to_have_attribute("data-urgency", "red")
    expect(page.locator("#cr-number")).to_have_text(n["red"])
    expect(page.locator("#cr-service")).to_have_text("户籍办理")
    expect(page.locator("#cr-state")).to_have_text("已受理")
    expect(page.locator("#cr-overdue")).to_be_visible()
    expect(page.locator("#cr-overdue")).to_contain_text("已超期")
    expect(page.locator("#cr-facts")).to_contain_text("承诺办结日期")
    size = page.evaluate("parseFloat(getComputedStyle(document.getElementById('cr-state'))"
                         ".fontSize)")
    assert size >= 44  # readable from a step back
    page.screenshot(path=artifacts / "3-overdue.png")

    page.locator("#cr-again").click()
    expect(page.locator("#case-entry")).to_have_text("TEST-________-____")
    type_case(page, n["done"], code[n["done"]])
    page.locator("#case-ok").click()
    expect(card).to_have_attribute("data-state", "done", timeout=SEEN)
    expect(page.locator("#cr-state")).to_have_text("已办结")
    expect(page.locator("#cr-overdue")).to_be_hidden()
    page.screenshot(path=artifacts / "4-done.png")

    page.locator("#cr-again").click()
    type_case(page, "202001010042", "123456")
    page.locator("#case-ok").click()
    expect(page.locator("#k-error")).to_be_visible(timeout=SEEN)
    expect(page.locator("#k-error-text")).to_contain_text("TEST-20200101-0042")
    expect(page.locator("#screen-case")).to_be_visible()  # back where the number is typed
    expect(page.locator("#case-entry")).to_have_text("TEST-20200101-0042")
    page.screenshot(path=artifacts / "5-unknown.png")
    page.locator("#k-error-ok").click()
    page.locator("[data-go=home]:visible").click()
    expect(page.locator("#screen-home")).to_be_visible()
    assert errors == []


@pytest.mark.slow
@pytest.mark.browser
@SQLITE_ONLY
def test_the_kiosk_case_screens_work_in_elder_mode_and_return_to_the_start(
        case_hall, browser, artifacts):
    from playwright.sync_api import expect

    server, tokens, n, code = case_hall
    page, errors = open_kiosk(browser, server, tokens["kiosk"], "idle=12", width=1920,
                              height=1080)
    page.locator("#k-elder").click()
    expect(page.locator("body")).to_have_class(re.compile(r"\belder\b"))
    page.screenshot(path=artifacts / "1-elder-home.png")
    page.locator("#k-case").click()
    expect(page.locator("#case-prefix")).to_have_text("TEST-", timeout=SEEN)
    key = page.locator("#case-pad [data-key='5']").bounding_box()
    assert key["height"] >= 1.3 * 104  # the landscape key, scaled up
    type_case(page, n["red"], code[n["red"]])
    page.screenshot(path=artifacts / "2-elder-typed.png", full_page=True)
    look_up = page.locator("#case-ok").bounding_box()
    assert look_up["y"] + look_up["height"] <= 1080  # on screen, no scrolling for it
    page.locator("#case-ok").click()
    expect(page.locator("#cr-overdue")).to_be_visible(timeout=SEEN)
    page.screenshot(path=artifacts / "3-elder-overdue.png", full_page=True)
    done = page.locator("#screen-case-result [data-go=home]").bounding_box()
    assert done["y"] + done["height"] <= 1080  # the longest answer still fits

    page.locator("#cr-again").click()
    type_case(page, n["yellow"], code[n["yellow"]])
    page.locator("#case-ok").click()
    expect(page.locator("#case-card")).to_have_attribute("data-urgency", "yellow",
                                                         timeout=SEEN)
    expect(page.locator("#cr-overdue")).to_be_hidden()
    size = page.evaluate("parseFloat(getComputedStyle(document.getElementById('cr-state'))"
                         ".fontSize)")
    assert size >= 1.3 * 48
    page.screenshot(path=artifacts / "4-elder-due-soon.png", full_page=True)

    # nobody touches it: the countdown, then the start for the next visitor
    page.clock.fast_forward(9000)  # of its 12 s (the kiosk's clock is Playwright's)
    expect(page.locator("#k-countdown")).to_be_visible(timeout=SEEN)
    page.clock.fast_forward(4000)
    expect(page.locator("#screen-home")).to_be_visible(timeout=SEEN)
    expect(page.locator("body")).not_to_have_class(re.compile(r"\belder\b"))
    page.screenshot(path=artifacts / "5-back-home.png")
    assert errors == []
