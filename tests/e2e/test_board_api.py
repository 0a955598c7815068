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
