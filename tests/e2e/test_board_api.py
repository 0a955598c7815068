"""GET /api/v1/board over HTTP on SQLite and PostgreSQL, with the injected clock: windows
with their staff, visitor and time-limit clock, idle time, queues with their longest wait,
open alerts (acknowledged with a note); supervisors only."""
from __future__ import annotations

from datetime import timedelta

from hall.domain.access import Actor
from hall.services.config import accounts
from hall.services.context import run
from hall.services.counters import state as counters
from hall.services.queue import calling
from hall.services.supervision import watch, watch_rules


def window(board: dict, number: int) -> dict:
    return next(c for c in board["counters"] if c["number"] == number)


def queue(board: dict, code: str) -> dict:
    return next(q for q in board["queues"] if q["code"] == code)


def test_the_board_shows_windows_visitors_clocks_idle_time_and_queue_waits(
        app, seeded, kiosk_headers, clock, login_as):
    boss = login_as("zhao", "supervisor", "赵敏")
    start = clock.now()
    client = app.test_client()
    first = client.post("/api/v1/tickets", json={"service": "hj"}, headers=kiosk_headers).json
    clock.advance(minutes=3)
    client.post("/api/v1/tickets", json={"service": "sfz"}, headers=kiosk_headers)
    before = boss.get("/api/v1/board").json
    hall_id, counter_1 = before["hall"]["id"], window(before, 1)["id"]
    li = accounts.add_user(seeded, login="li2", name="李娜").value
    counters.sign_in(seeded, counter_id=counter_1, staff_id=li["id"])
    opened = clock.now()
    clock.advance(minutes=2)

    board = boss.get("/api/v1/board").json
    assert board["now"] == clock.now().isoformat() and board["last_seq"] > 0
    one = window(board, 1)
    assert one["state"] == "open" and one["staff"]["name"] == "李娜"
    assert one["current"] is None and one["idle_since"] == opened.isoformat()
    assert one["waiting"] == 2  # hj and sfz are both its services
    assert window(board, 2)["state"] == "closed" and window(board, 2)["idle_since"] is None
    hj = queue(board, "hj")
    assert hj["waiting"] == 1 and hj["oldest_issued_at"] == start.isoformat()
    assert hj["open_counters"] == 1 and hj["department"] == "公安局"
    assert board["totals"] == {"waiting": 2, "open": 1, "paused": 0, "busy": 0, "alerts": 0,
                               "critical": 0}

    staff = Actor("staff", li["id"], hall_id, "staff", counter_1)
    calling.call_next(seeded, counter_id=counter_1, actor=staff)
    called = window(boss.get("/api/v1/board").json, 1)["current"]
    assert called["number"] == first["number"] and called["state"] == "called"
    assert called["clock"] is None  # the visit's time limit counts from its start
    calling.start(seeded, counter_id=counter_1, actor=staff)
    clock.advance(minutes=16)  # hj: warning at 15 min, limit 20 min
    board = boss.get("/api/v1/board").json
    current = window(board, 1)["current"]
    assert current["state"] == "serving" and current["service"] == "户籍办理"
    assert current["started_at"] == (clock.now() - timedelta(minutes=16)).isoformat()
    assert current["clock"] == {"state": "warning", "elapsed_s": 960.0, "left_s": 240.0,
                                "limit_s": 1200, "warning_s": 900}
    assert window(board, 1)["idle_since"] is None
    assert queue(board, "hj")["waiting"] == 0 and queue(board, "hj")["oldest_issued_at"] is None
    assert board["totals"]["busy"] == 1

    clock.advance(minutes=12)  # the sfz ticket has waited 30 minutes: a long wait
    # the hall-wide rules (the visit's own time limit is tests/integration/test_watch.py's)
    watch.scan(seeded, hall_id, (watch_rules.LONG_WAITS, watch_rules.IDLE_WINDOWS,
                                 watch_rules.LONG_PAUSES))
    run(seeded, lambda uow: watch_rules.run_sweeps(uow, hall_id))
    alerts = boss.get("/api/v1/board").json["alerts"]
    assert [(a["kind"], a["payload"]["service"]) for a in alerts] == [("long_wait", "身份证办理")]
    acked = boss.post(f"/api/v1/alerts/{alerts[0]['id']}/ack", json={"note": "已开二号窗口"},
                      headers=boss.csrf)
    assert acked.status_code == 200, acked.json
    shown = boss.get("/api/v1/board").json["alerts"][0]
    assert shown["ack_note"] == "已开二号窗口" and shown["acked_at"] == clock.now().isoformat()


def test_only_supervisors_read_the_board(app, seeded, staff_client):
    anonymous = app.test_client().get("/api/v1/board")
    assert anonymous.status_code == 401
    refused = staff_client.get("/api/v1/board")
    assert refused.status_code == 403 and refused.json["error"]["field"] == "authorization"
    assert "/api/v1/board" in app.test_client().get("/api/v1/openapi.json").json["paths"]


def test_the_board_carries_the_forecast_and_the_extra_window_alert(
        app, seeded, kiosk_headers, clock, login_as):
    boss = login_as("zhao", "supervisor", "赵敏")
    client = app.test_client()
    today = clock.now()  # Monday 10:00 in Shanghai
    clock.current = today - timedelta(days=7, minutes=-30)  # last Monday, 10:30
    for _ in range(2):
        client.post("/api/v1/tickets", json={"service": "sfz"}, headers=kiosk_headers)
    clock.current = today
    for _ in range(8):  # 8 waiting for 户籍, no window open for it: the default threshold
        client.post("/api/v1/tickets", json={"service": "hj"}, headers=kiosk_headers)
    li = accounts.add_user(seeded, login="li2", name="李娜").value
    board = boss.get("/api/v1/board").json
    counters.sign_in(seeded, counter_id=window(board, 4)["id"], staff_id=li["id"])  # 税务, 身份证

    forecast = board["forecast"]
    assert (forecast["weekday"], forecast["from_hour"], forecast["band"]) == (1, 10, "min_max")
    assert forecast["days"] == ["2026-11-16"] and forecast["wanted_days"] == 8
    assert forecast["hours"] == [{"hour": 10, "mean": 2.0, "min": 2, "max": 2}]
    assert forecast["rest_of_day"] == {"mean": 2.0, "min": 2, "max": 2}
    assert (board["thresholds"]["extra_window_per_window"],
            board["thresholds"]["extra_window_wait_minutes"]) == (8, 20)

    watch.scan(seeded, board["hall"]["id"], (watch_rules.EXTRA_WINDOWS,))
    # (身份证's line is long too: last Monday's two still wait, a week past the 20 minutes)
    alert, = [a for a in boss.get("/api/v1/board").json["alerts"]
              if a["payload"]["service"] == "户籍办理"]
    p = alert["payload"]
    assert (alert["kind"], p["service"], p["waiting"], p["open_windows"], p["who"]) == \
        ("extra_window", "户籍办理", 8, 0, "idle")
    assert [(c["name"], c["counter_number"]) for c in p["candidates"]] == [("李娜", 4)]
    page = boss.get("/admin/board").text  # the page words each kind of proposal
    assert all(f"data-kind-extra_window{v}=" in page for v in ("", "-idle", "-nobody"))
    assert 'id="forecast-chart"' in page
