"""HTTP fixtures: the real app on a real database, a kiosk token and a signed-in staff."""
from __future__ import annotations

import pytest

from hall.app import create_app
from hall.services import accounts


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
    from hall.services.setup import load_layout, seed
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
