"""The outbox worker runs inside the server (`hall run`): a rating given at a window's pad
of a real server process reaches the province's 好差评 endpoint (its emulator) with nobody
running `hall outbox run`, on gevent + SQLite and eventlet + PostgreSQL; with
HALL_OUTBOX_WORKER=0 the server leaves it to a separate worker."""
from __future__ import annotations

import time

import requests
from sqlalchemy import text

from drivers.haocha.emulator import HaochaEmulator
from hall.services.config import accounts
from hall.services.config.layout.seed import load_layout, seed
from tests.conftest import DATA, wait_for
from tests.e2e.conftest import BOTH_STACKS, SQLITE_ONLY
from tests.e2e.server import Server


def rated_at_the_pad(ctx, server: Server) -> dict:
    """Through HTTP only: a kiosk ticket, served by 李娜 (工号 GA-0123) at window 1 and
    rated 4 at its pad. Returns the ticket."""
    kiosk, pad = (accounts.add_device(ctx, kind=k, **extra).value["token"]
                  for k, extra in (("kiosk", {}), ("pad", {"counter_number": 1})))
    password = accounts.add_user(ctx, login="li", name="李娜").value["password"]
    with ctx.engine.begin() as conn:
        conn.execute(text("UPDATE staff SET number = 'GA-0123' WHERE login = 'li'"))
    http = requests.Session()
    r = http.post(f"{server.url}/api/v1/auth/login", json={"login": "li", "password": password},
                  timeout=5)
    assert r.status_code == 200, r.text
    h = {"X-CSRFToken": r.json()["csrf_token"]}
    ticket = requests.post(f"{server.url}/api/v1/tickets", json={"service": "hj"}, timeout=5,
                           headers={"Authorization": f"Bearer {kiosk}"}).json()
    for step, body in (("sign-in", None), ("call-next", None), ("start", None),
                       ("finish", {"outcome": "done"})):
        r = http.post(f"{server.url}/api/v1/counters/1/{step}", json=body, headers=h, timeout=5)
        assert r.status_code == 200, r.text
    r = requests.post(f"{server.url}/api/v1/tickets/{ticket['id']}/rating", json={"level": 4},
                      headers={"Authorization": f"Bearer {pad}"}, timeout=5)
    assert r.status_code == 201, r.text
    http.close()
    return ticket


@BOTH_STACKS
def test_a_rating_at_a_running_server_reaches_the_province(ctx, db_url, tmp_path, async_mode):
    seed(ctx, load_layout(DATA / "small_hall.toml"))
    with HaochaEmulator(token="province-secret") as province:
        server = Server(db_url, tmp_path, async_mode=async_mode, extra_env={
            "HALL_HAOCHA_URL": province.url, "HALL_HAOCHA_TOKEN": "province-secret",
            "HALL_OUTBOX_IDLE_SECONDS": "0.2"}).start()
        try:
            ticket = rated_at_the_pad(ctx, server)
            wait_for(lambda: province.accepted, 15, "the record at the province")
            (record,) = province.accepted.values()
            assert record["star"] == 4 and record["affairDealNo"] == "GA-0123"
            assert record["affairSerialNo"].endswith(ticket["number"])

            def row_state():  # a fresh transaction each look: one held open would keep
                with ctx.engine.connect() as conn:  # its snapshot (and, on SQLite, the lock)
                    return conn.execute(text("SELECT state FROM outbox")).scalar()

            wait_for(lambda: row_state() == "sent", 10, "the row sent")
            assert ("Outbox: sending haocha.affair, haocha.rating from this process"  # both kinds
                    in server.log.read_text())
        finally:
            server.stop()
    assert len(province.received) == 1  # sent once


@SQLITE_ONLY
def test_a_server_told_not_to_leaves_the_outbox_to_a_separate_worker(ctx, db_url, tmp_path):
    seed(ctx, load_layout(DATA / "small_hall.toml"))
    with HaochaEmulator() as province:
        server = Server(db_url, tmp_path, extra_env={
            "HALL_HAOCHA_URL": province.url, "HALL_OUTBOX_WORKER": "0",
            "HALL_OUTBOX_IDLE_SECONDS": "0.2"}).start()
        try:
            rated_at_the_pad(ctx, server)
            time.sleep(1.0)  # five of the worker's idle passes, had it been started
            with ctx.engine.connect() as conn:
                assert conn.execute(text("SELECT state FROM outbox")).scalar() == "pending"
            assert "HALL_OUTBOX_WORKER=0" in server.log.read_text()
        finally:
            server.stop()
    assert province.received == []
