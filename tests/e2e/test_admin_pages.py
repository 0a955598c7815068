"""The supervision pages (issue 8): the live board, the reports page with its charts, the
monthly bulletin and the cases page, in headless Chromium against a real server process;
screenshots (and the bulletin as an A4 PDF) go to tests/artifacts/<test name>/. Checks
that need no browser use Flask's test client."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from hall.seed.history import generate
from hall.services.config import accounts
from tests.e2e.browsing import signed_in_page
from tests.e2e.conftest import SEEN, backdate_start

MONTH = date(2026, 10, 1)  # a closed month before the real clock's (the server's) today
NONEMPTY_PIXELS = """(id) => {
  const c = document.getElementById(id);
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
  return n;
}"""


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_board_follows_calls_clocks_and_alerts_live(live_hall, ctx, browser, artifacts):
    from playwright.sync_api import expect

    server, tokens, post = live_hall
    page, errors = signed_in_page(browser, ctx, f"{server.url}/admin/board")
    page.wait_for_function("() => document.body.dataset.live === 'live'", timeout=15000)
    expect(page.locator("#nav-board")).to_have_class("active")
    expect(page.locator("#window-1")).to_be_visible()
    first = post("/api/v1/tickets", "kiosk", service="hj")
    post("/api/v1/tickets", "kiosk", service="hj")
    expect(page.locator("#queue-hj .q-waiting")).to_have_text("2", timeout=SEEN)

    called = post("/api/v1/counters/1/call-next", "keypad1")
    number = called.get("number") or called["ticket"]["number"]
    assert number == first["number"]
    expect(page.locator("#window-1 .ticket")).to_have_text(number, timeout=SEEN)
    expect(page.locator("#queue-hj .q-waiting")).to_have_text("1", timeout=SEEN)
    post("/api/v1/counters/1/start", "keypad1")
    expect(page.locator("#window-1")).to_have_class(re.compile(r"\blimit-ok\b"), timeout=SEEN)
    # a countdown ticks in the page: mm:ss to the 20-minute limit of 户籍办理
    expect(page.locator("#window-1 .win-clock")).to_contain_text(re.compile(r"1\d:\d\d"))
    backdate_start(ctx, first["id"], 16)  # past the 15-minute warning point
    post("/api/v1/tickets", "kiosk", service="sfz")  # any event makes the board re-read
    expect(page.locator("#window-1")).to_have_class(re.compile(r"\blimit-warning\b"),
                                                    timeout=SEEN)
    backdate_start(ctx, first["id"], 21)
    post("/api/v1/tickets", "kiosk", service="sfz")
    expect(page.locator("#window-1")).to_have_class(re.compile(r"\blimit-over\b"),
                                                    timeout=SEEN)
    expect(page.locator("#window-2")).to_have_class(re.compile(r"\bidle\b"))

    post("/api/v1/devices/me/health", "kiosk", paper="out")  # raises an alert at once
    alert = page.locator("#alerts li.level-critical[data-kind=printer_paper_out]")
    expect(alert).to_have_count(1, timeout=SEEN)
    # the server's own watch may add the visit over its limit (the clock is real there)
    expect(page.locator("#total-alerts")).to_have_text(re.compile(r"^[12]$"))
    alert.locator("input[name=note]").fill("已换纸")
    alert.locator("button[type=submit]").click()
    expect(alert.locator(".alert-ack")).to_contain_text("已换纸", timeout=SEEN)
    page.screenshot(path=artifacts / "board-1600x1000.png", full_page=True)

    post("/api/v1/devices/me/health", "kiosk", paper="ok")  # the condition ends: cleared
    expect(alert).to_have_count(0, timeout=SEEN)
    assert page.evaluate("window.hallBoard.loads") >= 3  # re-read after events
    assert errors == []


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_month_report_draws_its_charts_and_the_bulletin_ranks_and_prints(
        live_hall, ctx, browser, artifacts):
    from playwright.sync_api import expect

    server, _tokens, _post = live_hall
    made = generate(ctx.engine, first=MONTH, days=12, per_day=60, seed=8)
    url = f"{server.url}/admin/reports?period=month&on={MONTH.isoformat()}&group=counter"
    page, errors = signed_in_page(browser, ctx, url)
    page.wait_for_function("() => document.body.dataset.charts === 'drawn'", timeout=15000)
    expect(page.locator("#report-meta")).to_contain_text("2026-10")
    for canvas in ("chart-hours", "chart-waits", "chart-ranking"):
        assert page.evaluate(NONEMPTY_PIXELS, canvas) > 500, canvas
    issued = page.evaluate("window.hallCharts.hours.data.datasets[0].data"
                           ".reduce((a, b) => a + b, 0)")
    assert issued == made["tickets"]
    ranking = page.evaluate("(({data, scales}) => ({labels: data.labels, values: "
                            "data.datasets[0].data, across: scales.y.type}))"
                            "(window.hallCharts.ranking)")
    assert len(ranking["labels"]) == 4 and ranking["across"] == "category"  # bars lie flat
    assert ranking["values"] == sorted(ranking["values"], reverse=True)
    rows = page.locator("#report-table tbody tr")
    expect(rows).to_have_count(5)  # four windows and the total
    assert rows.nth(4).locator("td").nth(1).inner_text() == str(made["tickets"])
    page.screenshot(path=artifacts / "reports-month.png", full_page=True)

    csv = page.evaluate("""async () => {
      const r = await fetch(document.getElementById('download-csv').href);
      return {status: r.status, type: r.headers.get('content-type'), body: await r.text()};
    }""")
    assert csv["status"] == 200 and csv["type"].startswith("text/csv")
    last = csv["body"].strip().splitlines()[-1].split(",")
    assert last[1] == str(made["tickets"])  # the page's total is the CSV's
    xlsx = page.evaluate("""async () => {
      const r = await fetch(document.getElementById('download-xlsx').href);
      return {status: r.status, size: (await r.arrayBuffer()).byteLength};
    }""")
    assert xlsx["status"] == 200 and xlsx["size"] > 2000

    page.select_option("#rank-by", "satisfaction_rate")
    values = page.evaluate("window.hallCharts.ranking.data.datasets[0].data")
    assert values == sorted(values, reverse=True) and len(values) == 4

    with page.expect_navigation():
        page.click("#nav-bulletin")
    expect(page.locator("#nav-bulletin")).to_have_class("active")
    page.goto(f"{server.url}/admin/reports/bulletin?month=2026-10")
    expect(page.locator("#bulletin-title")).to_have_text("测试大厅")
    expect(page.locator("#rank-windows tbody tr")).to_have_count(4)
    expect(page.locator("#rank-departments tbody tr")).to_have_count(2)
    ranks = page.locator("#rank-windows td.rank").all_inner_texts()
    assert ranks[0].startswith("1")
    sat = [float(t.rstrip("%")) for t in
           page.locator("#rank-windows tbody tr td:nth-child(3)").all_inner_texts()]
    assert sat == sorted(sat, reverse=True)
    page.screenshot(path=artifacts / "bulletin-screen.png", full_page=True)
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.querySelector('.adm-head')).display") \
        == "none"
    page.pdf(path=str(artifacts / "bulletin-A4.pdf"), format="A4", print_background=True)
    page.screenshot(path=artifacts / "bulletin-print.png", full_page=True)
    assert (artifacts / "bulletin-A4.pdf").stat().st_size > 10000
    assert errors == []


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_cases_page_filters_highlights_and_marks_a_case_done(
        live_hall, ctx, browser, artifacts):
    from playwright.sync_api import expect

    server, _tokens, _post = live_hall
    generate(ctx.engine, first=MONTH, days=12, per_day=40, seed=5)
    with ctx.engine.begin() as conn:  # two open cases: one overdue, one at its warning day
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        conn.execute(text("UPDATE cases SET state='done', done_on=due_date, "
                          "done_at=accepted_at WHERE state IN ('accepted', 'in_progress')"))
        ids = conn.execute(text("SELECT id FROM cases ORDER BY id LIMIT 2")).scalars().all()
        conn.execute(text("UPDATE cases SET state='accepted', done_on=NULL, done_at=NULL, "
                          "warning_date=:w, due_date=:d WHERE id=:id"),
                     [{"id": ids[0], "w": today - timedelta(days=5),
                       "d": today - timedelta(days=2)},
                      {"id": ids[1], "w": today - timedelta(days=1),
                       "d": today + timedelta(days=3)}])
        numbers = conn.execute(text("SELECT number FROM cases WHERE id IN (:a, :b) "
                                    "ORDER BY id"), {"a": ids[0], "b": ids[1]}).scalars().all()
        depts = conn.execute(text("SELECT id FROM departments ORDER BY id")).scalars().all()
        conn.execute(text(  # the yellow one runs in two parts (并联审批)
            "INSERT INTO case_parts (hall_id, case_id, seq, department_id, promised_days, "
            "accepted_on, due_date, warning_date, state, extension_days, suspended_days) "
            "SELECT hall_id, id, :seq, :dept, 3, accepted_on, due_date, warning_date, "
            "'accepted', 0, 0 FROM cases WHERE id = :id"),
            [{"seq": 1, "dept": depts[0], "id": ids[1]},
             {"seq": 2, "dept": depts[1], "id": ids[1]}])
    page, errors = signed_in_page(browser, ctx, f"{server.url}/admin/cases")
    expect(page.locator(f"#case-{numbers[0]}")).to_have_class(re.compile(r"urgency-red"),
                                                               timeout=SEEN)
    expect(page.locator(f"#case-{numbers[1]}")).to_have_class(re.compile(r"urgency-yellow"))
    # a case in parts: a row per part under it, acted on by part; the case follows them
    part = page.locator(f"#case-{numbers[1]}-part-1")
    expect(part).to_have_class(re.compile(r"state-accepted"))
    expect(page.locator(f"#case-{numbers[1]} button.finish")).to_have_count(0)
    part.locator("button.finish").click()
    expect(part).to_have_class(re.compile(r"state-done"), timeout=SEEN)
    expect(page.locator(f"#case-{numbers[1]}")).to_have_class(re.compile(r"state-in_progress"))
    page.screenshot(path=artifacts / "cases-parts.png", full_page=True)
    page.select_option("#filter-urgency", "red")
    expect(page.locator("#cases tr")).to_have_count(1, timeout=SEEN)
    page.screenshot(path=artifacts / "cases-red.png", full_page=True)
    page.click(f"#case-{numbers[0]} button.finish")
    expect(page.locator(f"#case-{numbers[0]}")).to_have_count(0, timeout=SEEN)  # not red now
    page.select_option("#filter-urgency", "")
    page.select_option("#filter-state", "done")
    expect(page.locator(f"#case-{numbers[0]}")).to_be_visible(timeout=SEEN)
    expect(page.locator(f"#case-{numbers[0]} button")).to_have_count(0)
    with ctx.engine.connect() as conn:
        state = conn.execute(text("SELECT state FROM cases WHERE id=:id"),
                             {"id": ids[0]}).scalar_one()
    assert state == "done"
    page.screenshot(path=artifacts / "cases-done.png", full_page=True)
    assert errors == []


# --- without a browser -----------------------------------------------------------------

PAGES = ("/admin/board", "/admin/reports", "/admin/reports/bulletin?month=2026-10",
         "/admin/cases")


def test_without_a_session_each_page_offers_the_sign_in_form(app, seeded):
    client = app.test_client()
    for path in PAGES:
        r = client.get(path)
        assert r.status_code == 200 and 'id="login-form"' in r.text, path
        assert 'id="nav-board"' not in r.text  # the navigation is for supervisors


def test_staff_who_are_not_supervisors_are_refused(staff_client):
    for path in PAGES:
        r = staff_client.get(path)
        assert r.status_code == 403 and 'id="error"' in r.text, path


def test_pages_allow_no_inline_script_and_keep_the_chosen_language(app, seeded):
    password = accounts.add_user(seeded, login="zhao", name="赵敏",
                                 role="supervisor").value["password"]
    client = app.test_client()
    client.post("/api/v1/auth/login", json={"login": "zhao", "password": password})
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
    for path in PAGES:
        r = client.get(path)
        assert r.status_code == 200, path
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert not inline.search(r.text), path
        assert re.search(r'<html lang="zh-CN"', r.text)
    english = client.get("/admin/board?lang=en")
    assert '<html lang="en"' in english.text and ">Board<" in english.text
    assert '<html lang="en"' in client.get("/admin/cases").text  # it stuck for the session
    with client.get("/display/vendor/chart.js/dist/chart.umd.min.js") as chart:
        assert chart.status_code == 200 and b"Chart" in chart.data
    assert client.get("/display/vendor/chart.js/package.json").status_code == 404


def test_the_reports_page_names_a_bad_field_and_agrees_with_the_csv(app, seeded, clock):
    password = accounts.add_user(seeded, login="zhao", name="赵敏",
                                 role="supervisor").value["password"]
    client = app.test_client()
    client.post("/api/v1/auth/login", json={"login": "zhao", "password": password})
    bad = client.get("/admin/reports?period=range&on=2026-11-05&end=2026-11-01")
    assert bad.status_code == 400 and 'data-field="end"' in bad.text
    assert client.get("/admin/reports?group=planet").status_code == 400
    assert client.get("/admin/reports/bulletin?month=2026-13").status_code == 400
    generate(seeded.engine, first=date(2026, 11, 2), days=5, per_day=30, seed=2)
    query = "period=week&on=2026-11-04&group=service&lang=en"
    page = client.get(f"/admin/reports?{query}").text
    csv = client.get(f"/api/v1/reports?{query}&format=csv").text.lstrip("\ufeff")
    head = csv.splitlines()[0].split(",")
    cells = re.findall(r'<td class="num[^"]*"[^>]*>([^<]*)</td>', page.split('class="total"')[1])
    total = csv.strip().splitlines()[-1].split(",")
    # the page has every column of the CSV but the CSV's closing "met / missed target" ones
    # (a page shows those as the cells' colours)
    marked = sum(": target " in h for h in head)
    assert len(cells) == len(head) - 1 - marked
    head, total = head[:len(cells) + 1], total[:len(cells) + 1]
    for got, want, name in zip(cells, total[1:], head[1:], strict=True):
        if name.endswith(" %"):  # the page shows 12.3%, the CSV 12.3
            assert got == ("–" if want == "" else f"{float(want):.1f}%"), name
        elif want == "":
            assert got == "–", name
        else:
            assert float(got) == float(want), name


@pytest.mark.parametrize(("zone", "today", "last_month"),
                         [("America/New_York", "2026-11-30", "2026-10"),
                          ("Asia/Shanghai", "2026-12-01", "2026-11")])
def test_reports_take_today_from_the_halls_own_zone(app, seeded, clock, zone, today,
                                                    last_month):
    """01:00 UTC on 1 December: Beijing (the app's default zone) is in December, New York
    is still in November. The pages follow the hall, whatever the app's default."""
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Shanghai"
    with seeded.engine.begin() as conn:
        conn.execute(text("UPDATE halls SET timezone = :tz"), {"tz": zone})
    seeded.cache.clear()
    clock.current = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    password = accounts.add_user(seeded, login="zhao", name="赵敏",
                                 role="supervisor").value["password"]
    client = app.test_client()
    client.post("/api/v1/auth/login", json={"login": "zhao", "password": password})
    page = client.get("/admin/reports").text
    assert f'id="on" value="{today}"' in page
    assert f'data-tz="{zone}"' in page  # the page's scripts show times in the hall's zone
    bulletin = client.get("/admin/reports/bulletin").text
    assert f'id="month" value="{last_month}"' in bulletin
    assert today in bulletin  # "produced on <the hall's today>"


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_supervisor_urges_and_admonishes_from_the_board_cases_and_follow_ups(
        live_hall, ctx, browser, artifacts):
    """催办 a window from its card on the board; 效能告诫 from an alert (the board), a case
    (the cases page) and a bad review (the follow-ups page), each with its evidence; a
    case extended on the cases page links the applicant's notice to print."""
    import requests
    from playwright.sync_api import expect

    server, _tokens, post = live_hall
    pad = accounts.add_device(ctx, kind="pad", counter_number=1).value
    made = accounts.add_user(ctx, login="li", name="李娜").value
    li = requests.Session()
    signed = li.post(f"{server.url}/api/v1/auth/login", timeout=5,
                     json={"login": "li", "password": made["password"]}).json()
    li.headers["X-CSRFToken"] = signed["csrf_token"]

    def at_window(path: str, **body):
        r = li.post(f"{server.url}/api/v1/counters/1/{path}", json=body, timeout=5)
        assert r.status_code == 200, r.text

    at_window("sign-in")
    rated = post("/api/v1/tickets", "kiosk", service="hj")
    post("/api/v1/tickets", "kiosk", service="hj")
    for outcome in ("done", "accepted"):  # a visit she finished, then a case she accepted
        at_window("call-next")
        at_window("start")
        at_window("finish", outcome=outcome, **({"applicant": "张三"}
                                                if outcome == "accepted" else {}))
    r = requests.post(f"{server.url}/api/v1/tickets/{rated['id']}/rating", timeout=5,
                      json={"level": 1, "reason": "服务态度差"},
                      headers={"Authorization": f"Bearer {pad['token']}"})
    assert r.status_code < 300, r.text  # a bad review: an alert at window 1, a follow-up

    page, errors = signed_in_page(browser, ctx, f"{server.url}/admin/board")
    answers: list[str] = []
    page.on("dialog", lambda d: d.accept(answers.pop(0)))
    card = page.locator("#window-1")
    expect(card.locator(".win-staff")).to_contain_text("李娜", timeout=SEEN)
    answers[:] = ["排队较长，请加快"]
    card.locator("button.win-urge").click()
    expect(page.locator("#board-message")).to_contain_text("1", timeout=SEEN)
    alert = page.locator("#alerts li", has=page.locator("button.win-admonish"))
    expect(alert).to_have_count(1, timeout=SEEN)
    alert_id = alert.get_attribute("data-id")
    answers[:] = ["2", "对群众态度生硬"]
    alert.locator("button.win-admonish").click()
    expect(page.locator("#board-message")).to_contain_text("李娜", timeout=SEEN)
    page.screenshot(path=artifacts / "board-urge-admonish.png", full_page=True)

    with ctx.engine.connect() as conn:
        number = conn.execute(text("SELECT number FROM cases")).scalar_one()
        follow_up = conn.execute(text("SELECT id FROM follow_ups")).scalar_one()
    page.goto(f"{server.url}/admin/cases")
    answers[:] = ["1", "受理材料未当场核验"]
    page.locator(f"#case-{number} button.admonish").click()
    expect(page.locator("#message")).to_contain_text(number, timeout=SEEN)
    # 延期 on the page, then the applicant's notice to print, linked from the case
    answers[:] = ["3", "需现场核查"]
    page.locator(f"#case-{number} button.extend").click()
    notice = page.locator(f"#case-{number} a.extension-notice")
    expect(notice).to_be_visible(timeout=SEEN)
    paper = page.request.get(server.url + notice.get_attribute("href"))
    assert paper.status == 200 and "需现场核查" in paper.text()
    page.goto(f"{server.url}/admin/followups")
    page.locator(f"#followup-{follow_up}").click()
    answers[:] = ["3", "差评属实"]
    page.locator("#admonish-submit").click()
    expect(page.locator("#fu-message")).to_contain_text("李娜", timeout=SEEN)

    with ctx.engine.connect() as conn:
        urged = conn.execute(text("SELECT counter_id, note, case_id FROM urgings")).all()
        given = conn.execute(text("SELECT level, staff_id, reason, evidence_kind, evidence_ref "
                                  "FROM admonitions ORDER BY id")).all()
    assert [tuple(u) for u in urged] == [(1, "排队较长，请加快", None)]
    assert [tuple(a) for a in given] == [
        ("admonition", made["id"], "对群众态度生硬", "alert", alert_id),
        ("reminder", made["id"], "受理材料未当场核验", "case", number),
        ("criticism", made["id"], "差评属实", "rating", f"ticket:{rated['id']}")]
    assert answers == [] and errors == []
