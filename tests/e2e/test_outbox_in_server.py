"""The outbox worker runs inside the server (`hall run`): a rating given at a window's pad
of a real server process reaches the province's 好差评 endpoint (its emulator) with nobody
running `hall outbox run`, on gevent + SQLite and eventlet + PostgreSQL; so does a near-turn
text message (issue 21), and the phone is erased after the hall's days by the same worker;
with HALL_OUTBOX_WORKER=0 the server leaves it to a separate worker."""
from __future__ import annotations

import json
import time

import requests
from sqlalchemy import text

from drivers.haocha.emulator import HaochaEmulator
from drivers.sms.aliyun import AliyunSmsEmulator
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


@SQLITE_ONLY
def test_a_near_turn_message_leaves_a_running_server_and_the_phone_is_erased(ctx, db_url,
                                                                             tmp_path):
    seed(ctx, load_layout(DATA / "small_hall.toml"))
    with ctx.engine.begin() as conn:  # the hall texts by Aliyun, the first reminder at 3
        raw = conn.execute(text("SELECT settings FROM halls")).scalar_one()
        settings = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
        settings["notify"] = {"provider": "aliyun", "ahead": 3, "keep_days": 1}
        conn.execute(text("UPDATE halls SET settings = :s"), {"s": json.dumps(settings)})
    kiosk = accounts.add_device(ctx, kind="kiosk").value["token"]
    with AliyunSmsEmulator("LTAI-test", "aliyun-secret", "市民中心",
                           {"SMS_1001": "您的${number}号前面还有${ahead}人，请回大厅等候"}) as sms:
        server = Server(db_url, tmp_path, extra_env={
            "HALL_SMS_ALIYUN_ACCESS_KEY_ID": "LTAI-test",
            "HALL_SMS_ALIYUN_ACCESS_KEY_SECRET": "aliyun-secret",
            "HALL_SMS_ALIYUN_SIGN_NAME": "市民中心", "HALL_SMS_ALIYUN_TEMPLATE_NEAR": "SMS_1001",
            "HALL_SMS_ALIYUN_URL": sms.url + "/", "HALL_OUTBOX_IDLE_SECONDS": "0.2",
            "HALL_OUTBOX_CHORES_SECONDS": "0.3"}).start()
        try:
            r = requests.post(f"{server.url}/api/v1/tickets", timeout=5,
                              json={"service": "hj", "phone": "13812341234"},
                              headers={"Authorization": f"Bearer {kiosk}"})
            assert r.status_code == 201, r.text
            assert r.json()["notify"]["masked"] == "138****1234"
            wait_for(lambda: sms.sent, 15, "the text message at the provider")
            assert [(s["phone"], s["text"]) for s in sms.sent] == [
                ("13812341234", f"您的{r.json()['number']}号前面还有0人，请回大厅等候")]
            assert "Outbox: sending notify.sms.aliyun" in server.log.read_text()

            def kept() -> tuple[int, str]:  # a fresh transaction each look
                with ctx.engine.connect() as conn:
                    return (conn.execute(text("SELECT count(*) FROM notify_subscriptions"))
                            .scalar(), conn.execute(text("SELECT payload FROM outbox")).scalar())

            assert kept()[0] == 1 and "13812341234" in str(kept()[1])
            with ctx.engine.begin() as conn:  # the hall's day has gone by
                conn.execute(text("UPDATE notify_subscriptions SET erase_at = created_at"))
            wait_for(lambda: kept()[0] == 0, 15, "the phone erased")
            assert "13812341234" not in str(kept()[1]) and "138****1234" in str(kept()[1])
        finally:
            server.stop()
    assert len(sms.sent) == 1
