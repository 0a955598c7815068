"""Issue 15 item 9, people manage their own sign-in: over HTTP (POST /api/v1/auth/password,
the 403 ``password_change_required`` a one-time password meets everywhere else, the pages
that show the form instead of their content), from `hall user add`, and in Chromium against
a real server process. The service itself: tests/integration/test_own_password.py."""
from __future__ import annotations

import re

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import select

from hall.cli import cli
from hall.services.config import accounts
from hall.store.models import Staff
from tests.e2e.browsing import page_signed_in_as
from tests.e2e.conftest import SEEN

NEW = "窗口服务 2026 好差评"
ALLOWED = {("post", "/api/v1/auth/login"), ("post", "/api/v1/auth/logout"),
           ("get", "/api/v1/auth/me"), ("post", "/api/v1/auth/password")}


def signed_in_with(app, login: str, password: str):
    client = app.test_client()
    r = client.post("/api/v1/auth/login", json={"login": login, "password": password})
    assert r.status_code == 200, r.json
    client.csrf = {"X-CSRFToken": r.json["csrf_token"]}
    client.signed_in = r.json
    return client


def one_time(app, seeded, login: str = "li", role: str = "staff"):
    """A session signed in with a password made by `hall user add` (its service)."""
    made = accounts.add_user(seeded, login=login, name="李娜", role=role, one_time=True).value
    client = signed_in_with(app, login, made["password"])
    client.password = made["password"]
    return client


def change(client, current: str, new: str = NEW, headers=None):
    return client.post("/api/v1/auth/password", json={"current": current, "new": new},
                       headers=client.csrf if headers is None else headers)


def error(r) -> tuple[int, str, str | None]:
    return r.status_code, r.json["error"]["code"], r.json["error"]["field"]


def every_operation(app):
    spec = app.api_doc
    for path, item in spec["paths"].items():
        for method in item:
            if (method, path) not in ALLOWED:
                yield method, re.sub(r"\{[^}]+\}", "1", path)


def test_a_one_time_password_blocks_every_other_api_call_until_it_is_changed(app, seeded):
    client = one_time(app, seeded)
    assert client.signed_in["must_change_password"] is True
    me = client.get("/api/v1/auth/me")
    assert me.status_code == 200 and me.json["must_change_password"] is True
    operations = list(every_operation(app))
    assert len(operations) > 60 and ("post", "/api/v1/auth/sign-out-everywhere") in operations
    for method, path in operations:
        r = client.open(path, method=method.upper(), json={}, headers=client.csrf)
        assert error(r) == (403, "password_change_required", "password"), (method, path)
        assert r.json["error"]["message"] == "请先修改一次性密码"
    assert error(change(client, client.password, headers={})) == (403, "csrf", "X-CSRFToken")

    r = change(client, client.password)
    assert r.status_code == 200 and r.json == {"ok": True, "must_change_password": False}
    assert client.get("/api/v1/auth/me").json["must_change_password"] is False
    assert client.get("/api/v1/counters").status_code == 200  # the session carries on
    assert client.post("/api/v1/counters/1/sign-in", headers=client.csrf).status_code == 200


def test_a_one_time_session_gets_no_live_socket(app, seeded):
    from hall.extensions import socketio

    client = one_time(app, seeded)
    refused = socketio.test_client(app, namespace="/hall", flask_test_client=client)
    assert not refused.is_connected("/hall")
    assert change(client, client.password).status_code == 200
    live = socketio.test_client(app, namespace="/hall", flask_test_client=client)
    assert live.is_connected("/hall")
    live.disconnect(namespace="/hall")


def test_a_change_ends_the_other_sessions_and_keeps_this_one(app, seeded):
    password = accounts.add_user(seeded, login="wang", name="王强", role="supervisor"
                                 ).value["password"]
    desk, phone = signed_in_with(app, "wang", password), signed_in_with(app, "wang", password)
    copy = app.test_client()  # a copy of the desk's cookie, taken before the change
    copy.set_cookie("session", desk.get_cookie("session").value)
    assert change(desk, password).status_code == 200
    assert desk.get("/api/v1/auth/me").status_code == 200
    assert desk.get("/api/v1/board").status_code == 200
    assert phone.get("/api/v1/auth/me").status_code == 401
    assert copy.get("/api/v1/auth/me").status_code == 401
    assert app.test_client().post("/api/v1/auth/login", json={
        "login": "wang", "password": password}).status_code == 401
    again = signed_in_with(app, "wang", NEW)
    assert again.signed_in["must_change_password"] is False
    assert desk.post("/api/v1/auth/logout", headers=desk.csrf).status_code == 200  # CSRF kept


def test_refusals_name_their_field_and_wrong_passwords_lock_the_account(app, seeded):
    client = one_time(app, seeded, login="zhang.wei.01")
    wrong = change(client, "wrong")
    assert error(wrong) == (422, "wrong_password", "current")
    assert wrong.json["error"]["message"] == "当前密码不正确"
    short = change(client, client.password, "short")
    assert error(short) == (422, "password_too_short", "new")
    assert short.json["error"]["message"] == "新密码至少需要 10 个字符"
    assert error(change(client, client.password, "Zhang.Wei.01")) == (
        422, "password_is_login", "new")
    assert error(change(client, client.password, client.password)) == (
        422, "password_unchanged", "new")
    missing = client.post("/api/v1/auth/password", json={"current": client.password},
                          headers=client.csrf)
    assert error(missing) == (422, "invalid", "new")
    for _ in range(accounts.LOCK_AFTER - 1):  # five wrong in a row, as at sign-in
        assert error(change(client, "wrong")) == (422, "wrong_password", "current")
    assert error(change(client, client.password)) == (409, "locked", "current")
    assert app.test_client().post("/api/v1/auth/login", json={
        "login": "zhang.wei.01", "password": client.password}).status_code == 409
    assert client.get("/api/v1/auth/me").status_code == 200  # the lock ends no session
    # ten tries a minute from one account, whatever they were (hall/web/security.py)
    assert error(change(client, client.password)) == (429, "rate_limited", "current")


def test_the_openapi_document_describes_the_change(app):
    spec = app.test_client().get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/auth/password"]["post"]
    assert operation["security"] == [{"session": []}]
    assert {"200", "403", "409", "422", "429"} <= set(operation["responses"])
    body = spec["components"]["schemas"]["PasswordBody"]
    assert body["required"] == ["current", "new"] and body["additionalProperties"] is False
    assert "password_change_required" in spec["paths"]["/api/v1/counters"]["get"][
        "responses"]["403"]["description"]


def test_admins_create_and_reset_one_time_passwords(app, seeded):
    admin = signed_in_with(app, "boss", accounts.add_user(seeded, login="boss", name="管理员",
                                                   role="admin").value["password"])
    made = admin.post("/api/v1/admin/staff", json={"login": "zhou", "name": "周敏"},
                      headers=admin.csrf).json
    assert made["staff"]["must_change_password"] is True
    zhou = signed_in_with(app, "zhou", made["password"])
    assert zhou.signed_in["must_change_password"] is True
    assert error(zhou.get("/api/v1/counters"))[1] == "password_change_required"
    assert change(zhou, made["password"]).status_code == 200
    staff = admin.get("/api/v1/admin/staff").json["staff"]
    assert [s["must_change_password"] for s in staff if s["login"] == "zhou"] == [False]

    reset = admin.post(f"/api/v1/admin/staff/{made['staff']['id']}/reset-password",
                       headers=admin.csrf).json
    assert reset["staff"]["must_change_password"] is True
    assert zhou.get("/api/v1/auth/me").status_code == 401  # the reset ended the session
    assert signed_in_with(app, "zhou", reset["password"]).signed_in["must_change_password"] is True
    log = admin.get(f"/api/v1/admin/audit?entity=staff&entity_id={made['staff']['id']}").json
    assert [e["action"] for e in log["entries"]] == [
        "reset_password", "change_password", "create"]


def test_hall_user_add_prints_a_one_time_password(app, seeded, db_url, monkeypatch):
    monkeypatch.setenv("HALL_DATABASE_URL", db_url)
    out = CliRunner().invoke(cli, ["user", "add", "liu", "--name", "刘洋"])
    assert out.exit_code == 0, out.output
    assert "one-time password" in out.output
    password = out.output.strip().rsplit(" ", 1)[-1]
    with seeded.engine.connect() as conn:
        assert conn.execute(select(Staff.must_change_password).where(
            Staff.login == "liu")).scalar_one() is True
    assert signed_in_with(app, "liu", password).signed_in["must_change_password"] is True


def test_pages_show_the_form_instead_of_their_content(app, seeded):
    client = one_time(app, seeded, login="zhao", role="supervisor")
    board = client.get("/admin/board").get_data(True)
    assert 'id="password-form"' in board and 'data-forced="1"' in board
    assert 'data-next="/admin/board"' in board and 'id="nav-board"' not in board
    terminal = client.get("/counter?lang=en").get_data(True)
    assert 'id="password-form"' in terminal and 'id="terminal"' not in terminal
    assert "Replace your one-time password" in terminal
    assert change(client, client.password).status_code == 200
    board = client.get("/admin/board").get_data(True)
    assert 'id="password-form"' not in board and 'id="change-password"' in board
    terminal = client.get("/counter").get_data(True)
    assert 'id="terminal"' in terminal and 'id="btn-password"' in terminal
    voluntary = client.get("/counter/password").get_data(True)
    assert 'data-forced="0"' in voluntary and 'id="back-to-terminal"' in voluntary
    anonymous = app.test_client().get("/counter/password")
    assert anonymous.status_code == 302 and anonymous.location.endswith("/counter")
    assert 'id="login-form"' in app.test_client().get("/admin/password").get_data(True)


# --- in Chromium, against a real server process ----------------------------------------

def signed_in_elsewhere(server, login: str, password: str) -> requests.Session:
    other = requests.Session()
    r = other.post(f"{server.url}/api/v1/auth/login", timeout=5,
                   json={"login": login, "password": password})
    assert r.status_code == 200, r.text
    return other


def still_signed_in(server, session: requests.Session) -> bool:
    return session.get(f"{server.url}/api/v1/auth/me", timeout=5).status_code == 200


def fill_password_form(page, current: str, new: str, again: str | None = None) -> None:
    page.fill("#password-current", current)
    page.fill("#password-new", new)
    page.fill("#password-again", new if again is None else again)
    page.click("#password-submit")


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_staff_change_their_own_password(live_hall, ctx, browser, artifacts):
    from playwright.sync_api import expect

    server, _tokens, _post = live_hall
    # a supervisor, in the console's header
    password = accounts.add_user(ctx, login="zhao", name="赵敏", role="supervisor"
                                 ).value["password"]
    page, errors = page_signed_in_as(browser, f"{server.url}/admin/board", "zhao", password)
    phone = signed_in_elsewhere(server, "zhao", password)
    page.click("#change-password")
    expect(page.locator("#password-form")).to_be_visible(timeout=SEEN)
    expect(page.locator("#password-title")).to_have_text("修改密码")
    expect(page.locator("#password-rule")).to_contain_text("至少 10 个字符")
    fill_password_form(page, "wrong password", NEW)
    expect(page.locator("#password-current-error")).to_have_text("当前密码不正确", timeout=SEEN)
    expect(page.locator("#password-current")).to_have_attribute("aria-invalid", "true")
    fill_password_form(page, password, "short")
    expect(page.locator("#password-new-error")).to_contain_text("至少需要 10 个字符",
                                                                timeout=SEEN)
    expect(page.locator("#password-current-error")).to_have_text("")
    fill_password_form(page, password, NEW, again=NEW + "!")
    expect(page.locator("#password-again-error")).to_have_text("两次输入的新密码不一致")
    page.screenshot(path=artifacts / "1-console-refused.png", full_page=True)
    fill_password_form(page, password, NEW)
    expect(page.locator("#password-done")).to_contain_text("密码已修改", timeout=SEEN)
    page.screenshot(path=artifacts / "2-console-changed.png", full_page=True)
    assert not still_signed_in(server, phone)  # the other device is signed out …
    page.click("#nav-board")  # … and this one carries on
    expect(page.locator("#nav-board")).to_have_class("active", timeout=SEEN)
    expect(page.locator("#login-form")).to_have_count(0)
    assert still_signed_in(server, signed_in_elsewhere(server, "zhao", NEW))

    # window staff, from the counter terminal's header
    password = accounts.add_user(ctx, login="li", name="李娜").value["password"]
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    desk = context.new_page()
    desk.on("pageerror", lambda exc: errors.append(str(exc)))
    desk.goto(f"{server.url}/counter")
    expect(desk.locator("#login")).to_be_visible(timeout=SEEN)
    expect(desk.locator("#btn-password")).to_be_hidden()  # nobody to change it for yet
    desk.fill("#login-name", "li")
    desk.fill("#login-password", password)
    desk.click("#login-submit")
    expect(desk.locator("#choose")).to_be_visible(timeout=SEEN)
    expect(desk.locator("#btn-password")).to_have_text("修改密码")
    desk.click("#btn-password")
    expect(desk.locator("#password-form")).to_be_visible(timeout=SEEN)
    expect(desk.locator("#t-staff")).to_have_text("李娜")
    fill_password_form(desk, password, NEW)
    expect(desk.locator("#password-done")).to_contain_text("密码已修改", timeout=SEEN)
    desk.screenshot(path=artifacts / "3-counter-changed.png")
    desk.click("#back-to-terminal")
    expect(desk.locator("#choose")).to_be_visible(timeout=SEEN)
    assert not errors, errors


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_one_time_password_must_be_replaced(live_hall, ctx, browser, artifacts):
    from playwright.sync_api import expect

    server, _tokens, _post = live_hall
    # at the window: the terminal's own sign-in leads to the form, not to the terminal
    password = accounts.add_user(ctx, login="li", name="李娜", one_time=True
                                 ).value["password"]
    other = signed_in_elsewhere(server, "li", password)
    refused = other.get(f"{server.url}/api/v1/counters", timeout=5)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "password_change_required"
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    desk = context.new_page()
    errors: list[str] = []
    desk.on("pageerror", lambda exc: errors.append(str(exc)))
    desk.goto(f"{server.url}/counter")
    expect(desk.locator("#login")).to_be_visible(timeout=SEEN)
    desk.fill("#login-name", "li")
    desk.fill("#login-password", password)
    desk.click("#login-submit")
    expect(desk.locator("#password-forced")).to_be_visible(timeout=SEEN)
    expect(desk.locator("#password-title")).to_have_text("请修改一次性密码")
    expect(desk.locator("#terminal")).to_have_count(0)
    desk.screenshot(path=artifacts / "1-counter-one-time.png")
    desk.reload()  # no way round it
    expect(desk.locator("#password-forced")).to_be_visible(timeout=SEEN)
    fill_password_form(desk, password, NEW)
    expect(desk.locator("#choose")).to_be_visible(timeout=SEEN)  # on to the terminal
    expect(desk.locator("#btn-password")).to_be_visible()
    desk.screenshot(path=artifacts / "2-counter-chooser.png")
    assert not still_signed_in(server, other)

    # in the console: an administrator given a one-time password
    boss = accounts.add_user(ctx, login="boss", name="管理员", role="admin", one_time=True
                             ).value["password"]
    page, console_errors = page_signed_in_as(browser, f"{server.url}/admin/staff?lang=en",
                                             "boss", boss)
    expect(page.locator("#password-forced")).to_be_visible(timeout=SEEN)
    expect(page.locator("#password-title")).to_have_text("Replace your one-time password")
    expect(page.locator("#nav-staff")).to_have_count(0)
    expect(page.locator("#change-password")).to_have_count(0)
    page.screenshot(path=artifacts / "3-console-one-time-en.png", full_page=True)
    page.goto(f"{server.url}/admin/board")
    expect(page.locator("#password-forced")).to_be_visible(timeout=SEEN)
    page.goto(f"{server.url}/admin/staff")
    fill_password_form(page, boss, "boss")
    expect(page.locator("#password-new-error")).to_have_text(
        re.compile("at least 10 characters"), timeout=SEEN)
    fill_password_form(page, boss, NEW)
    expect(page.locator("#nav-staff")).to_have_class("active", timeout=SEEN)
    expect(page.locator("#staff tr[data-login=boss]")).to_be_visible(timeout=SEEN)
    page.screenshot(path=artifacts / "4-console-staff.png", full_page=True)
    assert not errors and not console_errors, (errors, console_errors)
