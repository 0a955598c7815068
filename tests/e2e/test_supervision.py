"""效能监察 over HTTP (issue 18): targets colour the figures on the board, the reports page
and the exports; urging reaches the window live; admonitions are acknowledged by the person;
the monthly bulletin as a PDF."""
from __future__ import annotations

import csv
import io
import json
import re

from openpyxl import load_workbook
from sqlalchemy import text

from tests.e2e.conftest import err, sign_in_at_counter
from tests.e2e.test_counter_api import act, issued

EXTRA = {"accepted": {"applicant": "张三"}, "refused": {"note": "不属于本中心受理范围"}}


def serve_with(client, kiosk_headers, staff, outcomes: list[str], counter: int = 1) -> None:
    for outcome in outcomes:
        issued(client, kiosk_headers)
        act(staff, counter, "call-next")
        act(staff, counter, "start")
        act(staff, counter, "finish", outcome=outcome, **EXTRA.get(outcome, {}))


def set_targets(app, **targets) -> None:
    ctx = app.extensions["hall"]
    with ctx.engine.begin() as conn:
        raw = conn.execute(text("SELECT settings FROM halls")).scalar_one()
        settings = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
        conn.execute(text("UPDATE halls SET settings = :s"),
                     {"s": json.dumps({**settings, "targets": targets})})
    ctx.cache.clear()


def onsite_cell(page: str) -> str:
    """The reports page's total row: the class of its 现场办结率 cell."""
    head = re.findall(r"<th[^>]*>([^<]*)</th>", page.split('id="report-table"')[1])
    total = re.findall(r"<td([^>]*)>([^<]*)</td>", page.split('class="total"')[1])
    i = next(i for i, h in enumerate(head) if "现场办结率" in h)
    return total[i][0] + " " + total[i][1]


def test_targets_colour_the_figures(app, client, kiosk_headers, staff_client,
                                    supervisor_client):
    sign_in_at_counter(staff_client)
    serve_with(client, kiosk_headers, staff_client, ["done", "accepted", "accepted"])
    # 现场办结率 1 / 3 = 33.3 %: below the default target of 90 % → red everywhere
    page = supervisor_client.get("/admin/reports?period=day&group=counter").text
    assert "target-missed" in onsite_cell(page) and "33.3%" in onsite_cell(page)
    data = supervisor_client.get("/api/v1/reports?period=day&group=counter").json
    assert data["targets"]["onsite_completion_rate"] == 0.9
    assert data["total"]["target_status"]["onsite_completion_rate"] == "missed"
    assert data["total"]["target_status"]["satisfaction_rate"] is None  # nothing rated
    board = supervisor_client.get("/admin/board").text
    strip = board.split('id="board-figures"')[1].split("</section>")[0]
    assert re.search(r'class="target-missed" data-measure="onsite_completion_rate"><span>33.3%',
                     strip)
    assert "target 90%" in strip or "目标 90%" in strip

    xlsx = supervisor_client.get("/api/v1/reports?period=day&group=counter&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).worksheets[0]
    col = next(c.column for c in sheet[2] if "现场办结率" in str(c.value))
    assert sheet.cell(sheet.max_row, col).fill.fgColor.rgb.endswith("FFC7CE")  # red
    rows = list(csv.reader(io.StringIO(supervisor_client.get(
        "/api/v1/reports?period=day&group=counter&format=csv&lang=en").text.lstrip("\ufeff"))))
    mark = next(i for i, h in enumerate(rows[0]) if h.startswith(
        "On-the-spot completion rate (现场办结率): target 90"))
    assert rows[-1][mark] == "missed"
    bulletin = supervisor_client.get("/admin/reports/bulletin?month=2026-11").text
    total = bulletin.split('id="bulletin-total"')[1].split("</dl>")[0]
    assert re.search(r"现场办结率[^<]*</dt><dd class=\" target-missed\">33.3%</dd>", total)
    window = bulletin.split('id="rank-windows"')[1].split("</table>")[0]
    assert 'class="num target-missed">33.3%' in window

    set_targets(app, onsite_completion=30)  # the hall's own target: 30 % → green
    page = supervisor_client.get("/admin/reports?period=day&group=counter").text
    assert "target-met" in onsite_cell(page)
    xlsx = supervisor_client.get("/api/v1/reports?period=day&group=counter&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).worksheets[0]
    assert sheet.cell(sheet.max_row, col).fill.fgColor.rgb.endswith("C6EFCE")  # green
    board = supervisor_client.get("/admin/board").text
    assert 'class="target-met" data-measure="onsite_completion_rate"' in board
    bulletin = supervisor_client.get("/admin/reports/bulletin?month=2026-11").text
    assert 'class="num target-met">33.3%' in bulletin.split('id="rank-windows"')[1]


def listen(app, client, room: str):
    from hall.extensions import socketio

    live = socketio.test_client(app, namespace="/hall", flask_test_client=client)
    ack = live.emit("subscribe", {"room": room, "last_seq": 0}, namespace="/hall",
                    callback=True)
    assert ack["ok"] is True
    live.get_received("/hall")
    return live


def heard(live, name: str) -> list[dict]:
    return [m["args"][0] for m in live.get_received("/hall") if m["name"] == name]


def test_urge_reaches_the_window_live(app, seeded, staff_client, supervisor_client, login_as,
                                      clock):
    from datetime import date

    from tests.conftest import add_case

    sign_in_at_counter(staff_client, 1)
    live = listen(app, staff_client, "counter:1")
    boss = supervisor_client
    err(boss.post("/api/v1/urgings", json={"counter_id": 1}, headers=boss.csrf), 422,
        "note_required", "note")
    err(staff_client.post("/api/v1/urgings", json={"counter_id": 1, "note": "快"},
                          headers=staff_client.csrf), 403, "forbidden", "authorization")
    r = boss.post("/api/v1/urgings", json={"counter_id": 1, "note": "排队已超40分钟，请加快"},
                  headers=boss.csrf)
    assert r.status_code == 200, r.json
    first = r.json
    got = heard(live, "urge")
    assert [(e["action"], e["urging"]["note"], e["counter_id"]) for e in got] == [
        ("raised", "排队已超40分钟，请加快", 1)]

    with seeded.engine.connect() as conn:
        hall = {"id": conn.execute(text("SELECT id FROM halls")).scalar_one(),
                "services": dict(conn.execute(text("SELECT code, id FROM services")).all()),
                "counters": dict(conn.execute(text("SELECT number, id FROM counters")).all())}
    add_case(seeded, hall, "T-20261116-0001", date(2026, 11, 16), date(2026, 11, 19),
             date(2026, 11, 20))  # accepted at window 1, overdue
    r = boss.post("/api/v1/urgings", json={"case_number": "t-20261116-0001",
                                           "note": "已逾期，今日办结"}, headers=boss.csrf)
    assert r.status_code == 200 and r.json["case_number"] == "T-20261116-0001"
    assert [e["urging"]["case_number"] for e in heard(live, "urge")] == ["T-20261116-0001"]
    concluded = add_case(seeded, hall, "T-20261116-0002", date(2026, 11, 16),
                         date(2026, 11, 19), date(2026, 11, 20))
    with seeded.engine.begin() as conn:
        conn.execute(text("UPDATE cases SET state = 'done' WHERE id = :i"), {"i": concluded})
    err(boss.post("/api/v1/urgings", json={"case_number": "T-20261116-0002", "note": "快"},
                  headers=boss.csrf), 409, "case_concluded", "case_number")
    assert heard(live, "urge") == []  # nothing raised, nothing written

    # on the window's terminal until acknowledged
    mine = staff_client.get("/api/v1/urgings").json["urgings"]
    assert [u["note"] for u in mine] == ["已逾期，今日办结", "排队已超40分钟，请加快"]
    other = login_as("zhou", "staff")
    sign_in_at_counter(other, 2)
    assert other.get("/api/v1/urgings").json["urgings"] == []
    err(other.post(f"/api/v1/urgings/{first['id']}/ack", json={"answer": "好"},
                   headers=other.csrf), 404, "urging_not_found", "urging_id")
    err(staff_client.post(f"/api/v1/urgings/{first['id']}/ack", json={},
                          headers=staff_client.csrf), 422, "answer_required", "answer")
    clock.advance(minutes=3)
    done = staff_client.post(f"/api/v1/urgings/{first['id']}/ack",
                             json={"answer": "已增开3号窗口分流"}, headers=staff_client.csrf)
    assert done.status_code == 200 and done.json["answer"] == "已增开3号窗口分流"
    assert [e["action"] for e in heard(live, "urge")] == ["acknowledged"]
    err(staff_client.post(f"/api/v1/urgings/{first['id']}/ack", json={"answer": "再答"},
                          headers=staff_client.csrf), 409, "already_answered", "urging_id")
    assert len(staff_client.get("/api/v1/urgings").json["urgings"]) == 1
    kept = boss.get("/api/v1/urgings?all=true").json["urgings"]
    answered = next(u for u in kept if u["id"] == first["id"])
    assert answered["acked_by"] == staff_client.staff_id
    assert answered["acked_at"] > answered["at"]  # kept with its times and the answer
    report = boss.get("/api/v1/reports?period=day&group=counter").json
    window = next(r for r in report["rows"] if r["key"] == 1)
    assert (window["urgings"], window["urgings_answered"]) == (2, 1)
    assert report["total"]["urgings"] == 2
    live.disconnect(namespace="/hall")


def test_admonition_is_acknowledged_by_the_person(app, seeded, staff_client,
                                                  supervisor_client, login_as):
    sign_in_at_counter(staff_client, 1)
    live = listen(app, staff_client, "counter:1")
    boss, li = supervisor_client, staff_client.staff_id
    err(boss.post("/api/v1/admonitions", json={"level": "admonition", "staff_id": li},
                  headers=boss.csrf), 422, "reason_required", "reason")
    err(boss.post("/api/v1/admonitions", json={"level": "scolding", "staff_id": li,
                                               "reason": "x"}, headers=boss.csrf),
        422, "invalid", "level")
    with seeded.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM admonitions")).scalar_one() == 0
    r = boss.post("/api/v1/admonitions", json={
        "level": "admonition", "staff_id": li, "reason": "11月20日对群众态度生硬，被评非常不满意",
        "evidence_kind": "rating", "evidence_ref": "ticket:42"}, headers=boss.csrf)
    assert r.status_code == 200, r.json
    given = r.json
    assert [(e["action"], e["admonition"]["level"]) for e in heard(live, "admonition")] == [
        ("issued", "admonition")]  # reaches the person's terminal at once

    mine = staff_client.get("/api/v1/admonitions?mine=true").json["admonitions"]
    assert [(a["id"], a["acked_at"]) for a in mine] == [(given["id"], None)]
    stranger = login_as("zhou", "staff")
    assert stranger.get("/api/v1/admonitions").json["admonitions"] == []
    err(stranger.post(f"/api/v1/admonitions/{given['id']}/ack", headers=stranger.csrf),
        404, "admonition_not_found", "admonition_id")
    err(boss.post(f"/api/v1/admonitions/{given['id']}/ack", headers=boss.csrf),
        404, "admonition_not_found", "admonition_id")  # only the person acknowledges
    seen = staff_client.post(f"/api/v1/admonitions/{given['id']}/ack",
                             headers=staff_client.csrf)
    assert seen.status_code == 200 and seen.json["acked_at"] is not None
    assert [e["action"] for e in heard(live, "admonition")] == ["acknowledged"]
    err(staff_client.post(f"/api/v1/admonitions/{given['id']}/ack",
                          headers=staff_client.csrf), 409, "already_acknowledged",
        "admonition_id")

    err(staff_client.post(f"/api/v1/admonitions/{given['id']}/withdraw",
                          json={"reason": "x"}, headers=staff_client.csrf), 403, "forbidden",
        "authorization")
    err(boss.post(f"/api/v1/admonitions/{given['id']}/withdraw", json={},
                  headers=boss.csrf), 422, "reason_required", "reason")
    gone = boss.post(f"/api/v1/admonitions/{given['id']}/withdraw",
                     json={"reason": "经复核，评价系误操作"}, headers=boss.csrf)
    assert gone.status_code == 200 and gone.json["withdraw_reason"] == "经复核，评价系误操作"
    err(boss.post(f"/api/v1/admonitions/{given['id']}/withdraw", json={"reason": "again"},
                  headers=boss.csrf), 409, "withdrawn", "admonition_id")
    # never deleted, and audited
    assert [a["withdrawn_at"] is not None for a in boss.get("/api/v1/admonitions").json[
        "admonitions"]] == [True]
    with seeded.engine.connect() as conn:
        audited = conn.execute(text("SELECT action FROM audit_log WHERE entity = 'admonition' "
                                    "ORDER BY id")).scalars().all()
    assert audited == ["create", "withdraw"]
    live.disconnect(namespace="/hall")


def test_bulletin_pdf_has_rankings(app, seeded, login_as, clock):
    from datetime import UTC, date, datetime

    from pypdf import PdfReader

    from hall.seed.history import generate

    generate(seeded.engine, first=date(2026, 10, 12), days=5, per_day=40, seed=5)
    clock.current = datetime(2026, 12, 2, 2, tzinfo=UTC)  # November is empty
    boss = login_as("wang", "supervisor", "王强")
    page = boss.get("/admin/reports/bulletin").text  # opens on the last month with data
    assert 'id="month" value="2026-10"' in page
    assert 'id="score-staff"' in page and 'id="list-overdue"' in page
    data = boss.get("/api/v1/reports?period=month&on=2026-10-01&group=department").json
    windows = boss.get("/api/v1/reports?period=month&on=2026-10-01&group=counter").json

    r = boss.get("/admin/reports/bulletin?month=2026-10&format=pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert 'filename="bulletin-2026-10.pdf"' in r.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(r.data))
    pdf = re.sub(r"\s+", " ", "\n".join(p.extract_text() for p in reader.pages))
    assert "测试大厅" in pdf and "2026-10" in pdf
    for row in data["rows"]:  # each department, with its satisfaction rate as ranked
        assert row["name"] in pdf
        assert f"{row['satisfaction_rate'] * 100:.1f}%" in pdf
    best = max(windows["rows"], key=lambda w: (w["satisfaction_rate"] or 0))
    assert best["name"].split()[0] in pdf  # "1号窗口"
    total = data["total"]
    assert f"{total['onsite_completion_rate'] * 100:.1f}%" in pdf
    assert str(total["issued"]) in pdf
    assert "李娜" in pdf  # the staff ranking by daily assessment
    order = [pdf.index(row["name"]) for row in sorted(
        data["rows"], key=lambda r: -(r["satisfaction_rate"] or 0))]
    assert order == sorted(order)  # ranked: the better department comes first


def test_bulletin_lists_the_months_complaints(app, seeded, login_as, clock):
    """The 月通报 lists the month's 投诉: number, category, against whom, where it stands and
    whether it was upheld — never the complainant's words or phone (a bulletin is
    published); another month's complaint is not in it."""
    from datetime import UTC, datetime

    from pypdf import PdfReader

    from hall.domain.access import Actor
    from hall.services.complaints import handling, intake

    li = login_as("li", "staff", "李娜")
    boss = login_as("wang", "supervisor", "王强")
    with seeded.engine.connect() as conn:
        hall_id = conn.execute(text("SELECT id FROM halls")).scalar_one()
        window = conn.execute(text("SELECT id FROM counters WHERE number = 1")).scalar_one()
    me = Actor("staff", boss.staff_id, hall_id, "supervisor", label="王强")

    def complain(words: str, phone: str) -> dict:
        return intake.by_staff(seeded, actor=me, source="phone_call", text=words,
                               category="attitude", phone=phone,
                               target=intake.Target(counter_id=window,
                                                    staff_id=li.staff_id)).value

    clock.current = datetime(2026, 10, 20, 2, tzinfo=UTC)
    october = complain("十月的投诉", "13900001111")
    clock.current = datetime(2026, 11, 23, 2, tzinfo=UTC)
    upheld = complain("窗口人员态度生硬，不耐烦", "13812345678")
    handling.reply(seeded, actor=me, complaint_id=upheld["id"], text="已核实，已批评教育",
                   upheld=True)
    waiting = complain("等了很久没人理", "13700002222")

    boss = login_as("zhao", "supervisor", "赵敏")  # today's session
    page = boss.get("/admin/reports/bulletin?month=2026-11").text
    listed = page.split('id="list-complaints"')[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", listed.split("<tbody>")[1], re.S)
    cells = [re.findall(r"<td>([^<]*)</td>", r) for r in rows]
    assert [c[1] for c in cells] == [upheld["number"], waiting["number"]]
    first, second = cells
    assert (first[0], first[2], first[4], first[5]) == ("2026-11-23", "服务态度", "已答复", "属实")
    assert "李娜" in first[3] and "1号窗口" in first[3] and first[6].startswith("2026-11-23")
    assert (second[4], second[5], second[6]) == ("已收到", "", "")
    assert october["number"] not in page
    for private in ("态度生硬", "13812345678", "5678", "等了很久"):
        assert private not in listed

    r = boss.get("/admin/reports/bulletin?month=2026-11&format=pdf")
    pdf = re.sub(r"\s+", " ", "\n".join(
        p.extract_text() for p in PdfReader(io.BytesIO(r.data)).pages))
    assert upheld["number"] in pdf and waiting["number"] in pdf and "属实" in pdf
    assert october["number"] not in pdf


def test_the_hall_sets_its_own_scoring_scheme(app, seeded, staff_client, supervisor_client):
    """日考核 points are the hall's own: a supervisor reads the version in force and sets a
    new one from today (never a past day); bad input is 4xx naming the field, with
    nothing written; the change is audited."""
    boss = supervisor_client
    now = boss.get("/api/v1/assessment/scheme")
    assert now.status_code == 200
    assert (now.json["version"], now.json["versions"]) == (0, [])
    assert now.json["rules"]["bad_review"] == -2 and "complaint_upheld" in now.json["items"]
    err(staff_client.get("/api/v1/assessment/scheme"), 403, "forbidden", "authorization")
    err(staff_client.post("/api/v1/assessment/scheme", json={"rules": {"bad_review": -10}},
                          headers=staff_client.csrf), 403, "forbidden", "authorization")
    err(boss.post("/api/v1/assessment/scheme", json={"rules": {"napping": -1}},
                  headers=boss.csrf), 422, "invalid_scheme", "rules")
    err(boss.post("/api/v1/assessment/scheme", json={"rules": {"bad_review": "-10"}},
                  headers=boss.csrf), 422, "invalid", "rules.bad_review")
    err(boss.post("/api/v1/assessment/scheme", json={"rules": {"bad_review": -10},
                                                    "valid_from": "2026-11-01"},
                  headers=boss.csrf), 422, "scheme_in_the_past", "valid_from")
    assert boss.get("/api/v1/assessment/scheme").json["versions"] == []  # nothing written

    made = boss.post("/api/v1/assessment/scheme", json={"rules": {"bad_review": -10}},
                     headers=boss.csrf)
    assert made.status_code == 200, made.json
    assert (made.json["version"], made.json["valid_from"]) == (1, "2026-11-23")
    later = boss.post("/api/v1/assessment/scheme", json={
        "rules": {"bad_review": -4, "base": 90}, "valid_from": "2026-12-01"},
        headers=boss.csrf)
    assert later.json["version"] == 2
    now = boss.get("/api/v1/assessment/scheme").json
    assert (now["version"], now["rules"]["bad_review"], now["rules"]["base"]) == (1, -10, 100)
    assert now["versions"] == [{"version": 1, "valid_from": "2026-11-23"},
                               {"version": 2, "valid_from": "2026-12-01"}]
    with seeded.engine.connect() as conn:
        audited = conn.execute(text("SELECT action, entity_id FROM audit_log WHERE entity = "
                                    "'score_scheme' ORDER BY id")).all()
    assert [tuple(a) for a in audited] == [("create", "1"), ("create", "2")]


def test_the_board_shows_the_onsite_rate_beside_correction_and_refusal(
        client, kiosk_headers, staff_client, supervisor_client):
    # today at window 1: 办结, 受理, 补正, 不予受理 → 现场办结率 1 / 2 = 50 %, and beside it
    # 补正率 1 / 4 = 25 % and 不予受理率 1 / 4 = 25 % (refusing cannot hide)
    sign_in_at_counter(staff_client)
    serve_with(client, kiosk_headers, staff_client, ["done", "accepted", "correction",
                                                     "refused"])
    board = supervisor_client.get("/admin/board").text
    strip = board.split('id="board-figures"')[1].split("</section>")[0]
    tiles = re.findall(r'data-measure="([a-z_]+)"><span>([^<]*)</span>', strip)
    order = [m for m, _v in tiles]
    at = order.index("onsite_completion_rate")
    assert tiles[at:at + 3] == [("onsite_completion_rate", "50.0%"),
                                ("correction_rate", "25.0%"), ("refusal_rate", "25.0%")]
    assert re.search(r'<div class="" data-measure="refusal_rate"><span>25.0%</span>'
                     r'<small>[^<·]*</small>', strip)  # no target of its own, no colour
