"""Near-turn notifications (issue 21) on SQLite and PostgreSQL, through the durable outbox,
against the providers' emulators (drivers/sms/): the reminder at K ahead goes once, the
called and passed notices once each, the phone is kept masked and erased, and a worker
killed mid-send (kill -9) and restarted neither loses nor repeats a message."""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

from drivers.sms.aliyun import AliyunSmsEmulator
from drivers.sms.tencent import TencentSmsEmulator
from hall.domain.access import Actor
from hall.services.config import accounts
from hall.services.outbox import sms, worker
from hall.services.queue import calling, notify, tickets, visits
from hall.store.models import Device
from tests.conftest import wait_for
from tests.integration.conftest import kiosk, set_hall_settings, signed_in_at

HALL_BIN = Path(sys.executable).parent / "hall"
ALIYUN_TEMPLATES = {"SMS_1001": "您的${number}号前面还有${ahead}人，请回大厅等候",
                    "SMS_1002": "请${number}号到${window}号窗口办理",
                    "SMS_1003": "您的${number}号已过号，请到咨询台咨询"}
TENCENT_TEMPLATES = {"2001": "您的{1}号前面还有{2}人，请回大厅等候",
                     "2002": "请{1}号到{2}号窗口办理", "2003": "您的{1}号已过号，请到咨询台咨询"}
ALIYUN_ENV = {"HALL_SMS_ALIYUN_ACCESS_KEY_ID": "LTAI-test", "HALL_SMS_ALIYUN_ACCESS_KEY_SECRET":
              "aliyun-secret", "HALL_SMS_ALIYUN_SIGN_NAME": "市民中心",
              "HALL_SMS_ALIYUN_TEMPLATE_NEAR": "SMS_1001",
              "HALL_SMS_ALIYUN_TEMPLATE_CALLED": "SMS_1002",
              "HALL_SMS_ALIYUN_TEMPLATE_PASSED": "SMS_1003"}


@pytest.fixture
def aliyun():
    with AliyunSmsEmulator("LTAI-test", "aliyun-secret", "市民中心", ALIYUN_TEMPLATES) as e:
        yield e


def outbox_rows(ctx) -> list[dict]:
    with ctx.engine.connect() as conn:
        rows = conn.execute(text("SELECT key, topic, state, payload FROM outbox "
                                 "ORDER BY id")).mappings().all()
    return [{**r, "payload": json.loads(r["payload"]) if isinstance(r["payload"], str)
             else r["payload"]} for r in rows]


def take(ctx, hall, n: int, phone: str | None = None) -> list[dict]:
    return [tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall),
                          phone=phone).value for _ in range(n)]


def call_and_skip(ctx, hall, staff) -> dict:
    called = calling.call_next(ctx, counter_id=hall["counters"][1], actor=staff).value
    calling.skip(ctx, counter_id=hall["counters"][1], actor=staff)
    return called


def test_near_turn_sms_sent_once_when_three_ahead(ctx, hall, clock, aliyun):
    set_hall_settings(ctx, hall, notify={"provider": "aliyun", "ahead": 3, "keep_days": 7})
    adapters = sms.adapters_from_environment({**ALIYUN_ENV,
                                              "HALL_SMS_ALIYUN_URL": aliyun.url + "/"})
    take(ctx, hall, 5)
    mine = take(ctx, hall, 1, phone="138 1234 1234")[0]  # A006, five ahead
    assert mine["notify"] == {"channel": "sms", "masked": "138****1234", "ahead": 5}
    # kept masked with a keyed hash; the number itself only while a message may go
    with ctx.engine.connect() as conn:
        sub = conn.execute(text("SELECT * FROM notify_subscriptions")).mappings().one()
    assert sub["address_masked"] == "138****1234" and sub["address"] == "13812341234"
    assert len(sub["address_hash"]) == 64 and "13812341234" not in sub["address_hash"]
    staff = signed_in_at(ctx, hall, 1)
    call_and_skip(ctx, hall, staff)  # four ahead: nothing yet
    assert outbox_rows(ctx) == [] and worker.run_once(ctx, adapters)["sent"] == 0
    call_and_skip(ctx, hall, staff)  # three ahead: the reminder, in the call's transaction
    (row,) = outbox_rows(ctx)
    assert row["key"] == f"notify:{mine['id']}:near:1" and row["topic"] == "notify.sms.aliyun"
    assert worker.run_once(ctx, adapters) == {"sent": 1, "refused": 0, "retry": 0}
    call_and_skip(ctx, hall, staff)  # two ahead: no second message for the same turn
    assert worker.run_once(ctx, adapters)["sent"] == 0
    assert [(s["phone"], s["text"]) for s in aliyun.sent] == [
        ("13812341234", "您的A006号前面还有3人，请回大厅等候")]
    call_and_skip(ctx, hall, staff)  # one ahead: the second and last reminder
    call_and_skip(ctx, hall, staff)  # none ahead: nothing more
    assert worker.run_once(ctx, adapters)["sent"] == 1
    assert [s["text"] for s in aliyun.sent][1:] == ["您的A006号前面还有1人，请回大厅等候"]
    assert len([r for r in outbox_rows(ctx) if ":near:" in r["key"]]) == 2
    # a malformed phone is told and the ticket still issued; the per-phone daily limit
    bad = take(ctx, hall, 1, phone="12345")[0]
    assert bad["number"] and bad["notify"]["error"]["code"] == "invalid_phone"
    assert bad["notify"]["error"]["field"] == "phone"
    for _ in range(4):
        assert "masked" in take(ctx, hall, 1, phone="13812341234")[0]["notify"]
    limited = take(ctx, hall, 1, phone="13812341234")[0]
    assert limited["notify"]["error"]["code"] == "notify_rate_limited"
    # erased after the hall's days: the subscription, and the number in the outbox rows
    clock.advance(days=8)
    notify.erase_expired(ctx)
    with ctx.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM notify_subscriptions")).scalar() == 0
    for r in outbox_rows(ctx):
        assert "phone" not in r["payload"] and r["payload"]["masked"] == "138****1234"


def test_a_phone_refused_at_a_kiosk_is_logged_and_counted_and_the_ticket_issued(
        ctx, hall, caplog):
    caplog.set_level(logging.INFO)
    set_hall_settings(ctx, hall, notify={"provider": "aliyun", "per_phone_daily": 1})
    device = accounts.add_device(ctx, kind="kiosk").value
    at_kiosk = Actor("device", device["id"], hall["id"], "kiosk")

    def take_at_kiosk(phone: str) -> dict:
        return tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=at_kiosk,
                             phone=phone).value

    bad = take_at_kiosk("1381234")  # malformed
    assert bad["number"] and bad["notify"]["error"]["code"] == "invalid_phone"
    assert "masked" in take_at_kiosk("13812341234")["notify"]
    limited = take_at_kiosk("13812341234")  # the per-phone limit (one a day here)
    assert limited["number"] and limited["notify"]["error"]["code"] == "notify_rate_limited"
    with ctx.engine.connect() as conn:
        health = conn.execute(select(Device.health).where(Device.id == device["id"])).scalar()
    health = json.loads(health) if isinstance(health, str) else health
    assert health["errors"] == 2
    assert health["problems"] == {"invalid_phone": 1, "notify_rate_limited": 1}
    assert "invalid_phone" in caplog.text and "notify_rate_limited" in caplog.text
    assert "1381234" not in caplog.text and "1381234" not in json.dumps(health)
    with ctx.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tickets")).scalar() == 3


def test_called_and_passed_notices(ctx, hall, clock):
    set_hall_settings(ctx, hall, notify={"provider": "tencent", "ahead": 1})
    with TencentSmsEmulator("AKID-test", "tencent-secret", "1400000001", "市民中心",
                            TENCENT_TEMPLATES) as tencent:
        adapters = sms.adapters_from_environment({
            "HALL_SMS_TENCENT_SECRET_ID": "AKID-test", "HALL_SMS_TENCENT_SECRET_KEY":
            "tencent-secret", "HALL_SMS_TENCENT_SDK_APP_ID": "1400000001",
            "HALL_SMS_TENCENT_SIGN_NAME": "市民中心", "HALL_SMS_TENCENT_URL": tencent.url + "/",
            "HALL_SMS_TENCENT_TEMPLATE_NEAR": "2001", "HALL_SMS_TENCENT_TEMPLATE_CALLED": "2002",
            "HALL_SMS_TENCENT_TEMPLATE_PASSED": "2003"})
        first = take(ctx, hall, 1, phone="13900000001")[0]
        second = take(ctx, hall, 1, phone="13900000002")[0]
        staff = signed_in_at(ctx, hall, 1)
        calling.call_next(ctx, counter_id=hall["counters"][1], actor=staff)  # A001 called
        calling.recall(ctx, counter_id=hall["counters"][1], actor=staff)  # says nothing new
        calling.start(ctx, counter_id=hall["counters"][1], actor=staff)
        visits.finish(ctx, counter_id=hall["counters"][1], actor=staff, outcome="done")
        calling.call_next(ctx, counter_id=hall["counters"][1], actor=staff)  # A002 called
        calling.skip(ctx, counter_id=hall["counters"][1], actor=staff)  # 过号
        assert worker.run_once(ctx, adapters) == {"sent": 5, "refused": 0, "retry": 0}
        texts = [(s["phone"], s["text"]) for s in tencent.sent]
        assert texts == [
            ("+8613900000001", "您的A001号前面还有0人，请回大厅等候"),  # at once: 0 ahead
            ("+8613900000002", "您的A002号前面还有1人，请回大厅等候"),
            ("+8613900000001", "请A001号到1号窗口办理"),
            ("+8613900000002", "请A002号到1号窗口办理"),
            ("+8613900000002", "您的A002号已过号，请到咨询台咨询")]
        assert {s["session"] for s in tencent.sent} == {r["key"] for r in outbox_rows(ctx)}
        assert worker.run_once(ctx, adapters)["sent"] == 0
    keys = [r["key"] for r in outbox_rows(ctx)]
    assert f"notify:{first['id']}:called" in keys and f"notify:{second['id']}:passed" in keys
    with ctx.engine.connect() as conn:  # at the window or passed: the numbers are erased
        left = conn.execute(text("SELECT address, closed FROM notify_subscriptions")).all()
    assert [tuple(x) for x in left] == [(None, True), (None, True)]


def start_worker(db_url: str, url: str) -> subprocess.Popen:
    env = {**os.environ, "HALL_DATABASE_URL": db_url, **ALIYUN_ENV,
           "HALL_SMS_ALIYUN_URL": url + "/"}
    return subprocess.Popen([str(HALL_BIN), "outbox", "run", "--batch", "5", "--lease", "1",
                             "--idle", "0.05"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def test_outbox_survives_restart_without_duplicates(ctx, hall, db_url, aliyun):
    # kept long enough: the worker runs on real time, days after the test's clock
    set_hall_settings(ctx, hall, notify={"provider": "aliyun", "ahead": 50, "keep_days": 180})
    for i in range(12):  # each follows at once (50 ahead allowed): twelve messages
        take(ctx, hall, 1, phone=f"1370000{i:04d}")
    keys = {r["key"] for r in outbox_rows(ctx)}
    assert len(keys) == 12
    with ctx.engine.begin() as conn:  # the test's clock is in the past of the worker's
        conn.execute(text("UPDATE outbox SET next_at = created_at"))
    aliyun.delay_s = 0.3  # the answer comes late: a kill lands while a message is out
    first = start_worker(db_url, aliyun.url)
    try:
        wait_for(lambda: len(aliyun.sent) >= 4, 30, "the first messages")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert 0 < len(aliyun.sent) < 12
    second = start_worker(db_url, aliyun.url)
    try:
        wait_for(lambda: {r["state"] for r in outbox_rows(ctx)} == {"sent"}, 60,
                 "every message sent")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(10)
    out_ids = [s["out_id"] for s in aliyun.sent]
    assert sorted(out_ids) == sorted(keys)  # each message once: none lost, none twice
    assert len({s["phone"] for s in aliyun.sent}) == 12
