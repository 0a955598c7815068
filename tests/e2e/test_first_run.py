"""Issue 9, roles: no default password (the first start makes the admin and prints a random
password once), a lock that grows with repeated failures, sessions that end by themselves
(idle, absolute lifetime), by logout, by "sign out everywhere" and by a password reset."""
from __future__ import annotations

import json
import re

import pytest
import requests
from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from hall.app import create_app
from hall.domain.errors import DomainError
from hall.services.config import accounts
from hall.services.config.layout.seed import load_layout, seed
from hall.store.models import Staff
from tests.conftest import DATA
from tests.e2e.server import Server

ONE_TIME = re.compile(r"administrator (\S+) created; password \(shown once, keep it safe\): (\S+)")


def log_in_over_http(url: str, login: str, password: str) -> requests.Response:
    return requests.post(url + "/api/v1/auth/login", json={"login": login, "password": password},
                         timeout=10)


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # both: the seeding test below
def test_the_first_start_prints_the_admins_password_once(ctx, db_url, tmp_path):
    seed(ctx, load_layout(DATA / "small_hall.toml"))
    server = Server(db_url, tmp_path).start()
    try:
        ((login, password),) = ONE_TIME.findall(server.log.read_text())
        r = log_in_over_http(server.url, login, password)
        assert r.status_code == 200 and r.json()["staff"]["role"] == "admin", r.text
    finally:
        server.stop()
    again = Server(db_url, tmp_path).start()  # the second start: an admin exists, no password
    try:
        assert "password" not in again.log.read_text()
        assert log_in_over_http(again.url, login, password).status_code == 200  # and it still works
    finally:
        again.stop()


def test_seeding_the_first_hall_makes_its_admin_once(ctx, db_url, monkeypatch):
    from click.testing import CliRunner

    from hall.cli import cli

    monkeypatch.setenv("HALL_DATABASE_URL", db_url)
    runner = CliRunner()
    first = runner.invoke(cli, ["seed", str(DATA / "small_hall.toml")])
    (made,) = json.loads(first.output)["first_admins"]
    assert accounts.authenticate(ctx, made["login"], made["password"]).role == "admin"
    again = runner.invoke(cli, ["seed", str(DATA / "small_hall.toml")])
    assert "first_admins" not in again.output and made["password"] not in again.output


# --- lockout with backoff --------------------------------------------------------------------

def attempt(ctx, password: str) -> str:
    try:
        accounts.sign_in(ctx, "wang", password)
    except DomainError as err:
        return err.code
    return "ok"


def test_repeated_failures_lock_the_account_for_longer_each_time(ctx, hall, clock):
    password = accounts.add_user(ctx, login="wang", name="王芳").value["password"]
    assert [attempt(ctx, "guess") for _ in range(5)] == ["bad_credentials"] * 5
    assert attempt(ctx, password) == "locked"  # even the right password, while locked
    clock.advance(minutes=5, seconds=1)
    assert [attempt(ctx, "guess") for _ in range(5)] == ["bad_credentials"] * 5
    clock.advance(minutes=9)
    with pytest.raises(DomainError) as locked:
        accounts.sign_in(ctx, "wang", password)
    assert locked.value.params == {"minutes": 1}  # the second lock lasts 10 minutes
    clock.advance(minutes=1, seconds=1)
    assert attempt(ctx, password) == "ok"
    assert [attempt(ctx, "guess") for _ in range(4)] + [attempt(ctx, password)] == \
        ["bad_credentials"] * 4 + ["ok"]  # a success starts the count again
    assert [accounts.lock_time(n * 5).total_seconds() / 60 for n in (1, 2, 3, 4, 5, 50)] == \
        [5, 10, 20, 40, 60, 60]  # doubling, up to an hour


def test_a_sign_in_is_stamped_and_an_old_hash_is_upgraded(ctx, hall, clock):
    with ctx.engine.begin() as conn:
        conn.execute(update(Staff).where(Staff.id == hall["staff"]["li"]).values(
            password_hash=generate_password_hash("old secret", method="pbkdf2:sha256")))
    assert accounts.authenticate(ctx, "li", "old secret").role == "staff"
    with ctx.engine.connect() as conn:
        row = conn.execute(select(Staff).where(Staff.id == hall["staff"]["li"])).one()
    assert row.password_hash.startswith("scrypt:") and row.last_login_at == clock.now()
    assert accounts.authenticate(ctx, "li", "old secret").role == "staff"


# --- sessions ---------------------------------------------------------------------------------

@pytest.fixture
def hall_app(db_url, clock, tmp_path):
    app = create_app({"DATABASE_URL": db_url, "ASYNC_MODE": "threading", "SECRET_KEY": "test",
                      "INSTANCE": tmp_path, "TESTING": True, "RATELIMIT_ENABLED": False,
                      "SESSION_IDLE_MINUTES": 5}, clock=clock)
    seed(app.extensions["hall"], load_layout(DATA / "small_hall.toml"))
    yield app
    app.extensions["hall"].engine.dispose()


def signed_in(app, login: str = "li", role: str = "supervisor", password: str | None = None):
    if password is None:
        password = accounts.add_user(app.extensions["hall"], login=login, name=login,
                                     role=role).value["password"]
    client = app.test_client()
    r = client.post("/api/v1/auth/login", json={"login": login, "password": password})
    assert r.status_code == 200, r.json
    client.csrf = {"X-CSRFToken": r.json["csrf_token"]}
    client.password = password
    return client


def me(client) -> int:
    return client.get("/api/v1/auth/me").status_code


def test_a_session_ends_after_the_idle_time_and_at_its_lifetime(hall_app, clock):
    client = signed_in(hall_app)
    for _ in range(3):  # used every 4 minutes: alive (idle limit 5)
        clock.advance(minutes=4)
        assert me(client) == 200
    clock.advance(minutes=5, seconds=1)
    assert me(client) == 401
    assert 'id="login-form"' in client.get("/admin/board").get_data(True)  # pages too
    client = signed_in(hall_app, password=client.password)
    for _ in range(8 * 60 // 4 - 1):  # busy all day…
        clock.advance(minutes=4)
        assert me(client) == 200
    clock.advance(minutes=4)
    assert me(client) == 401  # … but a working day is the most a session lasts


def test_logout_ends_the_session_and_every_copy_of_its_cookie(hall_app):
    client = signed_in(hall_app)
    copy = hall_app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert me(copy) == 200
    assert client.post("/api/v1/auth/logout", headers=client.csrf).json == {"ok": True}
    assert me(client) == 401 and me(copy) == 401


def test_signing_out_everywhere_and_a_password_reset_end_all_sessions(hall_app):
    desk = signed_in(hall_app)
    phone = signed_in(hall_app, password=desk.password)
    assert me(desk) == me(phone) == 200
    r = phone.post("/api/v1/auth/sign-out-everywhere", headers=phone.csrf)
    assert r.status_code == 200 and me(desk) == 401 and me(phone) == 401
    desk = signed_in(hall_app, password=desk.password)
    accounts.add_user(hall_app.extensions["hall"], login="li", name="li", role="supervisor")
    assert me(desk) == 401  # the old password's sessions die with it
    device = hall_app.test_client().post("/api/v1/auth/sign-out-everywhere")
    assert device.status_code == 401
