"""Fixtures and helpers of the integration tests: the service layer against the real
databases (``ctx`` and the seeded ``hall`` come from tests/conftest.py). Actors are built the
way the entry points build them; helpers several test modules share are imported by name."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from hall.domain.access import Actor
from hall.services.config import accounts
from hall.services.counters import state as counters
from hall.services.queue import calling, tickets, visits


def kiosk(hall) -> Actor:
    """The hall's kiosk (device 1) as the ticket API's caller."""
    return Actor("device", 1, hall["id"], "kiosk")


def pad_at(hall, number: int) -> Actor:
    """The rating pad at counter ``number``."""
    return Actor("device", 90 + number, hall["id"], "pad", hall["counters"][number])


def signed_in_at(ctx, hall, number: int, login: str = "li") -> Actor:
    """Sign ``login`` in at counter ``number`` (which opens it); their actor there."""
    counters.sign_in(ctx, counter_id=hall["counters"][number], staff_id=hall["staff"][login])
    return Actor("staff", hall["staff"][login], hall["id"], "staff", hall["counters"][number])


def finished_visit(ctx, hall, number: int = 1, outcome: str = "done",
                   service: str = "hj", **finish) -> dict:
    """Issue a ticket and serve it to the end at counter ``number`` (``finish``: the rest
    of the finish command, e.g. fast_track or parts); returns the ticket, with the case
    its finish opened (if any) as ``case``."""
    t = tickets.issue(ctx, hall_id=hall["id"], service=service, actor=kiosk(hall)).value
    staff = signed_in_at(ctx, hall, number)
    called = calling.call_next(ctx, counter_id=hall["counters"][number], actor=staff).value
    assert called["id"] == t["id"]
    calling.start(ctx, counter_id=hall["counters"][number], actor=staff)
    done = visits.finish(ctx, counter_id=hall["counters"][number], actor=staff,
                         outcome=outcome, **finish).value
    return {**t, "case": done["case"]}


def set_hall_settings(ctx, hall, **values) -> None:
    """Change the hall's JSON settings as `hall seed` would, and drop cached copies."""
    with ctx.engine.begin() as conn:
        current = conn.execute(text("SELECT settings FROM halls WHERE id=:i"),
                               {"i": hall["id"]}).scalar_one()
        current = json.loads(current) if isinstance(current, str) else dict(current or {})
        conn.execute(text("UPDATE halls SET settings=:s WHERE id=:i"),
                     {"s": json.dumps({**current, **values}, ensure_ascii=False),
                      "i": hall["id"]})
    ctx.cache.clear()


@pytest.fixture
def admin(ctx, hall) -> Actor:
    """A new administrator, 'root' (管理员), of the test hall."""
    staff_id = accounts.add_user(ctx, login="root", name="管理员", role="admin").value["id"]
    return Actor("staff", staff_id, hall["id"], "admin", label="管理员")


@pytest.fixture
def app_with_clock(db_url, clock, tmp_path):
    """The app (threading mode, the test clock) with the small hall seeded, for what runs in
    the watch: (app, ctx, clock, hall ids)."""
    from sqlalchemy import text

    from hall.app import create_app
    from hall.services.config.layout.seed import load_layout, seed
    from tests.conftest import DATA

    app = create_app({"DATABASE_URL": db_url, "ASYNC_MODE": "threading", "SECRET_KEY": "t",
                      "INSTANCE": tmp_path, "TESTING": True}, clock=clock)
    ctx = app.extensions["hall"]
    seed(ctx, load_layout(DATA / "small_hall.toml"))
    with ctx.engine.connect() as conn:
        hall = {"id": conn.execute(text("SELECT id FROM halls")).scalar_one(),
                "counters": dict(conn.execute(text("SELECT number, id FROM counters")).all()),
                "staff": dict(conn.execute(text("SELECT login, id FROM staff")).all())}
    yield app, ctx, clock, hall
    ctx.engine.dispose()
