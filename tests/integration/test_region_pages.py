"""The region's pages (issue 23 item 4) on SQLite and PostgreSQL: events from several halls
go in through the real ingest (``incoming.apply``); the board, the reports and the 月通报
read what ingest folded, each for the halls under the account's place only."""
from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from hall.services.context import read, run
from hall.services.queue import calling, tickets, visits
from hall.services.ratings import rating
from hall.services.region import bulletin, cases, incoming, live, outgoing, reports, tree
from hall.services.supervision import reports as hall_reports
from hall.store.migrate import downgrade, upgrade
from tests.integration.conftest import kiosk, pad_at, signed_in_at

# 市 → two 区县; one hall in each place
PLACES = [("city", "苏州市", "city", None), ("wz", "吴中区", "county", "city"),
          ("gs", "姑苏区", "county", "city")]
HALLS = {"sz": ("city", "市民中心"), "wz": ("wz", "吴中区政务服务中心"),
         "gs": ("gs", "姑苏区政务服务中心")}


@pytest.fixture
def region(ctx):
    for code, name, level, parent in PLACES:
        run(ctx, lambda u, c=code, n=name, lv=level, p=parent: tree.add_place(u, c, n, lv, p))
    for uid, (place, name) in HALLS.items():
        run(ctx, lambda u, uid=uid, p=place, n=name: tree.attach_hall(
            u, uid, p, n, board_url=f"https://{uid}.example/admin/board"))
    for login, place in (("mayor", "city"), ("wu", "wz")):
        run(ctx, lambda u, lg=login, p=place: tree.add_account(u, lg, lg, "supervisor", p))
    return ctx


class Hall:
    """One hall's event log as its uplink ships it: messages with seq 1, 2, …"""

    def __init__(self, uid: str):
        self.uid, self.seq, self.ticket, self.messages = uid, 0, 0, []

    def emit(self, at: datetime, kind: str, **payload) -> None:
        self.seq += 1
        self.messages.append({"hall": self.uid, "seq": self.seq, "at": at.isoformat(),
                              "type": kind, "payload": payload})

    def visit(self, issued: datetime, wait_min: float, serve_min: float, outcome: str,
              level: int | None = None, service: int = 1) -> None:
        self.ticket += 1
        t = self.ticket
        self.emit(issued, "ticket.issued", ticket={
            "id": t, "number": f"A{t:03d}", "state": "waiting", "issued_at": issued.isoformat(),
            "service": {"id": service, "code": f"s{service}", "name": f"事项{service}",
                        "department": {"id": 1, "code": "gaj", "name": "公安局"}}})
        called = issued + timedelta(minutes=wait_min)
        self.emit(called, "ticket.called", ticket_id=t, service_id=service, counter_id=1,
                  counter_number=1, recalls=0)
        started = called + timedelta(minutes=1)
        self.emit(started, "ticket.started", ticket_id=t, service_id=service, counter_id=1)
        finished = started + timedelta(minutes=serve_min)
        self.emit(finished, "ticket.finished", ticket_id=t, service_id=service, counter_id=1,
                  outcome=outcome)
        if level is not None:
            self.emit(finished + timedelta(minutes=1), "ticket.rated", ticket_id=t,
                      counter_id=1, level=level)

    def ship(self, ctx, batch: int = 7) -> None:
        """Through the region's ingest, in batches as the broker hands them over."""
        for i in range(0, len(self.messages), batch):
            chunk = self.messages[i:i + batch]
            assert run(ctx, lambda u, c=chunk: incoming.apply(u, c)).value == ["done"] * len(chunk)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A time in November 2026, Shanghai (UTC+8), as UTC."""
    return datetime(2026, month, day, hour - 8, minute, tzinfo=UTC)


def test_region_bulletin_ranks_halls(region):
    sz, wz, gs = Hall("sz"), Hall("wz"), Hall("gs")
    # 市民中心: 满意率 4/4, 现场办结率 3/4 (one accepted), waits 10, 20, 30, 40 min
    for d, wait, outcome, level in ((2, 10, "done", 5), (3, 20, "done", 5),
                                    (16, 30, "done", 4), (30, 40, "accepted", 3)):
        sz.visit(at(d, 9), wait, 5, outcome, level)
    sz.emit(at(4, 9), "ticket.issued", ticket={"id": 99, "service": {"id": 1, "code": "s1",
                                                                      "name": "事项1"}})
    sz.emit(at(4, 9, 5), "ticket.cancelled", ticket_id=99, service_id=1)
    # 吴中: 满意率 1/2 (a 2), 现场办结率 3/3; a visit in October counts in no November figure
    wz.visit(at(20, 9, month=10), 90, 5, "refused", 1)
    for d, wait, level in ((5, 5, 5), (6, 5, 2), (7, 5, None)):
        wz.visit(at(d, 10), wait, 10, "done", level)
    # 姑苏: 满意率 5/5, 现场办结率 5/5, one more visit served than the others
    for d in range(9, 14):
        gs.visit(at(d, 14), 2, 8, "done", 5)
    for hall in (sz, wz, gs):
        hall.ship(region)

    data = read(region, lambda u: bulletin.bulletin(u, "mayor", datetime(2026, 11, 1).date()))
    ranked = [(h["hall"], h["rank"]) for h in data["halls"]]
    assert ranked == [("gs", 1), ("sz", 2), ("wz", 3)]
    by = {h["hall"]: h for h in data["halls"]}
    assert (by["gs"]["satisfaction_rate"], by["gs"]["onsite_completion_rate"]) == (1.0, 1.0)
    assert (by["sz"]["satisfaction_rate"], by["sz"]["onsite_completion_rate"]) == (1.0, 0.75)
    assert (by["wz"]["satisfaction_rate"], by["wz"]["onsite_completion_rate"]) == (0.5, 1.0)
    assert [by[u]["served"] for u in ("gs", "sz", "wz")] == [5, 4, 3]
    assert by["sz"]["issued"] == 5 and by["sz"]["cancelled"] == 1
    assert (by["sz"]["wait_mean_s"], by["sz"]["wait_max_s"]) == (1500.0, 2400)
    # p50/p90 from the exact histograms: 25 and 37 minutes, as the hall interpolates them
    assert (by["sz"]["wait_p50_s"], by["sz"]["wait_p90_s"]) == (1500.0, 2220.0)
    # the whole region's: waits 10, 20, 30, 40, 5, 5, 5 and five of 2 minutes
    assert (data["total"]["wait_p50_s"], data["total"]["wait_p90_s"]) == (300.0, 1740.0)
    assert by["wz"]["service_mean_s"] == 600.0 and by["wz"]["outcomes"]["refused"] == 0
    # green or red against the targets (满意率 ≥ 95 %, 现场办结率 ≥ 90 %)
    assert by["sz"]["target_status"]["onsite_completion_rate"] == "missed"
    assert by["wz"]["target_status"]["satisfaction_rate"] == "missed"
    assert by["gs"]["target_status"]["satisfaction_rate"] == "met"
    # a district's supervisor ranks only the halls under the district
    mine = read(region, lambda u: bulletin.bulletin(u, "wu", datetime(2026, 11, 1).date()))
    assert [(h["hall"], h["rank"]) for h in mine["halls"]] == [("wz", 1)]


def test_region_board_shows_each_halls_live_line(region, clock):
    sz, wz = Hall("sz"), Hall("wz")
    now = clock.now()
    sz.emit(now - timedelta(minutes=30), "counter.state", counter_id=1, counter_number=1,
            state="open")
    sz.emit(now - timedelta(minutes=30), "counter.state", counter_id=2, counter_number=2,
            state="paused")
    for n, ago in enumerate((25, 12, 3), start=1):
        sz.emit(now - timedelta(minutes=ago), "ticket.issued", ticket={
            "id": n, "service": {"id": 1, "code": "s1", "name": "事项1"}})
    sz.emit(now - timedelta(minutes=2), "ticket.called", ticket_id=1, counter_id=1, recalls=0)
    sz.emit(now - timedelta(minutes=1), "alert", action="raised", alert={
        "id": 7, "kind": "long_wait", "level": "critical", "counter_id": None,
        "raised_at": (now - timedelta(minutes=1)).isoformat(), "cleared_at": None})
    wz.emit(now - timedelta(hours=2), "counter.state", counter_id=1, counter_number=1,
            state="open")
    for hall in (sz, wz):
        hall.ship(region, batch=3)

    lines = {h["hall"]: h for h in read(region, lambda u: live.board(u, "mayor"))}
    assert set(lines) == {"sz", "wz", "gs"}
    assert {k: lines["sz"][k] for k in ("waiting", "open_windows", "longest_wait_s",
                                        "open_alerts", "critical_alerts", "link")} == {
        "waiting": 2, "open_windows": 1, "longest_wait_s": 12 * 60, "open_alerts": 1,
        "critical_alerts": 1, "link": "online"}
    assert lines["sz"]["board_url"] == "https://sz.example/admin/board"
    assert (lines["wz"]["link"], lines["wz"]["last_event_at"]) == (
        "down", (now - timedelta(hours=2)).isoformat())
    assert lines["gs"]["link"] == "down" and lines["gs"]["last_event_at"] is None
    # the alert clears: the line follows at the next ingest
    sz.emit(now, "alert", action="cleared", alert={
        "id": 7, "kind": "long_wait", "level": "critical", "counter_id": None,
        "raised_at": (now - timedelta(minutes=1)).isoformat(), "cleared_at": now.isoformat()})
    run(region, lambda u: incoming.apply(u, sz.messages[-1:]))
    line = next(h for h in read(region, lambda u: live.board(u, "wu")) if h["hall"] == "wz")
    assert line["open_windows"] == 1
    assert read(region, lambda u: live.hall(u, "mayor", "sz"))["open_alerts"] == 0


def test_region_wait_percentiles_are_exact_over_hours_of_waiting(region):
    """Waits of seconds to hours, across the hour blocks of the coarse histogram, in two
    halls and services: each group's p50/p90 and the region's are the linear-interpolated
    percentiles of the whole seconds themselves, and a re-called ticket moves its wait."""
    waits = {("sz", 1): [59, 60, 61, 3599, 3600, 3661, 7322, 7380, 125, 4000],
             ("sz", 2): [1, 2, 3, 10_799, 10_800],
             ("wz", 1): [3540, 3541, 3660, 3720, 36_000, 5]}
    halls = {"sz": Hall("sz"), "wz": Hall("wz")}
    for (uid, service), seconds in waits.items():
        for i, s in enumerate(seconds):
            halls[uid].visit(at(10 + i % 3, 9), s / 60, 5, "done", service=service)
    # the last visit of sz's service 2 (issued on the 11th, 09:00) is called again the next
    # evening: its wait becomes the last call's, out of one hour block and into another
    late = halls["sz"]
    late.emit(at(12, 20), "ticket.called", ticket_id=late.ticket, service_id=2, counter_id=1,
              counter_number=1, recalls=1)
    waits[("sz", 2)][-1] = int((at(12, 20) - at(11, 9)).total_seconds())
    for h in halls.values():
        h.ship(region)

    def exact(xs: list[int], p: float) -> float:
        xs = sorted(xs)
        rank = (len(xs) - 1) * p / 100
        lo = int(rank)
        hi = min(lo + 1, len(xs) - 1)
        return round(xs[lo] + (rank - lo) * (xs[hi] - xs[lo]), 1)

    data = read(region, lambda u: reports.report(u, "mayor", period="month",
                                                 on=datetime(2026, 11, 1).date(),
                                                 group="service"))
    rows = {(r["hall"], r["name"]): r for r in data["rows"]}
    for (uid, service), seconds in waits.items():
        row = rows[(uid, f"事项{service}")]
        assert (row["wait_p50_s"], row["wait_p90_s"]) == (exact(seconds, 50),
                                                          exact(seconds, 90)), (uid, service)
    everyone = [s for seconds in waits.values() for s in seconds]
    assert (data["total"]["wait_p50_s"], data["total"]["wait_p90_s"]) == (
        exact(everyone, 50), exact(everyone, 90))


def test_migration_fills_the_coarse_waits_from_the_fine_rows(region, db_url):
    """Migration 0096 builds the hour blocks from the waits a region already held: the
    month's percentiles read the same after it as before."""
    sz = Hall("sz")
    for i, seconds in enumerate((30, 61, 3599, 3600, 3725, 9000, 12)):
        sz.visit(at(3 + i % 2, 10), seconds / 60, 5, "done", service=1 + i % 2)
    sz.ship(region)

    def month():
        data = read(region, lambda u: reports.report(u, "mayor", period="month",
                                                     on=datetime(2026, 11, 1).date(),
                                                     group="service"))
        return ([(r["name"], r["wait_p50_s"], r["wait_p90_s"]) for r in data["rows"]],
                (data["total"]["wait_p50_s"], data["total"]["wait_p90_s"]))

    before = month()
    assert before[1] == (3599.0, 5835.0)  # 12 30 61 3599 3600 3725 9000: ranks 3 and 5.4
    region.engine.dispose()
    downgrade(db_url, "0095")
    upgrade(db_url)
    assert month() == before


def test_region_report_equals_the_halls_own(region, hall, clock):
    """A real hall's day through its own services; its log shipped as the uplink reads it;
    the region's figures per service and per department are the hall's report's."""
    run(region, lambda u: tree.attach_hall(u, "test", "gs", "测试大厅"))
    staff = signed_in_at(region, hall, 1)
    window = hall["counters"][1]
    for i, (service, outcome, level) in enumerate(
            (("hj", "done", 5), ("sfz", "accepted", 2), ("hj", "correction", None),
             ("hj", "done", 4))):
        tickets.issue(region, hall_id=hall["id"], service=service, actor=kiosk(hall))
        clock.advance(minutes=4 + 3 * i, seconds=17)
        called = calling.call_next(region, counter_id=window, actor=staff).value
        calling.start(region, counter_id=window, actor=staff)
        clock.advance(minutes=6 + i, seconds=41)
        visits.finish(region, counter_id=window, actor=staff, outcome=outcome,
                      applicant="张三" if outcome == "accepted" else None)
        if level is not None:
            rating.rate(region, ticket_id=called["id"], level=level, actor=pad_at(hall, 1),
                        reason="服务态度差" if level <= 2 else None)
    tickets.issue(region, hall_id=hall["id"], service="ss", actor=kiosk(hall))  # waiting
    messages = read(region, lambda u: outgoing.pending(u, hall["id"], 0, 1000))
    run(region, lambda u: incoming.apply(u, [{"hall": "test", **m} for m in messages]))

    day = clock.now().date()
    keys = ("issued", "called", "served", "outcomes", "wait_mean_s", "wait_p50_s",
            "wait_p90_s", "service_mean_s",
            "service_level", "no_show_rate", "onsite_completion_rate", "satisfaction_rate",
            "ratings", "rated", "cancelled")
    for group in ("service", "department"):
        theirs = hall_reports.report(region, period="day", on=day, group=group,
                                     hall_id=hall["id"])
        ours = read(region, lambda u, g=group: reports.report(u, "mayor", period="day", on=day,
                                                               group=g))
        mine = {r["name"]: {k: r[k] for k in keys} for r in ours["rows"] if r["hall"] == "test"}
        assert mine == {r["name"]: {k: r[k] for k in keys} for r in theirs["rows"]
                        if r["issued"]}
    line = next(h for h in read(region, lambda u: live.board(u, "mayor")) if h["hall"] == "test")
    assert (line["waiting"], line["open_windows"]) == (1, 1)


@pytest.fixture
def region_app(region):
    from region import create_app

    app = create_app(region.engine.url.render_as_string(hide_password=False),
                     {"SECRET_KEY": "t", "TESTING": True}, clock=region.clock)
    yield app
    app.extensions["region"].engine.dispose()


# the services under the pages run on both databases above; the pages once
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_region_pages_answer_only_for_halls_below(region, region_app):
    """Sign-in with the one-time password, its replacement, then every page and API call
    of a 区县 supervisor shows its own hall and refuses the others."""
    password = run(region, lambda u: tree.add_account(u, "wu2", "吴中督查", "supervisor",
                                                      "wz")).value["password"]
    client = region_app.test_client()
    page = client.get("/board")
    assert 'name="login"' in page.get_data(as_text=True)
    assert client.get("/api/region/board").status_code == 401

    def post(path, **form):
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          client.get("/password" if path == "/password" else "/board")
                          .get_data(as_text=True)).group(1)
        return client.post(path, data={"csrf_token": token, **form})

    # no CSRF token: refused as the hall refuses it
    assert client.post("/login", data={"login": "wu2", "password": password}).status_code == 403
    wrong = post("/login", login="wu2", password="nope")
    assert wrong.status_code == 401 and 'data-field="password"' in wrong.get_data(as_text=True)
    assert post("/login", login="wu2", password=password).status_code == 302
    assert 'name="new"' in client.get("/reports").get_data(as_text=True)  # replace it first
    assert client.get("/api/region/board").json["error"]["code"] == "password_change_required"
    short = post("/password", current=password, new="short")
    assert short.status_code == 422 and 'data-field="new"' in short.get_data(as_text=True)
    assert post("/password", current=password, new="a long new password").status_code == 302

    board = client.get("/board").get_data(as_text=True)
    assert "吴中区政务服务中心" in board and "市民中心" not in board and "姑苏区" not in board
    assert "https://wz.example/admin/board" in board
    assert [h["hall"] for h in client.get("/api/region/board").json["halls"]] == ["wz"]
    for hall in ("sz", "gs"):
        assert client.get(f"/halls/{hall}").status_code == 403
        refused = client.get(f"/api/region/halls/{hall}")
        assert refused.status_code == 403 and refused.json["error"]["field"] == "hall"
    assert client.get("/halls/wz").status_code == 200
    for path in ("/api/region/reports?period=month&on=2026-11-01&group=service",
                 "/api/region/bulletin?month=2026-11"):
        body = client.get(path).json
        assert {r["hall"] for r in body.get("rows", body.get("halls"))} <= {"wz"}
    for path in ("/reports?group=hall", "/bulletin?month=2026-11"):
        page = client.get(path)
        assert page.status_code == 200 and "市民中心" not in page.get_data(as_text=True)
    bad = client.get("/api/region/reports?on=2026-13-01")
    assert bad.status_code == 422 and bad.json["error"]["field"] == "on"
    # the 月通报's PDF and XLSX: the hall's own ranking table, its own halls only
    for uid in ("sz", "wz"):
        shipped = Hall(uid)
        shipped.visit(at(2, 9), 10, 5, "done", 5)
        shipped.ship(region)
    pdf = client.get("/bulletin?month=2026-11&format=pdf")
    assert pdf.mimetype == "application/pdf"
    assert 'filename="bulletin-2026-11.pdf"' in pdf.headers["Content-Disposition"]
    text = re.sub(r"\s+", " ", "".join(p.extract_text() for p in PdfReader(
        io.BytesIO(pdf.data)).pages))
    assert "吴中区" in text and "2026-11" in text and "100.0%" in text
    assert "市民中心" not in text
    book = client.get("/bulletin?month=2026-11&format=xlsx")
    assert 'filename="bulletin-2026-11.xlsx"' in book.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(book.data)).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [r[:2] for r in rows[:-1]] == [(1, "吴中区政务服务中心")]
    assert rows[0][2] == 1.0 and len(rows) == 2  # its 满意率, then the total
    assert sheet.cell(3, 3).fill.fgColor.rgb.endswith("C6EFCE")  # green: ≥ 95 %
    assert not any("市民中心" in str(v) for r in rows for v in r)
    assert post("/logout").status_code == 302
    assert client.get("/api/region/board").status_code == 401


def test_region_on_time_rate_equals_the_halls_own(region, hall, clock):
    """Cases (办件) through the hall's own services — done, returned late, suspended,
    suspended and resumed, extended, left open past due — shipped as the uplink reads the
    log: the region's 按时办结率 and 超期件数 per hall, department and service, in a month
    that is over and in one still running, are the hall's report's; the hall's targets go up
    with its log (``hall.settings``) and colour its figures."""
    from hall.domain.access import Actor
    from hall.services.cases import clock as case_clock
    from hall.services.cases import workflow
    from tests.integration.conftest import set_hall_settings

    run(region, lambda u: tree.attach_hall(u, "test", "gs", "测试大厅"))
    staff = signed_in_at(region, hall, 1)
    boss = Actor("staff", hall["staff"]["wang"], hall["id"], "supervisor", label="王强")
    window = hall["counters"][1]
    numbers = []
    for _ in range(6):  # accepted Mon 23 Nov for 户籍办理 (承诺 5 working days): due 30 Nov
        tickets.issue(region, hall_id=hall["id"], service="hj", actor=kiosk(hall))
        calling.call_next(region, counter_id=window, actor=staff)
        calling.start(region, counter_id=window, actor=staff)
        done = visits.finish(region, counter_id=window, actor=staff, outcome="accepted",
                             applicant="张三").value
        numbers.append(done["case"]["number"])
    on_time, returned, suspended, resumed, extended, _open = numbers
    case = dict(hall_id=hall["id"])
    workflow.act(region, number=on_time, action="finish", actor=staff, **case)
    case_clock.extend(region, number=extended, days=3, reason="材料核查", actor=boss, **case)
    clock.advance(days=1)
    case_clock.suspend(region, number=resumed, reason="testing", note=None, actor=boss, **case)
    clock.advance(days=1)
    case_clock.resume(region, number=resumed, note=None, actor=boss, **case)  # due 1 Dec
    case_clock.suspend(region, number=suspended, reason="hearing", note=None, actor=boss,
                       **case)
    clock.advance(days=6)  # Tue 1 Dec
    workflow.act(region, number=returned, action="return", actor=staff, **case)
    clock.advance(days=1)  # Wed 2 Dec: November is over, December runs (as of 1 Dec)
    set_hall_settings(region, hall, targets={"on_time": 30})
    run(region, lambda u: outgoing.ensure(u))
    run(region, lambda u: outgoing.ship_settings(u, hall["id"]))
    run(region, lambda u: outgoing.ship_settings(u, hall["id"]))  # unchanged: nothing more
    messages = read(region, lambda u: outgoing.pending(u, hall["id"], 0, 1000))
    assert [m["type"] for m in messages].count("hall.settings") == 1
    run(region, lambda u: incoming.apply(u, [{"hall": "test", **m} for m in messages]))

    keys = (*cases.COUNTS, "on_time_rate")
    for month, rate in ((datetime(2026, 11, 1).date(), 0.3333),
                        (datetime(2026, 12, 1).date(), 0.0)):
        for group in ("hall", "service", "department"):
            theirs = hall_reports.report(region, period="month", on=month, group=group,
                                         hall_id=hall["id"])
            ours = read(region, lambda u, g=group, mo=month: reports.report(
                u, "mayor", period="month", on=mo, group=g))
            mine = {r["name"] if group != "hall" else "": {k: r[k] for k in keys}
                    for r in ours["rows"] if r["hall"] == "test"}
            assert mine == {r["name"] if group != "hall" else "": {k: r[k] for k in keys}
                            for r in theirs["rows"] if r["cases_received"] or r["cases_overdue"]
                            or r["cases_concluded"]}
        line = next(h for h in read(region, lambda u, mo=month: bulletin.bulletin(
            u, "mayor", mo))["halls"] if h["hall"] == "test")
        assert line["on_time_rate"] == rate
        assert line["cases_received"] == (6 if month.month == 11 else 0)
        # 30 % is this hall's own target for 按时办结率 (the default is 99 %)
        assert line["target_status"]["on_time_rate"] == ("met" if rate >= 0.3 else "missed")
        assert line["targets"]["on_time_rate"] == 0.3


def test_region_bulletin_ranks_by_on_time_rate_and_each_halls_targets(region):
    """Two halls equal on 满意率 and 现场办结率: the one with its cases done on time ranks
    first. A hall's ``hall.settings`` holds from its place in the log on, in the same batch:
    its target wait decides its waits within target, its targets colour its figures."""
    sz, wz = Hall("sz"), Hall("wz")
    wz.emit(at(1, 8), "hall.settings", timezone="Asia/Shanghai", target_wait_s=300,
            targets={"satisfaction": 100, "on_time": 50})
    for hall, done_day in ((sz, 9), (wz, 12)):
        hall.visit(at(2, 9), 10, 5, "accepted", 5)
        hall.emit(at(3, 9), "case.accepted", number=f"{hall.uid}-1", service_id=1,
                  due_date="2026-11-10")
        hall.emit(at(done_day, 15), "case.updated", case_number=f"{hall.uid}-1", state="done",
                  action="finish", note=None)
        hall.ship(region, batch=100)

    data = read(region, lambda u: bulletin.bulletin(u, "mayor", datetime(2026, 11, 1).date()))
    assert [(h["hall"], h["rank"]) for h in data["halls"]] == [("sz", 1), ("wz", 2)]
    by = {h["hall"]: h for h in data["halls"]}
    assert (by["sz"]["on_time_rate"], by["wz"]["on_time_rate"]) == (1.0, 0.0)
    assert by["wz"]["cases_overdue"] == 1 and by["wz"]["cases_late"] == 1
    # a 10-minute wait: within 15 (the default) at 市民中心, not within 吴中's own 5
    assert (by["sz"]["service_level"], by["wz"]["service_level"]) == (1.0, 0.0)
    assert by["wz"]["targets"]["satisfaction_rate"] == 1.0
    assert by["sz"]["target_status"]["on_time_rate"] == "met"  # 100 % ≥ 99 %
    assert by["wz"]["target_status"]["on_time_rate"] == "missed"  # 0 % < its own 50 %
    # halls with different targets: the total is judged by the defaults
    assert data["targets"]["on_time_rate"] == 0.99
