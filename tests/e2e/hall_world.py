"""A hall with someone of every kind in it, for the security tests: staff at counters 1 and
2, a supervisor, an admin, a kiosk, a screen, a rating pad at each of counters 1 and 2 and a
keypad at counter 1, plus one of everything they act on (a finished and badly rated visit
with its case, alert and follow-up, a waiting ticket, a booked appointment, a print job,
a pairing request). Built through the HTTP API, as the hall itself would be.
``build_second_hall`` puts a second hall just like it (code ``test2``) beside it on the same
server, with its own people, devices and things, for the tests that fence halls apart.

The visitor booked with PHONE and a ticket was issued with ID_NUMBER: neither may come back
unmasked from any page, answer or export.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from sqlalchemy import update

from hall.app import create_app
from hall.services.config import accounts
from hall.services.config.layout.seed import load_layout, seed
from hall.services.ratings import rating as ratings
from hall.store.models import Service
from tests.conftest import DATA

PHONE = "13812345678"
ID_NUMBER = "11010519491231002X"

ANON, STAFF1, STAFF2, SUP, ADMIN = "anonymous", "staff@1", "staff@2", "supervisor", "admin"
KIOSK, SCREEN, PAD1, PAD2, KEYPAD = "kiosk", "screen", "pad@1", "pad@2", "keypad@1"
AGENT = "agent"  # the second hall's only: an agent may do what every device of its hall may
ROLES = (ANON, STAFF1, STAFF2, SUP, ADMIN, KIOSK, SCREEN, PAD1, PAD2, KEYPAD)
STAFF_LOGINS = {STAFF1: ("li", "staff"), STAFF2: ("wu", "staff"), SUP: ("chen", "supervisor"),
                ADMIN: ("root", "admin")}
DEVICES = {KIOSK: ("kiosk", None), SCREEN: ("screen", None), PAD1: ("pad", 1),
           PAD2: ("pad", 2), KEYPAD: ("keypad", 1)}


@dataclass
class Caller:
    """How one role calls: a cookie session (with its CSRF token) or a bearer token."""

    client: Any
    csrf: str | None = None
    token: str | None = None
    id: int | None = None

    def headers(self, write: bool) -> dict[str, str]:
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        return {"X-CSRFToken": self.csrf} if write and self.csrf else {}

    def call(self, method: str, url: str, body: Any = None, csrf: bool = True):
        write = method not in ("GET", "HEAD")
        return self.client.open(url, method=method, json=body if write else None,
                                headers=self.headers(write and csrf))


@dataclass
class World:
    app: Flask
    callers: dict[str, Caller] = field(default_factory=dict)
    ids: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, role: str) -> Caller:
        return self.callers[role]


def make_app(db_url, clock, tmp_path, **overrides):
    """The app, limits off and in this process's memory unless a test says otherwise
    (whatever the environment running the tests says)."""
    return create_app({"DATABASE_URL": db_url, "ASYNC_MODE": "threading", "SECRET_KEY": "test",
                       "INSTANCE": tmp_path, "TESTING": True, "RATELIMIT_ENABLED": False,
                       "RATELIMIT_STORAGE_URI": "memory://", "RATE_LIMITS": {}, **overrides},
                      clock=clock)



def ok(response, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.get_data(True))
    return response.json


def build(app: Flask, hall: str = "test") -> World:
    """The world of hall ``hall`` (the layout's, under that code; logins other than the
    first hall's end in the code)."""
    ctx = app.extensions["hall"]
    layout = load_layout(DATA / "small_hall.toml")
    layout["hall"]["code"] = hall
    seed(ctx, layout)
    with ctx.engine.begin() as conn:  # 身份证办理 counts tickets per person (by ID number)
        conn.execute(update(Service).where(Service.code == "sfz").values(per_person_limit=2))
    ctx.cache.clear()
    world = World(app)
    world.ids["hall"] = hall
    world.callers[ANON] = Caller(app.test_client())
    suffix = "" if hall == "test" else f"@{hall}"
    for role, (login, kind) in STAFF_LOGINS.items():
        login += suffix
        made = accounts.add_user(ctx, login=login, name=login, role=kind,
                                 hall_code=hall).value
        client = app.test_client()
        signed = ok(client.post("/api/v1/auth/login",
                                json={"login": login, "password": made["password"]}))
        world.callers[role] = Caller(client, csrf=signed["csrf_token"], id=made["id"])
    devices = DEVICES if hall == "test" else {**DEVICES, AGENT: ("agent", None)}
    for role, (kind, counter) in devices.items():
        made = accounts.add_device(ctx, kind=kind, counter_number=counter,
                                   hall_code=hall).value
        world.callers[role] = Caller(app.test_client(), token=made["token"], id=made["id"])
    counters = {c["number"]: c["id"] for c in ok(world[ADMIN].call("GET", "/api/v1/counters"))
                ["counters"]}
    world.ids.update(counter_id=counters[1], counter2_id=counters[2])
    ok(world[STAFF1].call("POST", f"/api/v1/counters/{counters[1]}/sign-in"))
    ok(world[STAFF2].call("POST", f"/api/v1/counters/{counters[2]}/sign-in"))
    _visit(world)
    _the_rest(world)
    return world


def build_second_hall(app: Flask) -> World:
    """Hall ``test2`` beside the first, on the same server and database: the same layout
    (so its windows have the same numbers, its services the same codes), its own staff,
    supervisor, admin, devices (an agent too), visit, case, alert, follow-up, appointment
    and print job."""
    return build(app, hall="test2")


def _visit(world: World) -> None:
    """A visit served at counter 1, its case accepted, then rated 1 by the visitor at the
    pad (a follow-up and an alert open); and a ticket still waiting behind it."""
    c1 = world.ids["counter_id"]
    served = ok(world[KIOSK].call("POST", "/api/v1/tickets", {"service": "hj"}), 201)
    waiting = ok(world[KIOSK].call("POST", "/api/v1/tickets", {"service": "sfz",
                                                               "id_number": ID_NUMBER}), 201)
    ok(world[KEYPAD].call("POST", f"/api/v1/counters/{c1}/call-next"))
    ok(world[KEYPAD].call("POST", f"/api/v1/counters/{c1}/start"))
    ok(world[STAFF1].call("POST", f"/api/v1/counters/{c1}/finish", {"outcome": "accepted"}))
    reason = next(iter(ratings.DEFAULT_REASONS))
    ok(world[PAD1].call("POST", f"/api/v1/tickets/{served['id']}/rating",
                        {"level": 1, "reason": reason, "comment": "等太久"}), 201)
    world.ids.update(ticket_id=served["id"], waiting_id=waiting["id"],
                     token=waiting["token"], waiting_number=waiting["number"])


def _the_rest(world: World) -> None:
    hall = world.ids["hall"]
    day = ok(world[ANON].call(
        "GET", f"/api/v1/appointments/slots?service=hj&day=2026-11-24&hall={hall}"))
    booked = ok(world[ANON].call("POST", "/api/v1/appointments", {
        "service": "hj", "start": day["slots"][0]["start"], "phone": PHONE, "hall": hall}),
        201)
    job = ok(world[KIOSK].call("POST", "/api/v1/print-jobs",
                               {"ticket_id": world.ids["waiting_id"]}), 201)
    pairing = ok(world[ANON].call("POST", "/api/v1/pairings", {"kind": "kiosk"}), 201)
    (case,) = ok(world[SUP].call("GET", "/api/v1/cases"))["cases"]
    (alert,) = ok(world[SUP].call("GET", "/api/v1/alerts"))["alerts"]
    (followup,) = ok(world[SUP].call("GET", "/api/v1/followups"))["followups"]
    world.ids.update(code=booked["code"], job_id=job["job"]["id"], pairing_id=pairing["id"],
                     number=case["number"], alert_id=alert["id"], followup_id=followup["id"])
