"""Messages to visitors in the outbox, for supervisors (issue 21, DESIGN.md §7), over HTTP
(Flask test client) on SQLite and PostgreSQL, against the Aliyun SMS emulator: pending /
sent / failed counts and rows with the provider's reason and the number masked only; a
failed message sent again (and only a failed one) once its cause is fixed."""
from __future__ import annotations

import json

from sqlalchemy import text

from drivers.sms.aliyun import AliyunSmsEmulator
from hall.services.outbox import worker
from hall.services.outbox.sms import AliyunSms
from tests.e2e.conftest import err, issue

API = "/api/v1/messages"
NEAR = "您的${number}号前面还有${ahead}人，请回大厅等候"


def test_supervisors_see_failed_texts_with_the_reason_and_send_them_again(
        client, seeded, kiosk_headers, supervisor_client, staff_client):
    with seeded.engine.begin() as conn:  # the hall texts by Aliyun, the first reminder at 3
        raw = conn.execute(text("SELECT settings FROM halls")).scalar_one()
        settings = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
        settings["notify"] = {"provider": "aliyun", "ahead": 3}
        conn.execute(text("UPDATE halls SET settings = :s"), {"s": json.dumps(settings)})
    seeded.cache.clear()
    for phone in ("13800000001", "13800000002"):  # each near at once: a reminder each
        assert "masked" in issue(client, kiosk_headers, phone=phone).json["notify"]
    with AliyunSmsEmulator("LTAI-x", "secret", "市民中心", {"SMS_1": NEAR}) as provider:
        unapproved = AliyunSms("LTAI-x", "secret", "市民中心", {"near": "SMS_9"},
                               url=provider.url + "/")  # a template the provider lacks
        assert worker.run_once(seeded, {"notify.sms.aliyun": unapproved})["refused"] == 2
        r = supervisor_client.get(API)
        assert r.status_code == 200, r.json
        assert r.json["counts"] == {"pending": 0, "sent": 0, "failed": 2}
        first = r.json["messages"][-1]
        assert first["state"] == "failed" and "isv.SMS_TEMPLATE_ILLEGAL" in first["last_error"]
        assert (first["kind"], first["to"], first["topic"]) == (
            "near", "138****0001", "notify.sms.aliyun")
        assert first["text"] == "您的A001号前面还有0人，请回大厅等候"
        assert "13800000001" not in r.get_data(as_text=True)
        err(staff_client.get(API), 403, "forbidden", "authorization")
        again = supervisor_client.post(f"{API}/{first['id']}/resend",
                                       headers=supervisor_client.csrf)
        assert again.status_code == 200 and again.json["state"] == "pending", again.json
        err(supervisor_client.post(f"{API}/{first['id']}/resend",
                                   headers=supervisor_client.csrf), 409,
            "message_not_failed", "state")
        err(supervisor_client.post(f"{API}/999999/resend", headers=supervisor_client.csrf),
            404, "message_not_found", "message_id")
        approved = AliyunSms("LTAI-x", "secret", "市民中心", {"near": "SMS_1"},
                             url=provider.url + "/")
        assert worker.run_once(seeded, {"notify.sms.aliyun": approved})["sent"] == 1
        assert [s["phone"] for s in provider.sent] == ["13800000001"]
    after = supervisor_client.get(API, query_string={"state": "sent"}).json
    assert after["counts"] == {"pending": 0, "sent": 1, "failed": 1}
    assert [m["to"] for m in after["messages"]] == ["138****0001"]
