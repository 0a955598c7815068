"""A crash (kill -9) of the server loses no committed ticket and repeats no number."""
from __future__ import annotations

import threading
import time

import pytest
import requests

from hall.services.config import accounts
from hall.services.config.layout.seed import load_layout, seed
from tests.conftest import DATA
from tests.e2e.conftest import ON_BOTH_DATABASES
from tests.e2e.server import Server


@pytest.mark.slow
@ON_BOTH_DATABASES
def test_kill_9_loses_no_committed_ticket(ctx, db_url, tmp_path):
    seed(ctx, load_layout(DATA / "small_hall.toml"))
    token = accounts.add_device(ctx, kind="kiosk").value["token"]
    headers = {"Authorization": f"Bearer {token}"}
    server = Server(db_url, tmp_path).start()
    acknowledged: list[dict] = []
    lock = threading.Lock()
    stop = threading.Event()

    def keep_issuing(service: str) -> None:
        with requests.Session() as s:
            while not stop.is_set():
                try:
                    r = s.post(server.url + "/api/v1/tickets", json={"service": service},
                               headers=headers, timeout=5)
                except requests.RequestException:
                    return  # the server died under us: that request was never acknowledged
                if r.status_code == 201:
                    with lock:
                        acknowledged.append(r.json())

    threads = [threading.Thread(target=keep_issuing, args=(svc,)) for svc in ["hj", "sfz"] * 4]
    try:
        for th in threads:
            th.start()
        # kill -9 mid-load once enough tickets were acknowledged to prove something (a fixed
        # 1.5 s saw only 7 on a loaded machine)
        deadline = time.monotonic() + 30
        while len(acknowledged) <= 20 and time.monotonic() < deadline:
            time.sleep(0.02)
        server.kill9()  # requests are in flight
        stop.set()
        for th in threads:
            th.join()
        assert len(acknowledged) > 20

        server = Server(db_url, tmp_path).start()
        for t in acknowledged:  # every 2xx ticket survived, unchanged
            r = requests.get(f"{server.url}/api/v1/tickets/{t['token']}", timeout=5)
            assert r.status_code == 200 and r.json()["number"] == t["number"]
        before = {t["number"] for t in acknowledged}
        after = [requests.post(server.url + "/api/v1/tickets", json={"service": "hj"},
                               headers=headers, timeout=5).json()["number"] for _ in range(5)]
        assert not before.intersection(after), "a number was issued twice across the crash"
        highest = max(int(n[1:]) for n in before)
        assert all(int(n[1:]) > highest for n in after), "numbering went backwards"
    finally:
        stop.set()
        server.stop()
