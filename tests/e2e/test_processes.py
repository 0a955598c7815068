"""Several server processes share events through Redis: a call made through process A
reaches a screen connected to process B (PostgreSQL, HALL_MESSAGE_QUEUE=redis://…)."""
from __future__ import annotations

import uuid

import pytest
import redis
import requests

from hall.services.config import accounts
from hall.services.config.layout.seed import load_layout, seed
from tests.conftest import DATA, unavailable
from tests.e2e.live_client import LiveClient
from tests.e2e.server import Server

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_call_through_one_process_reaches_a_screen_on_another(ctx, db_url, tmp_path):
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        unavailable("Redis", exc)
    seed(ctx, load_layout(DATA / "small_hall.toml"))
    kiosk = accounts.add_device(ctx, kind="kiosk").value["token"]
    keypad = accounts.add_device(ctx, kind="keypad", counter_number=1).value["token"]
    screen = accounts.add_device(ctx, kind="screen").value
    env = {"HALL_MESSAGE_QUEUE": REDIS_URL, "HALL_MESSAGE_CHANNEL": f"test-{uuid.uuid4().hex}"}
    a = Server(db_url, tmp_path, extra_env=env).start()
    b = Server(db_url, tmp_path, extra_env=env).start()
    client = LiveClient(b.url, screen["token"])
    try:
        client.connect()
        assert client.subscribe(f"hall:{screen['hall_id']}")["ok"]
        auth = {"Authorization": f"Bearer {keypad}"}
        t = requests.post(a.url + "/api/v1/tickets", json={"service": "hj"}, timeout=5,
                          headers={"Authorization": f"Bearer {kiosk}"}).json()
        requests.post(a.url + "/api/v1/counters/1/open", headers=auth, timeout=5)
        requests.post(a.url + "/api/v1/counters/1/call-next", headers=auth, timeout=5)
        called = client.next_event("ticket.called", timeout=10)
        assert called["number"] == t["number"] and called["counter_number"] == 1
    finally:
        client.close()
        a.stop()
        b.stop()
