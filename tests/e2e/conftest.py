"""Fixtures of the end-to-end tests: the real app on a real database, a kiosk token, a
signed-in staff member; a real server process with the test hall, and headless Chromium."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from hall.app import create_app
from hall.services.config import accounts
from tests.conftest import unavailable
from tests.e2e.server import running_hall

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"  # screenshots for review, one folder per test
CHROMIUM = Path("/usr/bin/chromium")  # Debian's; Playwright's own downloads are never used
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


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
    from tests.conftest import DATA

    seed(actx, load_layout(DATA / "small_hall.toml"))
    return actx


@pytest.fixture
def kiosk_headers(seeded) -> dict:
    token = accounts.add_device(seeded, kind="kiosk").value["token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def staff_client(app, seeded):
    """A browser-like client signed in as staff 'li', with its CSRF header ready."""
    password = accounts.add_user(seeded, login="li", name="李娜").value["password"]
    client = app.test_client()
    r = client.post("/api/v1/auth/login", json={"login": "li", "password": password})
    assert r.status_code == 200, r.json
    client.csrf = {"X-CSRFToken": r.json["csrf_token"]}
    return client


# --- real server processes and headless Chromium, shared by the page tests ---------------

@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        unavailable("Chromium", f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        unavailable("Playwright", exc)
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
    except Exception as exc:  # noqa: BLE001 - a browser that cannot start is reported
        playwright.stop()
        unavailable("Chromium", exc)
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def artifacts(request) -> Path:
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def async_mode() -> str:
    return "gevent"


@pytest.fixture
def live_hall(ctx, db_url, tmp_path, async_mode):
    with running_hall(ctx, db_url, tmp_path, async_mode) as hall:
        yield hall
