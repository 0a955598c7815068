"""The real server process serves the API on gevent (default) and on eventlet, on SQLite and
on PostgreSQL: every pair, each started the way `hall run` starts (python -m hall.boot, not
forked from the tests' warm zygote)."""
from __future__ import annotations

import pytest
import requests

from hall.services.config import accounts
from hall.services.config.layout.seed import load_layout, seed
from tests.conftest import DATA
from tests.e2e.conftest import ON_BOTH_DATABASES
from tests.e2e.server import Server


@pytest.mark.slow
@ON_BOTH_DATABASES
@pytest.mark.parametrize("mode", ["gevent", "eventlet"])
def test_server_issues_and_calls_in_each_async_mode(ctx, db_url, tmp_path, mode):
    seed(ctx, load_layout(DATA / "small_hall.toml"))
    token = accounts.add_device(ctx, kind="kiosk").value["token"]
    keypad = accounts.add_device(ctx, kind="keypad", counter_number=1).value["token"]
    server = Server(db_url, tmp_path, async_mode=mode, fork=False).start()
    try:
        with requests.Session() as s:
            t = s.post(server.url + "/api/v1/tickets", json={"service": "hj"}, timeout=5,
                       headers={"Authorization": f"Bearer {token}"})
            assert t.status_code == 201, t.text
            auth = {"Authorization": f"Bearer {keypad}"}
            assert s.post(server.url + "/api/v1/counters/1/open", headers=auth,
                          timeout=5).status_code == 200
            called = s.post(server.url + "/api/v1/counters/1/call-next", headers=auth, timeout=5)
            assert called.json()["ticket"]["number"] == t.json()["number"]
        assert f"({mode})" in server.log.read_text()
    finally:
        server.stop()
