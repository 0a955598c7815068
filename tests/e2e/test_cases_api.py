"""办件 over HTTP: staff list by urgency and finish; visitors look a case up by number."""
from __future__ import annotations

from datetime import date

from hall.services.config import accounts
from tests.conftest import add_case
from tests.e2e.conftest import err, issue, sign_in_at_counter


def test_supervisors_list_and_finish_a_case_and_the_visitor_sees_it_done(app, seeded):
    with seeded.engine.connect() as conn:
        from sqlalchemy import text
        hall = {"id": conn.execute(text("SELECT id FROM halls")).scalar_one(),
                "services": dict(conn.execute(text("SELECT code, id FROM services")).all()),
                "counters": dict(conn.execute(text("SELECT number, id FROM counters")).all())}
    add_case(seeded, hall, "T-20261116-0001", date(2026, 11, 16), date(2026, 11, 19),
             date(2026, 11, 20))
    password = accounts.add_user(seeded, login="li", name="李娜",
                                 role="supervisor").value["password"]
    client = app.test_client()
    login = client.post("/api/v1/auth/login", json={"login": "li", "password": password}).json
    csrf = {"X-CSRFToken": login["csrf_token"]}
    red = client.get("/api/v1/cases?urgency=red").json
    assert [c["number"] for c in red["cases"]] == ["T-20261116-0001"]
    done = client.post("/api/v1/cases/T-20261116-0001/finish", json={"note": "已出证"},
                       headers=csrf)
    assert done.status_code == 200 and done.json["on_time"] is False
    again = client.post("/api/v1/cases/T-20261116-0001/finish", json={}, headers=csrf)
    assert again.status_code == 409 and again.json["error"]["field"] == "state"
    with seeded.engine.connect() as conn:
        code = conn.execute(text("SELECT lookup_code FROM cases")).scalar_one()
    public = app.test_client().get(f"/api/v1/cases/T-20261116-0001?code={code}").json
    assert public["state"] == "done" and public["done_on"] == "2026-11-23"
    bad = client.get("/api/v1/cases?urgency=purple")
    assert bad.status_code == 422 and bad.json["error"]["field"] == "urgency"
    assert app.test_client().get("/api/v1/cases").status_code == 401


def test_a_case_in_parts_is_opened_acted_on_by_part_and_read_with_its_parts(
        app, seeded, login_as, kiosk_headers):
    """并联审批 over HTTP: the window accepts a case in parts (fast-track), a supervisor
    acts on one part, the list and the public look-up show the parts; bad bodies are 422
    naming the field."""
    staff, boss = login_as("li", "staff", "李娜"), login_as("wang", "supervisor", "王强")
    with seeded.engine.connect() as conn:
        from sqlalchemy import text
        dept = dict(conn.execute(text("SELECT code, id FROM departments")).all())
    assert issue(app.test_client(), kiosk_headers).status_code == 201
    sign_in_at_counter(staff)
    for step in ("call-next", "start"):
        assert staff.post(f"/api/v1/counters/1/{step}", headers=staff.csrf).status_code == 200
    parts = [{"department_id": dept["gaj"], "promised_days": 3},
             {"department_id": dept["swj"], "promised_days": 7}]
    finish = "/api/v1/counters/1/finish"
    err(staff.post(finish, json={"outcome": "accepted", "parts": [
        {"department_id": dept["gaj"], "promised_days": "3"}]}, headers=staff.csrf),
        422, "invalid", "parts.0.promised_days")  # strict: a number, not text
    err(staff.post(finish, json={"outcome": "accepted", "parts": parts[:1]},
                   headers=staff.csrf), 422, "parts_count", "parts")
    err(staff.post(finish, json={"outcome": "accepted", "fast_track": 1},
                   headers=staff.csrf), 422, "invalid", "fast_track")
    done = staff.post(finish, json={"outcome": "accepted", "fast_track": True,
                                    "parts": parts}, headers=staff.csrf)
    assert done.status_code == 200, done.json
    case = done.json["case"]
    # fast-track (户籍办理: 2 working days): neither part is promised more
    assert case["fast_track"] is True and case["due_date"] == "2026-11-25"
    assert [(p["part"], p["promised_days"]) for p in case["parts"]] == [(1, 2), (2, 2)]
    number = case["number"]

    acted = boss.post(f"/api/v1/cases/{number}/parts/1/finish", json={"note": "已出证"},
                      headers=boss.csrf)
    assert acted.status_code == 200, acted.json
    assert (acted.json["part"], acted.json["state"], acted.json["case_state"]) == \
        (1, "done", "in_progress")
    err(boss.post(f"/api/v1/cases/{number}/finish", json={}, headers=boss.csrf),
        409, "case_in_parts", "part")
    err(boss.post(f"/api/v1/cases/{number}/parts/0/start", json={}, headers=boss.csrf),
        422, "invalid", "part")
    err(boss.post(f"/api/v1/cases/{number}/parts/2/suspend", json={"reason": "lunch"},
                  headers=boss.csrf), 422, "invalid", "reason")
    moved = boss.post(f"/api/v1/cases/{number}/parts/2/extend",
                      json={"days": 3, "reason": "需现场核查"}, headers=boss.csrf)
    assert (moved.json["due_date"], moved.json["case_due_date"]) == ("2026-11-30",
                                                                     "2026-11-30")
    listed = boss.get("/api/v1/cases").json["cases"][0]
    assert (listed["state"], listed["due_date"], listed["fast_track"]) == \
        ("in_progress", "2026-11-30", True)
    assert [(p["department"], p["state"]) for p in listed["parts"]] == [
        ("公安局", "done"), ("税务局", "accepted")]
    with seeded.engine.connect() as conn:
        code = conn.execute(text("SELECT lookup_code FROM cases")).scalar_one()
    public = app.test_client().get(f"/api/v1/cases/{number}?code={code}").json
    assert [(p["part"], p["state"], p["due_date"]) for p in public["parts"]] == [
        (1, "done", "2026-11-25"), (2, "accepted", "2026-11-30")]


def test_the_case_clock_over_http_refuses_bad_input_and_the_case_page_tells_the_applicant(
        app, seeded, login_as, clock):
    """延期 / 中止 / 恢复 through /api/v1/cases/<n>/…: each bad input is a 4xx naming its
    field with nothing written; the visitor's case page and the printed notice then say
    what the clock did (suspended since …, extended by …)."""
    from datetime import UTC, datetime

    from sqlalchemy import text

    boss, staff = login_as("wang", "supervisor", "王强"), login_as("li", "staff", "李娜")
    with seeded.engine.connect() as conn:
        hall = {"id": conn.execute(text("SELECT id FROM halls")).scalar_one(),
                "services": dict(conn.execute(text("SELECT code, id FROM services")).all()),
                "counters": dict(conn.execute(text("SELECT number, id FROM counters")).all())}
    number = "T-20261123-0001"  # 户籍办理 accepted Mon 23 Nov, due Mon 30 Nov
    add_case(seeded, hall, number, date(2026, 11, 23), date(2026, 11, 27), date(2026, 11, 30))
    url = f"/api/v1/cases/{number}"

    def written() -> tuple:
        with seeded.engine.connect() as conn:
            return (conn.execute(text("SELECT count(*) FROM case_clock")).scalar_one(),
                    *conn.execute(text("SELECT state, due_date, extension_days FROM cases "
                                       "WHERE number = :n"), {"n": number}).one())

    before = written()
    err(boss.post(f"{url}/extend", json={"days": 11, "reason": "需现场核查"}, headers=boss.csrf),
        422, "extension_too_long", "days")  # beyond the hall's limit (10)
    err(boss.post(f"{url}/extend", json={"days": 3}, headers=boss.csrf), 422, "invalid",
        "reason")
    err(boss.post(f"{url}/extend", json={"days": 3, "reason": "  "}, headers=boss.csrf),
        422, "invalid", "reason")
    err(boss.post(f"{url}/resume", json={}, headers=boss.csrf), 409, "not_suspended", "state")
    err(boss.post(f"{url}/suspend", json={"reason": "lunch"}, headers=boss.csrf), 422,
        "invalid", "reason")
    err(staff.post(f"{url}/extend", json={"days": 3, "reason": "x"}, headers=staff.csrf),
        403, "forbidden", "authorization")
    assert written() == before  # nothing half-written

    moved = boss.post(f"{url}/extend", json={"days": 3, "reason": "需现场核查"},
                      headers=boss.csrf)
    assert moved.status_code == 200 and moved.json["due_date"] == "2026-12-03"
    err(boss.post(f"{url}/extend", json={"days": 1, "reason": "再延"}, headers=boss.csrf),
        409, "already_extended", "days")
    clock.current = datetime(2026, 11, 25, 2, tzinfo=UTC)
    boss = login_as("zhao", "supervisor", "赵敏")  # a session lasts a working day at most
    stopped = boss.post(f"{url}/suspend", json={"reason": "testing", "note": "送检"},
                        headers=boss.csrf)
    assert stopped.status_code == 200 and stopped.json["state"] == "suspended"

    with seeded.engine.connect() as conn:
        code = conn.execute(text("SELECT lookup_code FROM cases")).scalar_one()
    page = app.test_client().get(f"/case/{number}?code={code}&lang=en").get_data(as_text=True)
    timing = page.split('id="c-timing">')[1].split("</p>")[0]
    assert "Suspended since" in timing and "Testing (检测)" in timing
    notice = page.split('id="c-notice">')[1].split("</p>")[0]
    assert "extended by 3 working days" in notice and "需现场核查" in notice
    assert "December 3, 2026" in notice

    paper = boss.get(f"/counter/cases/{number}/extension-notice?lang=en")
    assert paper.status_code == 200, paper.get_data(as_text=True)[-600:]
    body = paper.get_data(as_text=True)
    assert "2026-11-30" in body and "2026-12-03" in body and "需现场核查" in body

    clock.current = datetime(2026, 11, 27, 2, tzinfo=UTC)  # Fri: two working days stopped
    boss = login_as("zhou", "supervisor", "周平")
    back = boss.post(f"{url}/resume", json={"note": "报告已回"}, headers=boss.csrf)
    assert back.status_code == 200
    assert (back.json["state"], back.json["days"], back.json["due_date"]) == \
        ("in_progress", 2, "2026-12-07")
    boss.post(f"{url}/finish", json={}, headers=boss.csrf)
    err(boss.post(f"{url}/extend", json={"days": 2, "reason": "迟了"}, headers=boss.csrf),
        409, "illegal_case_transition", "state")  # a closed case is not extended
