"""Signing out closes the window (hall/services/counters/signout.py) over HTTP: logout, a
session ended by a password reset, by idle time, and the watch's sweep; on SQLite and
PostgreSQL."""
from __future__ import annotations

from sqlalchemy import text

from hall.services.config import accounts, staff_admin
from hall.services.context import run
from hall.services.supervision import watch_rules

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
    return [r if isinstance(r, dict) else __import__("json").loads(r) for r in rows]


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
