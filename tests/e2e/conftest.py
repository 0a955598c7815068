"""Fixtures of the end-to-end tests: the real app on a real database with Flask's test client
(a kiosk token, signed-in staff, a supervisor, an admin); a real server process with the test
hall; headless Chromium. Helpers several test modules share are here too, imported by name.

Chromium starts once per test process (``chromium``); each test gets it as ``browser`` and its
browser contexts are closed when the test ends, so no page of an earlier test keeps polling a
server that is gone."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import text

from hall.app import create_app
from hall.services.config import accounts
from tests.conftest import DATA, empty_database, unavailable
from tests.e2e.server import running_hall

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"  # screenshots for review, one folder per test
CHROMIUM = Path("/usr/bin/chromium")  # Debian's; Playwright's own downloads are never used
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]

SEEN = 5000  # ms: "within a blink" on a page, with margin for a loaded CI machine
HALL_ZONE = "Asia/Urumqi"  # UTC+6: neither the server's default zone nor the browser's
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
# The integration layer runs every service on both databases. Here a test runs on SQLite
# unless the database is part of what it is about (kill -9, processes sharing a database,
# input PostgreSQL treats differently, the hall fences, reports read in SQL): those say so.
ON_BOTH_DATABASES = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
# A real server on each database and in each async mode, without crossing the two axes (the
# full cross is tests/e2e/test_server_modes.py): gevent + SQLite and eventlet + PostgreSQL.
BOTH_STACKS = pytest.mark.parametrize(("db_url", "async_mode"),
                                      [("sqlite", "gevent"), ("postgresql", "eventlet")],
                                      indirect=["db_url"])


def err(r, status: int, code: str, field: str | None) -> None:
    """A Flask test client's answer is the refusal with this status, code and field."""
    assert r.status_code == status, r.json
    assert r.json["error"]["code"] == code, r.json
    assert r.json["error"]["field"] == field, r.json
    assert r.json["error"]["message"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def issue(client, headers: dict, service: str = "hj", **extra):
    """POST /api/v1/tickets; the response."""
    return client.post("/api/v1/tickets", json={"service": service, **extra}, headers=headers)


def served(client, kiosk_headers, staff_client, outcome: str = "done") -> dict:
    """A ticket issued at the kiosk and served to the end at counter 1 (where
    ``staff_client`` is signed in): the ticket, with the case its finish opened, if any."""
    t = issue(client, kiosk_headers).json
    h = staff_client.csrf
    for step in ("call-next", "start"):
        assert staff_client.post(f"/api/v1/counters/1/{step}", headers=h).status_code == 200
    r = staff_client.post("/api/v1/counters/1/finish", json={"outcome": outcome}, headers=h)
    assert r.status_code == 200, r.json
    return {**t, "case": r.json.get("case")}


def sign_in_at_counter(client, counter: int = 1):
    """A signed-in staff client takes counter ``counter`` (POST …/sign-in)."""
    r = client.post(f"/api/v1/counters/{counter}/sign-in", headers=client.csrf)
    assert r.status_code == 200, r.json
    return r


def open_page(browser, url: str, width: int, height: int, timezone_id: str = "Asia/Shanghai"):
    context = browser.new_context(viewport={"width": width, "height": height},
                                  locale="zh-CN", timezone_id=timezone_id)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.wait_for_function("() => document.body.dataset.live === 'live'", timeout=15000)
    return page, errors


def new_tab(context, url: str):
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    return page, errors


def wait_live(page):
    page.wait_for_function("() => document.body.dataset.live === 'live'", timeout=15000)


def sign_in_on_page(page, login: str, password: str):
    """Sign in through the counter terminal's own form."""
    from playwright.sync_api import expect

    expect(page.locator("#login")).to_be_visible(timeout=SEEN)
    page.fill("#login-name", login)
    page.fill("#login-password", password)
    page.click("#login-submit")


def open_kiosk(browser, server, kiosk, query: str = "", width=1080, height=1920):
    """The kiosk page, ready. Its clock is Playwright's (running at real speed): a test
    that waits for the idle countdown moves it on with ``page.clock.fast_forward``."""
    context = browser.new_context(viewport={"width": width, "height": height},
                                  locale="zh-CN", timezone_id="Asia/Shanghai")
    context.clock.install()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # resources that fail to load (API refusals are answers the page shows, not errors)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and "/api/v1/" not in r.url
            else None)
    sep = "&" if query else ""
    page.goto(f"{server.url}/kiosk/{kiosk['id']}?{query}{sep}token={kiosk['token']}")
    page.wait_for_selector("body[data-state=ready]", timeout=15000)
    return page, errors


def open_pad(browser, url: str, locale: str = "zh-CN"):
    """The rating pad's page, live. Its clock is Playwright's (running at real speed): a
    test moves it on with ``page.clock.fast_forward`` instead of waiting out a screen."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale=locale,
                                  timezone_id="Asia/Shanghai", has_touch=True)
    context.clock.install()
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda m: problems.append(m.text)
            if m.type == "error" and "Content Security Policy" in m.text else None)
    page.goto(url)
    page.wait_for_function("() => document.body.dataset.live === 'live'", timeout=15000)
    return page, problems


def backdate_start(ctx, ticket_id: int, minutes: float) -> None:
    """Move the visit's start into the past: the server's clock is the system's, so the
    countdown is driven by changing when the visit began (a real row, a real server)."""
    with ctx.engine.begin() as conn:
        conn.execute(text("UPDATE tickets SET started_at = :at WHERE id = :id"),
                     {"at": datetime.now(UTC) - timedelta(minutes=minutes), "id": ticket_id})


def admin_session(ctx, url: str, login: str = "root") -> requests.Session:
    password = accounts.add_user(ctx, login=login, name="管理员",
                                 role="admin").value["password"]
    http = requests.Session()
    r = http.post(url + "/api/v1/auth/login", json={"login": login, "password": password},
                  timeout=5)
    assert r.status_code == 200, r.text
    http.headers["X-CSRFToken"] = r.json()["csrf_token"]
    return http


def change_settings(ctx, url: str, **changes) -> dict:
    """Change the running hall's settings as /admin/settings does (PUT
    /api/v1/admin/settings, signed in as an admin of its own): the server empties its
    short settings cache at once, where a write to the database behind its back races that
    cache. Returns the settings as stored."""
    http = admin_session(ctx, url, login="settings-admin")
    settings = http.get(url + "/api/v1/admin/settings", timeout=5).json()
    r = http.put(url + "/api/v1/admin/settings", json={**settings, **changes}, timeout=5)
    assert r.status_code == 200, r.text
    http.close()
    return r.json()


@pytest.fixture(params=["sqlite"])
def db_url(request, tmp_path, sqlite_template) -> str:
    """A migrated, empty database: SQLite, or PostgreSQL for a test marked
    ``ON_BOTH_DATABASES`` (or parametrized on ``db_url`` itself)."""
    return empty_database(request, request.param, tmp_path, sqlite_template)


# --- the app in this process, Flask's test client --------------------------------------------

@pytest.fixture
def app(db_url, clock, tmp_path):
    app = create_app({"DATABASE_URL": db_url, "ASYNC_MODE": "threading",
                      "SECRET_KEY": "test", "INSTANCE": tmp_path, "TESTING": True},
                     clock=clock)
    yield app
    app.extensions["hall"].engine.dispose()


@pytest.fixture
def actx(app):
    return app.extensions["hall"]


@pytest.fixture
def seeded(actx):
    from hall.services.config.layout.seed import load_layout, seed

    seed(actx, load_layout(DATA / "small_hall.toml"))
    return actx


@pytest.fixture
def client(app):
    """Flask's test client with no credentials (a visitor, a phone)."""
    return app.test_client()


@pytest.fixture
def kiosk_headers(seeded) -> dict:
    return bearer(accounts.add_device(seeded, kind="kiosk").value["token"])


@pytest.fixture
def login_as(app, seeded):
    """``login_as(login, role="staff", name=None)``: a new account and a test client signed
    in as it, like a browser: its CSRF header in ``.csrf``, its id in ``.staff_id`` and its
    one-time password in ``.password``."""

    def sign_in_as(login: str, role: str = "staff", name: str | None = None):
        password = accounts.add_user(seeded, login=login, name=name or login,
                                     role=role).value["password"]
        client = app.test_client()
        r = client.post("/api/v1/auth/login", json={"login": login, "password": password})
        assert r.status_code == 200, r.json
        client.csrf = {"X-CSRFToken": r.json["csrf_token"]}
        client.staff_id = r.json["staff"]["id"]
        client.password = password
        return client

    return sign_in_as


@pytest.fixture
def staff_client(login_as):
    """Staff member 'li' (李娜), signed in."""
    return login_as("li", "staff", "李娜")


@pytest.fixture
def supervisor_client(login_as):
    """Supervisor 'wang' (王强), signed in."""
    return login_as("wang", "supervisor", "王强")


@pytest.fixture
def admin_client(login_as):
    """Administrator 'root' (管理员), signed in."""
    return login_as("root", "admin", "管理员")


# --- real server processes and headless Chromium, shared by the page tests ---------------

@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the whole test process (tests take it as ``browser``)."""
    if not CHROMIUM.exists():
        unavailable("Chromium", f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        unavailable("Playwright", exc)
    playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
    except Exception as exc:  # noqa: BLE001 - a browser that cannot start is reported
        playwright.stop()
        unavailable("Chromium", exc)
    yield launched
    launched.close()
    playwright.stop()


@pytest.fixture
def browser(chromium):
    """The test process's Chromium; the contexts (and pages) a test opens close after it."""
    before = set(chromium.contexts)
    yield chromium
    for context in chromium.contexts:
        if context not in before:
            context.close()


@pytest.fixture
def artifacts(request) -> Path:
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def async_mode() -> str:
    """The server's async mode; a test parametrizes it to run on another."""
    return "gevent"


@pytest.fixture
def live_hall(ctx, db_url, tmp_path, async_mode):
    """The small test hall served by a real process (tests/e2e/server.py running_hall):
    (server, device tokens by name, post)."""
    with running_hall(ctx, db_url, tmp_path, async_mode) as hall:
        yield hall


@pytest.fixture
def zoned_hall(ctx, db_url, tmp_path, async_mode):
    """The test hall with its clock in HALL_ZONE (Asia/Urumqi, UTC+6), served by a real
    process: (server, device tokens by name, post)."""
    with running_hall(ctx, db_url, tmp_path, async_mode, hall_timezone=HALL_ZONE) as hall:
        yield hall


@pytest.fixture
def printer_80mm(tmp_path):
    """The ESC/POS printer emulator with 80 mm paper on TCP (a kiosk's, a window's)."""
    from drivers.escpos.emulator import PrinterEmulator

    emu = PrinterEmulator(tmp_path / "printed", paper="80")
    emu.listen_tcp()
    with emu:
        yield emu
