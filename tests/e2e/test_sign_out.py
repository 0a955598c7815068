"""Signing out closes the window (hall/services/counters/signout.py) over HTTP: logout, a
session ended by a password reset, by idle time, and the watch's sweep; on SQLite and
PostgreSQL."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import text

from display.led_board import Board
from hall.services.config import accounts, staff_admin
from hall.services.context import run
from hall.services.queue import queries
from hall.services.supervision import watch_rules
from tests.e2e.browsing import signed_in_page
from tests.e2e.conftest import SEEN, new_tab, open_page, sign_in_on_page, wait_live

IDLE_MINUTES = 120  # the default HALL_SESSION_IDLE_MINUTES


def post(client, path: str, **body):
    return client.post(path, json=body or None, headers=client.csrf)


def act(client, action: str, counter: int = 1, **body):
    r = post(client, f"/api/v1/counters/{counter}/{action}", **body)
    assert r.status_code == 200, r.json
    return r.json


def issue(client, kiosk_headers, service: str = "hj") -> dict:
    r = client.post("/api/v1/tickets", json={"service": service}, headers=kiosk_headers)
    assert r.status_code == 201, r.json
    return r.json


def window(ctx, counter: int = 1) -> dict:
    with ctx.engine.connect() as conn:
        row = conn.execute(text(
            "SELECT state, staff_id, current_ticket_id, staff_session, staff_seen_at "
            "FROM counters WHERE number = :n"), {"n": counter}).mappings().one()
    return dict(row)


def ticket(ctx, number: str) -> dict:
    with ctx.engine.connect() as conn:
        return dict(conn.execute(text(
            "SELECT state, counter_id, target_counter_id FROM tickets WHERE number = :n"),
            {"n": number}).mappings().one())


def events(ctx, type_: str) -> list[dict]:
    with ctx.engine.connect() as conn:
        rows = conn.execute(text("SELECT payload FROM events WHERE type = :t ORDER BY seq"),
                            {"t": type_}).scalars().all()
    return [r if isinstance(r, dict) else json.loads(r) for r in rows]


def me(client) -> int:
    return client.get("/api/v1/auth/me").status_code


def test_logout_closes_the_window_and_says_so_to_everyone(staff_client, seeded, kiosk_headers):
    act(staff_client, "sign-in")
    issue(staff_client, kiosk_headers)
    act(staff_client, "call-next")
    act(staff_client, "start")
    act(staff_client, "finish", outcome="done")
    r = post(staff_client, "/api/v1/auth/logout")
    assert r.status_code == 200 and r.json == {"ok": True}
    assert window(seeded) == {"state": "closed", "staff_id": None, "current_ticket_id": None,
                              "staff_session": None, "staff_seen_at": None}
    last = events(seeded, "counter.state")[-1]
    assert last["state"] == "closed" and last["staff_id"] is None and last["counter_number"] == 1
    assert me(staff_client) == 401


def test_logout_with_a_visitor_at_the_window_is_refused_naming_the_ticket(
        staff_client, seeded, kiosk_headers):
    act(staff_client, "sign-in")
    number = issue(staff_client, kiosk_headers)["number"]
    act(staff_client, "call-next")
    r = post(staff_client, "/api/v1/auth/logout")
    assert r.status_code == 409, r.json
    assert r.json["error"]["code"] == "counter_busy" and r.json["error"]["field"] == "counter"
    assert number in r.json["error"]["message"]
    assert window(seeded)["state"] == "open" and me(staff_client) == 200  # still signed in
    act(staff_client, "start")
    r = post(staff_client, "/api/v1/auth/logout")  # serving: refused as well
    assert r.status_code == 409 and number in r.json["error"]["message"]
    r = post(staff_client, "/api/v1/auth/logout?then=skip")  # a visit started: no 过号
    assert r.status_code == 409 and r.json["error"]["code"] == "illegal_transition"
    assert post(staff_client, "/api/v1/auth/logout?then=later").status_code == 422
    assert post(staff_client, "/api/v1/auth/logout?lang=en").status_code == 409  # as pages send


def test_skip_then_sign_out(staff_client, seeded, kiosk_headers):
    act(staff_client, "sign-in")
    number = issue(staff_client, kiosk_headers)["number"]
    act(staff_client, "call-next")
    r = post(staff_client, "/api/v1/auth/logout?then=skip")
    assert r.status_code == 200, r.json
    assert ticket(seeded, number)["state"] == "no_show"
    assert window(seeded)["state"] == "closed" and window(seeded)["staff_id"] is None
    assert me(staff_client) == 401


def test_hold_then_sign_out_keeps_the_visitor_at_the_window(staff_client, seeded,
                                                            kiosk_headers):
    act(staff_client, "sign-in")
    number = issue(staff_client, kiosk_headers)["number"]
    act(staff_client, "call-next")
    act(staff_client, "start")
    assert post(staff_client, "/api/v1/auth/logout?then=hold").status_code == 200
    held = ticket(seeded, number)
    assert held["state"] == "held" and held["target_counter_id"] is not None
    assert window(seeded)["state"] == "closed"


def test_a_password_reset_closes_the_window(staff_client, seeded, kiosk_headers):
    act(staff_client, "sign-in")
    number = issue(staff_client, kiosk_headers)["number"]
    act(staff_client, "call-next")
    admin = accounts.add_user(seeded, login="root", name="root", role="admin").value
    staff_id = window(seeded)["staff_id"]
    staff_admin.reset_password(seeded, accounts.staff_actor(seeded, admin["id"]), staff_id)
    assert window(seeded)["state"] == "closed" and window(seeded)["staff_id"] is None
    # called, never started: back to the head of the line, for any window (not a 过号)
    assert ticket(seeded, number) == {"state": "waiting", "counter_id": None,
                                      "target_counter_id": None}
    assert me(staff_client) == 401


def test_a_session_that_idled_out_closes_its_window_at_its_next_request(
        staff_client, seeded, clock):
    act(staff_client, "sign-in")
    clock.advance(minutes=IDLE_MINUTES)
    assert me(staff_client) == 401
    assert window(seeded)["state"] == "closed"
    # its live connections end with it, in every process (a keyed tag names the session)
    ended = events(seeded, "staff.sessions_ended")[-1]
    assert ended["staff_id"] is not None and ended["session"] and ended["keep"] is None


def test_an_idle_session_is_closed_by_the_sweep_after_the_limit(
        staff_client, seeded, kiosk_headers, clock):
    act(staff_client, "sign-in")
    number = issue(staff_client, kiosk_headers)["number"]
    act(staff_client, "call-next")
    act(staff_client, "start")
    clock.advance(minutes=30)
    assert me(staff_client) == 200  # used: the window's record moves on with the cookie

    hall_id = window_hall(seeded)

    def sweep():
        run(seeded, lambda uow: watch_rules.run_sweeps(uow, hall_id))

    clock.advance(minutes=IDLE_MINUTES - 1)
    sweep()
    assert window(seeded)["state"] == "open"
    clock.advance(minutes=1)
    sweep()
    closed = window(seeded)
    assert closed["state"] == "closed" and closed["staff_id"] is None
    # a visit being served stays with the window, its clock running, for whoever opens it
    assert closed["current_ticket_id"] is not None
    assert ticket(seeded, number)["state"] == "serving"
    assert events(seeded, "counter.state")[-1]["state"] == "closed"
    # and the idled-out session's sockets are dropped, not left listening
    ended = events(seeded, "staff.sessions_ended")[-1]
    assert ended["session"] and ended["keep"] is None


def test_a_window_held_by_another_live_session_is_not_closed_by_an_old_one(
        app, staff_client, seeded, clock):
    """The staff member's stale console session ending is not their terminal's."""
    old = app.test_client()
    password = accounts.add_user(seeded, login="li", name="李娜").value["password"]
    # that reset ended staff_client's session: sign in again at the terminal and elsewhere
    for c in (staff_client, old):
        r = c.post("/api/v1/auth/login", json={"login": "li", "password": password})
        c.csrf = {"X-CSRFToken": r.json["csrf_token"]}
    act(staff_client, "sign-in")
    clock.advance(minutes=IDLE_MINUTES - 1)
    assert me(staff_client) == 200
    clock.advance(minutes=1)
    assert me(old) == 401  # idled out
    assert window(seeded)["state"] == "open"


def window_hall(ctx) -> int:
    with ctx.engine.connect() as conn:
        return conn.execute(text("SELECT id FROM halls")).scalar_one()


# --- in the browser: the terminal, the board, the window screen and an LED sign -----------

@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.slow
@pytest.mark.browser
def test_sign_out_closes_the_window_everywhere(live_hall, browser, artifacts, ctx):
    """Issue 15 item 4: sign in at 2 号窗口, call, finish, 退出登录 — the board, the window's
    screen and its LED sign show the window closed; the terminal shows the sign-in form and
    no reconnecting banner. A visitor still at the window is named and can be skipped."""
    from playwright.sync_api import expect

    server, tokens, post = live_hall
    hall = window_hall(ctx)
    number2 = counter_id(ctx, 2)
    led = Board()
    led.load_snapshot(queries.hall_snapshot(ctx, hall))
    seen = led_seq = queries.hall_snapshot(ctx, hall)["last_seq"]
    assert led.window_text(number2) == "2号窗口 欢迎办理"
    board, board_errors = signed_in_page(browser, ctx, f"{server.url}/admin/board")
    board.wait_for_function("() => document.body.dataset.live === 'live'", timeout=15000)
    screen, screen_errors = open_page(browser, f"{server.url}/display/counter/{number2}"
                                               f"?token={tokens['screen']['token']}", 1280, 720)
    password = accounts.add_user(ctx, login="li", name="李娜").value["password"]
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page, errors = new_tab(context, f"{server.url}/counter")
    sign_in_on_page(page, "li", password)
    page.click("#choose-2")
    expect(page.locator("#terminal")).to_be_visible(timeout=SEEN)
    wait_live(page)
    expect(board.locator("#window-2 .win-staff")).to_contain_text("李娜", timeout=SEEN)

    first = post("/api/v1/tickets", "kiosk", service="hj")
    page.click("#btn-call-next")
    expect(page.locator("#t-number")).to_have_text(first["number"], timeout=SEEN)
    page.locator("body").press("s")
    expect(page.locator("#t-current")).to_have_attribute("data-state", "serving", timeout=SEEN)
    page.locator("body").press("f")
    page.click("#finish-submit")  # 办结
    expect(page.locator("#t-current")).to_have_attribute("data-state", "none", timeout=SEEN)

    # a visitor called and not served: sign-out names them and offers 过号后退出 / 挂起后退出
    second = post("/api/v1/tickets", "kiosk", service="hj")
    page.click("#btn-call-next")
    expect(page.locator("#t-number")).to_have_text(second["number"], timeout=SEEN)
    page.click("#btn-logout")
    expect(page.locator("#t-message-text")).to_contain_text(second["number"], timeout=SEEN)
    expect(page.locator("#btn-signout-skip")).to_have_text("过号后退出")
    expect(page.locator("#btn-signout-hold")).to_have_text("挂起后退出")
    expect(page.locator("#terminal")).to_be_visible()
    page.screenshot(path=artifacts / "1-sign-out-asks.png")
    page.click("#btn-signout-skip")

    expect(page.locator("#login")).to_be_visible(timeout=SEEN)
    expect(page.locator("#login-name")).to_be_visible()
    page.wait_for_timeout(1500)  # a reconnecting banner would have shown by now
    expect(page.locator("#t-message")).to_be_hidden()
    page.screenshot(path=artifacts / "2-terminal-signed-out.png")

    expect(board.locator("#window-2")).to_have_class(re.compile(r"\bstate-closed\b"),
                                                     timeout=SEEN)
    expect(board.locator("#window-2 .win-staff")).not_to_contain_text("李娜")
    expect(board.locator("#window-2 .win-idle")).to_have_count(0)
    board.screenshot(path=artifacts / "3-board.png")
    expect(screen.locator("#counter-main")).to_have_class(re.compile(r"\bclosed\b"),
                                                          timeout=SEEN)
    expect(screen.locator("#counter-state")).to_have_text("窗口已关闭")
    screen.screenshot(path=artifacts / "4-window-screen.png")

    for event in queries.events_after(ctx, hall, led_seq)["events"]:
        led.apply(event)
        seen = event["seq"]
    assert seen > led_seq and led.window_text(number2) == "2号窗口已关闭"
    assert errors == [] and board_errors == [] and screen_errors == []
    context.close()


def counter_id(ctx, number: int) -> int:
    with ctx.engine.connect() as conn:
        return conn.execute(text("SELECT id FROM counters WHERE number = :n"),
                            {"n": number}).scalar_one()
