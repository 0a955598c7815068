"""Device pairing end to end: the API flow; a token grants only its own device's actions; a
revoked token is refused at once and its live Socket.IO connections are dropped (a real
server, a real python-socketio client; and across two processes sharing Redis); and in
headless Chromium a screen pairs itself through /pair while an admin approves it on
/admin/devices. Screenshots go to tests/artifacts/<test name>/."""
from __future__ import annotations

import queue
import re
import uuid

import pytest
import redis
import requests
import socketio

from hall.services.config import accounts
from hall.services.config.layout.seed import load_layout, seed
from tests.conftest import DATA, unavailable
from tests.e2e.browsing import signed_in_page
from tests.e2e.conftest import SEEN, admin_session, bearer
from tests.e2e.live_client import LiveClient
from tests.e2e.server import Server, running_hall

REDIS_URL = "redis://127.0.0.1:6379/0"
def pair(device, admin, kind: str, counter: int | None = None) -> dict:
    """A device (a test client without credentials) pairs through the API; its claim."""
    asked = device.post("/api/v1/pairings", json={"kind": kind, "name": f"新{kind}"})
    assert asked.status_code == 201, asked.json
    body = {"code": asked.json["code"], **({"counter": counter} if counter else {})}
    r = admin.post(f"/api/v1/pairings/{asked.json['id']}/approve", json=body,
                   headers=admin.csrf)
    assert r.status_code == 200, r.json
    got = device.post("/api/v1/pairings/claim",
                      json={"id": asked.json["id"], "secret": asked.json["secret"]})
    assert got.status_code == 200, got.json
    return got.json


# --- the API, in-process ------------------------------------------------------------------

def test_pairing_queue_caps_per_address(db_url, clock, tmp_path):
    """One address fills no queue for anyone else: at most MAX_PER_ADDRESS of its requests
    wait; a hall's queue (a device may name its hall) is capped on its own, so filling one
    hall's (or the unnamed queue) leaves another hall's open; the rest is answered 429."""
    from hall.services.devices import pairing
    from tests.e2e.hall_world import make_app

    app = make_app(db_url, clock, tmp_path)  # the rate limit off: the caps alone
    ctx = app.extensions["hall"]
    seed(ctx, load_layout(DATA / "small_hall.toml"))
    second = load_layout(DATA / "small_hall.toml")
    second["hall"] |= {"code": "north", "name": "北区大厅"}
    second["staff"] = []
    seed(ctx, second)

    def ask(address: str, hall: str | None = None):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        return client.post("/api/v1/pairings",
                           json={"kind": "kiosk", **({"hall": hall} if hall else {})})

    assert [ask("203.0.113.9").status_code for _ in range(pairing.MAX_PER_ADDRESS)] == \
        [201] * pairing.MAX_PER_ADDRESS
    busy = ask("203.0.113.9")
    assert busy.status_code == 429 and busy.json["error"]["code"] == "pairing_busy"
    assert busy.json["error"]["field"] == "kind"
    assert ask("203.0.113.9", "north").status_code == 429  # naming a hall does not help
    assert ask("10.0.0.21").status_code == 201  # a device elsewhere still asks

    # many addresses fill the unnamed queue: a hall's own queue is still open, and full
    # in its turn, it holds up no other hall
    for i in range(pairing.MAX_PER_HALL - pairing.MAX_PER_ADDRESS - 1):
        assert ask(f"198.51.100.{i}").status_code == 201
    assert ask("198.51.100.250").status_code == 429
    assert ask("10.0.0.22", "north").status_code == 201
    for i in range(pairing.MAX_PER_HALL - 1):
        assert ask(f"192.0.2.{i}", "NORTH").status_code == 201
    assert ask("192.0.2.250", "north").status_code == 429
    assert ask("10.0.0.23", "test").status_code == 201  # the first hall's queue is open
    unknown = ask("10.0.0.24", "nowhere")
    assert unknown.status_code == 404 and unknown.json["error"]["field"] == "hall"

    # each hall's admin sees the unnamed queue and their own, never another hall's
    from sqlalchemy import text

    with ctx.engine.connect() as conn:
        halls = dict(conn.execute(text("SELECT code, id FROM halls")).all())
    listed = {code: pairing.pending(ctx, hall_id) for code, hall_id in halls.items()}
    assert len(listed["north"]) == pairing.MAX_PER_HALL * 2
    assert len(listed["test"]) == pairing.MAX_PER_HALL + 1
    app.extensions["hall"].engine.dispose()


def test_a_device_asks_waits_is_approved_and_claims_its_token_once(app, seeded, login_as):
    device = app.test_client()
    admin = login_as("root", "admin", "管理员")
    asked = device.post("/api/v1/pairings", json={"kind": "screen", "name": "大厅屏",
                                                  "info": {"screen": "1920x1080"}},
                        headers={"User-Agent": "KioskBrowser/1.0"})
    assert asked.status_code == 201 and len(asked.json["code"]) == 6
    claim = {"id": asked.json["id"], "secret": asked.json["secret"]}
    waiting = device.post("/api/v1/pairings/claim", json=claim)
    assert waiting.status_code == 202 and waiting.json["state"] == "pending"

    listed = admin.get("/api/v1/pairings").json["pairings"]
    assert [p["id"] for p in listed] == [asked.json["id"]]
    assert listed[0]["info"]["screen"] == "1920x1080"
    assert listed[0]["info"]["browser"] == "KioskBrowser/1.0" and "code" not in listed[0]
    wrong = "000000" if asked.json["code"] != "000000" else "111111"
    r = admin.post(f"/api/v1/pairings/{asked.json['id']}/approve", json={"code": wrong},
                   headers=admin.csrf)
    assert r.status_code == 422 and r.json["error"]["code"] == "wrong_code"
    r = admin.post(f"/api/v1/pairings/{asked.json['id']}/approve",
                   json={"code": asked.json["code"], "counter": 2}, headers=admin.csrf)
    assert r.status_code == 200 and r.json["state"] == "approved"

    got = device.post("/api/v1/pairings/claim", json=claim)
    assert got.status_code == 200 and got.json["kind"] == "screen"
    assert got.json["page"] == f"/display/counter/{got.json['counter_id']}"
    me = device.get("/api/v1/devices/me", headers=bearer(got.json["token"]))
    assert me.status_code == 200 and me.json["id"] == got.json["device_id"]
    again = device.post("/api/v1/pairings/claim", json=claim)
    assert again.status_code == 409 and again.json["error"]["code"] == "pairing_claimed"


def test_a_pairing_requests_browser_is_kept_as_text(app, seeded, login_as):
    """The one text a device without a token has stored that no body check sees: its
    User-Agent header. Control characters in it (NUL, ESC) are dropped, not kept — on
    PostgreSQL and SQLite alike — and the device is still asked for its code."""
    device = app.test_client()
    asked = device.post("/api/v1/pairings", json={"kind": "kiosk"},
                        headers={"User-Agent": "Kiosk\x00Browser\x1b@/1.0\x85"})
    assert asked.status_code == 201, asked.json
    admin = login_as("root", "admin", "管理员")
    (listed,) = admin.get("/api/v1/pairings").json["pairings"]
    assert listed["info"]["browser"] == "KioskBrowser@/1.0"


def test_a_rejected_device_is_told_so_and_unknown_claims_are_not_found(app, seeded, login_as):
    device = app.test_client()
    admin = login_as("root", "admin", "管理员")
    asked = device.post("/api/v1/pairings", json={"kind": "kiosk"}).json
    r = admin.post(f"/api/v1/pairings/{asked['id']}/reject", headers=admin.csrf)
    assert r.status_code == 200 and r.json == {"id": asked["id"], "state": "rejected"}
    got = device.post("/api/v1/pairings/claim", json={"id": asked["id"],
                                                      "secret": asked["secret"]})
    assert got.status_code == 409 and got.json["error"]["code"] == "pairing_rejected"
    forged = device.post("/api/v1/pairings/claim", json={"id": asked["id"], "secret": "x" * 32})
    assert forged.status_code == 404


def test_only_admins_list_approve_reject_and_revoke(app, seeded, login_as):
    device = app.test_client()
    asked = device.post("/api/v1/pairings", json={"kind": "pad"}).json
    screen = accounts.add_device(seeded, kind="screen").value
    supervisor = login_as("wang", "supervisor", "管理员")
    calls = [("get", "/api/v1/pairings", None),
             ("post", f"/api/v1/pairings/{asked['id']}/approve", {"code": asked["code"]}),
             ("post", f"/api/v1/pairings/{asked['id']}/reject", None),
             ("post", f"/api/v1/devices/{screen['id']}/revoke", None)]
    for method, path, body in calls:
        assert getattr(device, method)(path, json=body).status_code == 401, path
        r = getattr(supervisor, method)(path, json=body, headers=supervisor.csrf)
        assert r.status_code == 403, (path, r.json)
        r = getattr(device, method)(path, json=body, headers=bearer(screen["token"]))
        assert r.status_code == 403, path
    admin = login_as("root", "admin", "管理员")
    no_csrf = admin.post(f"/api/v1/pairings/{asked['id']}/reject")
    assert no_csrf.status_code == 403 and no_csrf.json["error"]["code"] == "csrf"


def test_a_token_grants_only_its_own_devices_actions(app, seeded, login_as):
    device = app.test_client()
    admin = login_as("root", "admin", "管理员")
    screen = pair(device, admin, "screen")
    pad1 = pair(device, admin, "pad", counter=1)
    pad2 = pair(device, admin, "pad", counter=2)
    kiosk = pair(device, admin, "kiosk")
    keypad = accounts.add_device(seeded, kind="keypad", counter_number=2).value["token"]
    counter2 = pad2["counter_id"]
    ticket = device.post("/api/v1/tickets", json={"service": "hj"}, headers=bearer(kiosk["token"]))
    assert ticket.status_code == 201

    for step in ("open", "call-next"):  # a screen only shows
        r = device.post(f"/api/v1/counters/{counter2}/{step}", headers=bearer(screen["token"]))
        assert r.status_code == 403, step
        assert device.post(f"/api/v1/counters/{counter2}/{step}",
                           headers=bearer(keypad)).status_code == 200
    r = device.post("/api/v1/tickets", json={"service": "hj"}, headers=bearer(screen["token"]))
    assert r.status_code == 403  # nor issue
    for step, body in (("start", None), ("finish", {"outcome": "done"})):
        assert device.post(f"/api/v1/counters/{counter2}/{step}", json=body,
                           headers=bearer(keypad)).status_code == 200

    rating = f"/api/v1/tickets/{ticket.json['id']}/rating"
    r = device.post(rating, json={"level": 5}, headers=bearer(pad1["token"]))
    assert r.status_code == 403  # the visit ended at window 2, not at this pad's window
    r = device.post(rating, json={"level": 5}, headers=bearer(kiosk["token"]))
    assert r.status_code == 403
    r = device.post(rating, json={"level": 5}, headers=bearer(pad2["token"]))
    assert r.status_code == 201, r.json


def test_a_revoked_token_is_refused_at_once(app, seeded, login_as):
    device = app.test_client()
    admin = login_as("root", "admin", "管理员")
    kiosk = pair(device, admin, "kiosk")
    issue = {"json": {"service": "hj"}, "headers": bearer(kiosk["token"])}
    assert device.post("/api/v1/tickets", **issue).status_code == 201  # its actor is cached
    r = admin.post(f"/api/v1/devices/{kiosk['device_id']}/revoke", headers=admin.csrf)
    assert r.status_code == 200 and r.json["revoked"] is True
    refused = device.post("/api/v1/tickets", **issue)
    assert refused.status_code == 401 and refused.json["error"]["code"] == "unauthenticated"
    devices = admin.get("/api/v1/devices").json["devices"]
    assert kiosk["device_id"] not in [d["id"] for d in devices]


# --- a real server: the live connection is dropped -----------------------------------------

class Watched(LiveClient):
    """A LiveClient that also records why the server dropped or refused it."""

    def __init__(self, url: str, token: str):
        super().__init__(url, token)
        self.dropped: queue.Queue[str] = queue.Queue()
        self.refusals: list = []
        self.sio.on("disconnect", self.dropped.put, namespace="/hall")
        self.sio.on("connect_error", self.refusals.append, namespace="/hall")


def connected(url: str, token: str, room: str) -> Watched:
    client = Watched(url, token).connect()
    assert client.subscribe(room)["ok"]
    return client


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("async_mode", ["gevent", "eventlet"])
@pytest.mark.slow
def test_a_revoked_device_is_refused_and_its_live_connections_are_dropped(live_hall, ctx):
    server, tokens, post = live_hall
    screen, hall_room = tokens["screen"], f"hall:{tokens['screen']['hall_id']}"
    me = f"{server.url}/api/v1/devices/me"
    assert requests.get(me, headers=bearer(screen["token"]), timeout=5).ok
    doomed = [connected(server.url, screen["token"], hall_room) for _ in range(2)]
    bystander = connected(server.url, tokens["kiosk"]["token"], hall_room)
    admin = admin_session(ctx, server.url)
    try:
        r = admin.post(f"{server.url}/api/v1/devices/{screen['id']}/revoke", timeout=5)
        assert r.status_code == 200, r.text
        for client in doomed:
            assert client.dropped.get(timeout=10) == socketio.Client.reason.SERVER_DISCONNECT
            assert client.next_event("device.revoked")["device_id"] == screen["id"]
            assert not client.sio.connected
        r = requests.get(me, headers=bearer(screen["token"]), timeout=5)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
        again = Watched(server.url, screen["token"])
        with pytest.raises(socketio.exceptions.ConnectionError):
            again.connect()
        assert again.refusals == [{"message": "unauthenticated"}]
        ticket = post("/api/v1/tickets", "kiosk", service="hj")  # the others carry on
        assert bystander.next_event("ticket.issued")["ticket"]["id"] == ticket["id"]
        assert bystander.dropped.empty()
    finally:
        for client in (*doomed, bystander):
            client.close()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.slow
def test_a_revocation_through_one_process_drops_the_device_on_another(ctx, db_url, tmp_path):
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        unavailable("Redis", exc)
    seed(ctx, load_layout(DATA / "small_hall.toml"))
    screen = accounts.add_device(ctx, kind="screen").value
    env = {"HALL_MESSAGE_QUEUE": REDIS_URL, "HALL_MESSAGE_CHANNEL": f"test-{uuid.uuid4().hex}"}
    a = Server(db_url, tmp_path, extra_env=env).start()
    b = Server(db_url, tmp_path, extra_env=env).start()
    room = f"hall:{screen['hall_id']}"
    clients = []
    try:
        clients = [connected(a.url, screen["token"], room),
                   connected(b.url, screen["token"], room)]
        # b has the device's actor in its cache now
        assert requests.get(b.url + "/api/v1/devices/me", headers=bearer(screen["token"]),
                            timeout=5).ok
        admin = admin_session(ctx, a.url)
        r = admin.post(f"{a.url}/api/v1/devices/{screen['id']}/revoke", timeout=5)
        assert r.status_code == 200, r.text
        for client in clients:
            assert client.dropped.get(timeout=10) == socketio.Client.reason.SERVER_DISCONNECT
        # b dropped its cached actor with the socket: refused now, not a few seconds later
        r = requests.get(b.url + "/api/v1/devices/me", headers=bearer(screen["token"]),
                         timeout=5)
        assert r.status_code == 401
    finally:
        for client in clients:
            client.close()
        a.stop()
        b.stop()


# --- headless Chromium: a screen pairs itself, an admin approves it, then revokes it -------

@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.slow
@pytest.mark.browser
def test_a_screen_pairs_through_the_pair_page_and_is_sent_back_there_when_revoked(
        ctx, db_url, tmp_path, browser, artifacts):
    from playwright.sync_api import expect

    with running_hall(ctx, db_url, tmp_path) as (server, _, _post):
        screen = browser.new_context(viewport={"width": 1280, "height": 720}, locale="en-GB",
                                     timezone_id="Asia/Shanghai").new_page()
        errors: list[str] = []
        screen.on("pageerror", lambda exc: errors.append(str(exc)))
        screen.goto(f"{server.url}/pair?kind=screen&lang=en")
        expect(screen.locator("body")).to_have_attribute("data-state", "waiting", timeout=SEEN)
        code = screen.locator("#pair-code").get_attribute("data-code")
        request_id = screen.evaluate("window.hallPairing.request.id")
        assert code and len(code) == 6
        expect(screen.locator("#pair-code")).to_have_text(f"{code[:3]} {code[3:]}")
        screen.screenshot(path=artifacts / "pair-code.png")

        admin, _ = signed_in_page(browser, ctx, f"{server.url}/admin/devices?lang=en",
                                  role="admin", login="root", name="管理员", width=1500,
                                  locale="en-GB")
        request = admin.locator(f"#pairing-{request_id}")
        expect(request).to_contain_text("Screen", timeout=SEEN)
        expect(request).to_have_class(re.compile(r"\bselected\b"))  # the only one waiting
        wrong = "000000" if code != "000000" else "111111"
        admin.fill("#pair-code", wrong)
        admin.click("#pair-approve")
        expect(admin.locator("#pair-error")).to_have_text(
            "That is not the code this device shows", timeout=SEEN)
        admin.fill("#pair-code", code)
        admin.fill("#pair-name", "东门大厅屏")
        admin.screenshot(path=artifacts / "admin-approve.png", full_page=True)
        admin.click("#pair-approve")
        expect(admin.locator("#pair-done")).to_contain_text("东门大厅屏 approved", timeout=SEEN)
        expect(admin.locator("#pairings-empty")).to_be_visible()

        screen.wait_for_url(re.compile(r"/display/hall/\d+$"), timeout=15000)
        device_id = int(screen.url.rsplit("/", 1)[1])
        expect(screen.locator("body")).to_have_attribute("data-live", "live", timeout=15000)
        assert screen.evaluate(f"!!localStorage.getItem('hall.token.screen.{device_id}')")
        screen.screenshot(path=artifacts / "screen-paired.png")

        row = admin.locator(f"#device-{device_id}")
        expect(row.locator(".name")).to_have_text("东门大厅屏", timeout=20000)
        admin.click(f"#revoke-{device_id}")
        expect(admin.locator(f"#revoke-{device_id}")).to_have_text("Revoke? Click again")
        admin.click(f"#revoke-{device_id}")
        expect(row).to_have_count(0, timeout=SEEN)

        screen.wait_for_url(re.compile(r"/pair\?kind=screen&revoked=1$"), timeout=SEEN)
        expect(screen.locator("#pair-revoked")).to_be_visible()
        expect(screen.locator("#pair-again")).to_have_attribute("href", "/pair?kind=screen")
        assert screen.evaluate("Object.keys(localStorage).filter(k => k.startsWith('hall.token'))"
                               ) == []
        screen.screenshot(path=artifacts / "screen-revoked.png")
        admin.screenshot(path=artifacts / "admin-revoked.png", full_page=True)
        assert errors == []


def test_only_admins_see_pairing_requests_and_revoke_buttons_on_the_devices_page(login_as):
    supervisor = login_as("wang", "supervisor", "管理员")
    page = supervisor.get("/admin/devices")
    assert page.status_code == 200 and b'id="devices"' in page.data
    assert b'id="pairing"' not in page.data and b"data-manage" not in page.data
    page = login_as("root", "admin", "管理员").get("/admin/devices")
    assert b'id="pairing"' in page.data and b'data-manage="1"' in page.data


def test_the_pair_page_asks_what_the_device_is_or_says_it_was_revoked(app):
    client = app.test_client()
    choose = client.get("/pair?lang=en")
    assert choose.status_code == 200 and b'id="kind-kiosk"' in choose.data
    assert b"pair.js" not in choose.data  # nothing is asked before the kind is known
    assert "script-src 'self'" in choose.headers["Content-Security-Policy"]
    revoked = client.get("/pair?kind=pad&revoked=1&lang=en")
    assert b"This device is no longer registered" in revoked.data
    assert b'href="/pair?kind=pad"' in revoked.data and b"pair.js" not in revoked.data
    asking = client.get("/pair?kind=kiosk&name=%E4%B8%80%E6%A5%BC&lang=en")
    assert b"pair.js" in asking.data and 'data-name="一楼"'.encode() in asking.data
