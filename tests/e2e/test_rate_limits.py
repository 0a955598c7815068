"""Issue 9, hardening: rate limits (hall/web/security.py's table) and request body sizes.

A kiosk issues at most 20 tickets a minute and holds up no other kiosk; sign-ins are limited
per login and per address; the limits live where every process of the hall sees them; behind
a trusted proxy the visitor's own address counts. Answers are 429 with the usual error body
and Retry-After.
"""
from __future__ import annotations

import uuid

import pytest
import redis

from hall.services.config import accounts
from hall.services.config.layout.seed import load_layout, seed
from tests.conftest import DATA, unavailable
from tests.e2e.hall_world import make_app

REDIS_URL = "redis://127.0.0.1:6379/0"


def test_a_kiosk_is_limited_to_twenty_tickets_a_minute_and_only_itself(db_url, clock, tmp_path):
    app = make_app(db_url, clock, tmp_path, RATELIMIT_ENABLED=True)
    ctx = app.extensions["hall"]
    seed(ctx, load_layout(DATA / "small_hall.toml"))
    client = app.test_client()
    first, other = ({"Authorization": "Bearer " + accounts.add_device(ctx, kind="kiosk")
                     .value["token"]} for _ in range(2))

    def issue(headers):
        return client.post("/api/v1/tickets", json={"service": "hj"}, headers=headers)

    assert {issue(first).status_code for _ in range(20)} == {201}
    r = issue(first)
    assert r.status_code == 429 and r.json["error"]["code"] == "rate_limited", r.json
    assert set(r.json["error"]) == {"code", "message", "field"} and r.json["error"]["message"]
    assert 0 < int(r.headers["Retry-After"]) <= 60
    assert issue(other).status_code == 201  # another kiosk is not held up
    app.extensions["hall"].engine.dispose()


def test_complaints_are_limited_per_kiosk_and_per_address_and_staff_entry_is_not(
        db_url, clock, tmp_path):
    # five a minute from one kiosk or one phone's address (the default, "5/minute;50/hour")
    app = make_app(db_url, clock, tmp_path, RATELIMIT_ENABLED=True)
    ctx = app.extensions["hall"]
    seed(ctx, load_layout(DATA / "small_hall.toml"))
    client = app.test_client()
    first, other = ({"Authorization": "Bearer " + accounts.add_device(ctx, kind="kiosk")
                     .value["token"]} for _ in range(2))

    def at_kiosk(headers, words="大厅空调太冷"):
        return client.post("/api/v1/complaints/kiosk", json={"text": words}, headers=headers)

    assert [at_kiosk(first).status_code for _ in range(5)] == [201] * 5
    r = at_kiosk(first)
    assert r.status_code == 429 and r.json["error"]["code"] == "rate_limited", r.json
    assert r.json["error"]["field"] == "text" and r.json["error"]["message"]
    assert 0 < int(r.headers["Retry-After"]) <= 60
    assert at_kiosk(other).status_code == 201  # another kiosk is not held up

    # a phone (no token): its address counts, whichever ticket page it files from
    tickets = [client.post("/api/v1/tickets", json={"service": "hj"}, headers=other).json
               for _ in range(2)]
    phone = {"REMOTE_ADDR": "203.0.113.9"}

    def from_phone(ticket, words="叫号太慢"):
        return client.post(f"/api/v1/complaints/by-ticket/{ticket['token']}",
                           json={"text": words}, environ_base=phone)

    codes = [from_phone(tickets[n % 2]).status_code for n in range(6)]
    assert codes == [201] * 5 + [429]
    # a refusal counts too: guessing tokens is held up as much as filing
    neighbour = {"REMOTE_ADDR": "203.0.113.10"}
    wrong = [client.post("/api/v1/complaints/by-ticket/not-a-ticket-token",
                         json={"text": "x"}, environ_base=neighbour).status_code
             for _ in range(6)]
    assert wrong == [404] * 5 + [429]

    # staff writing down what came by phone or in the 12345 work orders are not limited
    password = accounts.add_user(ctx, login="wang", name="王强",
                                 role="supervisor").value["password"]
    staff = app.test_client()
    token = staff.post("/api/v1/auth/login",
                       json={"login": "wang", "password": password}).json["csrf_token"]
    entered = [staff.post("/api/v1/complaints", json={"text": "来电反映", "source": "phone_call"},
                          headers={"X-CSRFToken": token}).status_code for _ in range(7)]
    assert entered == [201] * 7
    ctx.engine.dispose()


def test_ratings_from_a_case_page_are_limited_per_address(db_url, clock, tmp_path):
    # the case's number and look-up code are the proof: guessing codes is held up (issue 19)
    app = make_app(db_url, clock, tmp_path, RATELIMIT_ENABLED=True)
    ctx = app.extensions["hall"]
    seed(ctx, load_layout(DATA / "small_hall.toml"))
    client = app.test_client()
    phone, other = {"REMOTE_ADDR": "203.0.113.20"}, {"REMOTE_ADDR": "203.0.113.21"}

    def guess(where, code):
        return client.post(f"/api/v1/cases/SMZX-20261123-0001/rating?code={code}",
                           json={"level": 5}, environ_base=where).status_code

    assert [guess(phone, f"{n:06d}") for n in range(21)] == [404] * 20 + [429]
    assert guess(other, "000000") == 404  # another address is not held up
    ctx.engine.dispose()


def test_sign_ins_are_limited_per_login_and_per_address(db_url, clock, tmp_path):
    # ten tries of one login a minute (the default); the address's limit made small here
    app = make_app(db_url, clock, tmp_path, RATELIMIT_ENABLED=True,
                   RATE_LIMITS={"login_ip": "13/minute"})
    seed(app.extensions["hall"], load_layout(DATA / "small_hall.toml"))
    client = app.test_client()

    def login(name: str):
        return client.post("/api/v1/auth/login", json={"login": name, "password": "guess"})

    # five wrong, then that login is locked from this address (409), then rate-limited
    assert [login("zhao").status_code for _ in range(10)] == [401] * 5 + [409] * 5
    r = login("ZHAO ")  # the same login, however it is typed
    assert r.status_code == 429 and r.json["error"]["field"] == "login", r.json
    assert {login(f"user{n}").status_code for n in range(2)} == {401}  # 13 from here so far
    assert login("someone-else").status_code == 429  # the address has had its 13
    app.extensions["hall"].engine.dispose()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # what halls share Redis on
def test_the_processes_of_a_hall_share_limits_and_logouts_through_redis(db_url, clock,
                                                                        tmp_path):
    """Two apps on one database and one Redis stand for two server processes."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        unavailable("Redis", exc)
    shared = {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": REDIS_URL,
              "MESSAGE_CHANNEL": f"test-{uuid.uuid4().hex}"}
    a, b = (make_app(db_url, clock, tmp_path, **shared) for _ in range(2))
    seed(a.extensions["hall"], load_layout(DATA / "small_hall.toml"))
    kiosk = {"Authorization": "Bearer " + accounts.add_device(a.extensions["hall"],
                                                               kind="kiosk").value["token"]}
    statuses = [app.test_client().post("/api/v1/tickets", json={"service": "hj"},
                                       headers=kiosk).status_code for app in (a, b) * 11]
    assert statuses == [201] * 20 + [429] * 2
    password = accounts.add_user(a.extensions["hall"], login="li", name="李娜").value["password"]
    on_a = a.test_client()
    signed = on_a.post("/api/v1/auth/login", json={"login": "li", "password": password}).json
    on_b = b.test_client()
    on_b.set_cookie("session", on_a.get_cookie("session").value)
    assert on_b.get("/api/v1/auth/me").status_code == 200
    on_a.post("/api/v1/auth/logout", headers={"X-CSRFToken": signed["csrf_token"]})
    assert on_b.get("/api/v1/auth/me").status_code == 401
    for app in (a, b):
        app.extensions["hall"].engine.dispose()


def test_behind_a_proxy_each_visitor_counts_on_their_own_and_no_one_else_can_say_so(
        db_url, clock, tmp_path):
    def booking(app, forwarded_for: str) -> int:
        return app.test_client().post("/api/v1/appointments", json={},
                                      headers={"X-Forwarded-For": forwarded_for}).status_code

    limits = {"RATELIMIT_ENABLED": True, "RATE_LIMITS": {"booking": "1/minute"}}
    proxied = make_app(db_url, clock, tmp_path, TRUSTED_PROXIES=1, **limits)
    assert [booking(proxied, ip) for ip in ("203.0.113.7", "203.0.113.7", "203.0.113.8")] \
        == [422, 429, 422]
    direct = make_app(db_url, clock, tmp_path, **limits)  # no proxy: the header is a lie
    assert [booking(direct, ip) for ip in ("203.0.113.7", "203.0.113.8")] == [422, 429]
    for app in (proxied, direct):
        app.extensions["hall"].engine.dispose()


def test_limits_and_their_store_come_from_the_environment(monkeypatch, tmp_path):
    from hall import config

    monkeypatch.setenv("HALL_INSTANCE", str(tmp_path))
    monkeypatch.setenv("HALL_RATELIMIT_ISSUE", "5/minute")
    monkeypatch.setenv("HALL_MESSAGE_QUEUE", REDIS_URL)
    cfg = config.load()
    assert cfg["RATE_LIMITS"] == {"issue": "5/minute"} and cfg["RATELIMIT_ENABLED"]
    assert cfg["RATELIMIT_STORAGE_URI"] == REDIS_URL  # the Redis the processes share
    monkeypatch.setenv("HALL_RATELIMIT_STORAGE", "memory://")
    monkeypatch.setenv("HALL_RATELIMIT_ENABLED", "0")
    cfg = config.load()
    assert cfg["RATELIMIT_STORAGE_URI"] == "memory://" and not cfg["RATELIMIT_ENABLED"]


def test_a_limit_is_changed_by_name_and_an_unknown_name_is_refused(db_url, clock, tmp_path):
    app = make_app(db_url, clock, tmp_path, RATELIMIT_ENABLED=True,
                   RATE_LIMITS={"booking": "1/hour"})
    client = app.test_client()
    assert client.post("/api/v1/appointments", json={}).status_code == 422
    assert client.post("/api/v1/appointments", json={}).status_code == 429
    app.extensions["hall"].engine.dispose()
    with pytest.raises(ValueError, match="no rate limit named"):
        make_app(db_url, clock, tmp_path, RATELIMIT_ENABLED=True, RATE_LIMITS={"isue": "1/hour"})


def test_only_the_layout_import_takes_a_large_body(db_url, clock, tmp_path):
    app = make_app(db_url, clock, tmp_path)
    ctx = app.extensions["hall"]
    seed(ctx, load_layout(DATA / "small_hall.toml"))
    password = accounts.add_user(ctx, login="root", name="root", role="admin").value["password"]
    admin = app.test_client()
    token = admin.post("/api/v1/auth/login",
                       json={"login": "root", "password": password}).json["csrf_token"]
    big = {"note": "x" * (100 * 1024)}  # over MAX_CONTENT_LENGTH (64 KiB), under 1 MiB
    r = admin.post("/api/v1/appointments", json=big)
    assert r.status_code == 413 and r.json["error"]["code"] == "too_large"
    assert "/api/v1/admin/layout" in {rule.rule for rule in app.url_map.iter_rules()}
    layout = admin.post("/api/v1/admin/layout", json=big, headers={"X-CSRFToken": token})
    assert layout.status_code != 413, layout.json
    huge = admin.post("/api/v1/admin/layout", json={"toml": "x" * (1100 * 1024)},
                      headers={"X-CSRFToken": token})
    assert huge.status_code == 413
    ctx.engine.dispose()


def from_address(app, address: str):
    """A test client whose requests come from ``address``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_lockout_is_per_account_and_address(db_url, clock, tmp_path):
    """Five wrong passwords lock that login from that address, with backoff, and nowhere
    else: the admin still signs in from their own desk. An unknown login is answered, counted
    and locked exactly as a known one with a wrong password, in about the same time."""
    import statistics
    import time

    # the rate limits (on real time) kept out of the way of the lock (on the test's clock)
    app = make_app(db_url, clock, tmp_path, RATELIMIT_ENABLED=True,
                   RATE_LIMITS={"login_name": "100/minute", "login_ip": "100/minute"})
    ctx = app.extensions["hall"]
    seed(ctx, load_layout(DATA / "small_hall.toml"))
    password = accounts.add_user(ctx, login="boss", name="管理员", role="admin").value["password"]
    attacker, desk = from_address(app, "203.0.113.9"), from_address(app, "10.1.2.3")

    def login(client, name: str, secret: str = "guess"):
        return client.post("/api/v1/auth/login", json={"login": name, "password": secret})

    wrong = [login(attacker, "boss") for _ in range(5)]
    unknown = [login(attacker, "nobody") for _ in range(5)]
    for answers in (wrong, unknown):
        assert [r.status_code for r in answers] == [401] * 5
    assert {repr(r.json) for r in wrong + unknown} == {repr(wrong[0].json)}  # same body
    assert wrong[0].json["error"]["code"] == "bad_credentials"
    locked_known, locked_unknown = login(attacker, "boss", password), login(attacker, "nobody")
    assert locked_known.status_code == locked_unknown.status_code == 409
    assert locked_known.json == locked_unknown.json  # locked alike: nothing to discover
    assert locked_known.json["error"]["code"] == "locked"

    # the owner, from their own address, is not locked out (nor is anyone else there)
    assert login(desk, "boss", password).status_code == 200
    assert login(desk, "nobody").status_code == 401

    # backoff, for that pair only: 5 minutes, then twice as long after five more
    clock.advance(minutes=5, seconds=1)
    assert [login(attacker, "boss").status_code for _ in range(5)] == [401] * 5
    clock.advance(minutes=9)
    again = login(attacker, "boss", password)
    assert again.status_code == 409 and "1" in again.json["error"]["message"]
    clock.advance(minutes=1, seconds=1)
    assert login(attacker, "boss", password).status_code == 200  # the lock ran out

    # similar time: one scrypt check whether the login exists or not (a new password each
    # time, so that no answer is computed once for two guesses)
    def timed(name: str, address: str) -> float:
        client = from_address(app, address)
        start = time.perf_counter()
        assert login(client, name, f"guess {uuid.uuid4()}").status_code == 401
        return time.perf_counter() - start

    known, missing = [], []
    for n in range(4):  # interleaved, each from a fresh address: no lock, no rate limit
        known.append(timed("boss", f"198.51.100.{n}"))
        missing.append(timed(f"ghost{n}", f"198.51.100.{100 + n}"))
    ratio = statistics.median(missing) / statistics.median(known)
    assert 0.5 < ratio < 2, (known, missing)
    app.extensions["hall"].engine.dispose()
