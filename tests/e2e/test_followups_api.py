"""Ratings and follow-ups over HTTP (Flask test client) on SQLite and PostgreSQL: every
refused rating is a 4xx naming its field; follow-ups are for supervisors (session + CSRF)."""
from __future__ import annotations

from hall.services.config import accounts
from tests.e2e.conftest import bearer, err, issue, served, sign_in_at_counter


def pad(seeded, counter: int) -> dict:
    return bearer(accounts.add_device(seeded, kind="pad", counter_number=counter).value["token"])


def rate(client, ticket: dict, headers: dict, **body):
    return client.post(f"/api/v1/tickets/{ticket['id']}/rating", json=body, headers=headers)


def test_every_refused_rating_names_its_field(client, kiosk_headers, staff_client, seeded,
                                              clock):
    sign_in_at_counter(staff_client)
    pad1, pad2 = pad(seeded, 1), pad(seeded, 2)
    t = served(client, kiosk_headers, staff_client)
    err(rate(client, t, pad2, level=5), 403, "wrong_counter", "ticket")
    en = client.post(f"/api/v1/tickets/{t['id']}/rating?lang=en", json={"level": 5},
                     headers=pad2)
    assert en.json["error"]["message"] == (f"Ticket {t['number']} was served at window 1, "
                                           "not at window 2")
    err(rate(client, t, pad1, level=2), 422, "reason_required", "reason")
    err(rate(client, t, pad1, level=2, reason="不知道"), 422, "invalid_reason", "reason")
    err(rate(client, t, pad1, level=1, reason="其他"), 422, "comment_required", "comment")
    err(rate(client, t, pad1, level=0), 422, "invalid", "level")
    assert rate(client, t, pad1, level=2, reason="业务不熟练").status_code == 201
    err(rate(client, t, pad1, level=5), 409, "already_rated", "ticket")

    late = served(client, kiosk_headers, staff_client)
    clock.advance(minutes=11)
    r = rate(client, late, pad1, level=4)
    err(r, 409, "rating_closed", "ticket")
    en = client.post(f"/api/v1/tickets/{late['id']}/rating?lang=en", json={"level": 4},
                     headers=pad1)
    assert en.json["error"]["message"] == (f"Rating for {late['number']} closed 10 minutes "
                                           "after the visit")

    waiting = issue(client, kiosk_headers).json
    err(rate(client, waiting, pad1, level=5), 409, "not_finished", "ticket")


def test_a_bad_rating_reaches_the_supervisors_list(client, kiosk_headers, staff_client,
                                                    seeded, supervisor_client):
    sign_in_at_counter(staff_client)
    t = served(client, kiosk_headers, staff_client)
    r = rate(client, t, pad(seeded, 1), level=1, reason="服务态度差", comment="不耐烦")
    assert r.status_code == 201 and r.json["followup"]["due_date"] == "2026-11-26"
    listed = supervisor_client.get("/api/v1/followups")
    assert listed.status_code == 200
    (item,) = listed.json["followups"]
    assert (item["ticket_number"], item["reason"], item["comment"], item["owner_name"]) == (
        t["number"], "服务态度差", "不耐烦", "王强")
    assert supervisor_client.get(f"/api/v1/followups/{item['id']}").json["due_date"] == "2026-11-26"
    assert supervisor_client.get("/api/v1/followups?overdue=true").json["followups"] == []
    err(supervisor_client.get("/api/v1/followups?state=lost"), 422, "invalid", "state")
    err(supervisor_client.get("/api/v1/followups/999"), 404, "followup_not_found", "followup_id")


def test_supervisor_assigns_records_and_closes(client, kiosk_headers, staff_client, seeded,
                                               supervisor_client):
    boss = supervisor_client  # 王强
    sign_in_at_counter(staff_client)
    t = served(client, kiosk_headers, staff_client)
    rate(client, t, pad(seeded, 1), level=2, reason="等候时间长")
    fid = boss.get("/api/v1/followups").json["followups"][0]["id"]
    owners = boss.get("/api/v1/followups/owners").json["owners"]
    li = next(o for o in owners if o["name"] == "李娜")
    h = boss.csrf
    err(boss.post(f"/api/v1/followups/{fid}/assign", json={"owner_id": li["id"]}), 403,
        "csrf", "X-CSRFToken")
    err(boss.post(f"/api/v1/followups/{fid}/assign", json={"owner": 1}, headers=h), 422,
        "invalid", "owner_id")
    assert boss.post(f"/api/v1/followups/{fid}/assign", json={"owner_id": li["id"]},
                     headers=h).json["owner_name"] == "李娜"
    noted = boss.post(f"/api/v1/followups/{fid}/actions", json={"text": "已约谈"}, headers=h)
    assert noted.status_code == 200 and noted.json["actions"][-1]["text"] == "已约谈"
    err(boss.post(f"/api/v1/followups/{fid}/close", json={"result": ""}, headers=h), 422,
        "invalid", "result")

    # the staff member (owner) may add an action but never close, nor list
    assert staff_client.post(f"/api/v1/followups/{fid}/actions", json={"text": "已道歉"},
                             headers=staff_client.csrf).status_code == 200
    err(staff_client.post(f"/api/v1/followups/{fid}/close", json={"result": "好了"},
                          headers=staff_client.csrf), 403, "forbidden", "authorization")
    err(staff_client.get("/api/v1/followups"), 403, "forbidden", "authorization")
    err(client.get("/api/v1/followups"), 401, "unauthenticated", "authorization")
    err(client.get("/api/v1/followups", headers=pad(seeded, 1)), 403, "forbidden",
        "authorization")

    err(boss.post(f"/api/v1/followups/{fid}/close", json={"result": "已整改"}, headers=h),
        422, "revisit_required", "revisit")  # no follow-up ends without a revisit
    done = boss.post(f"/api/v1/followups/{fid}/close", json={"result": "已整改，回访满意",
                                                             "revisit": "satisfied"},
                     headers=h)
    assert done.status_code == 200 and done.json["state"] == "closed"
    assert [a["text"] for a in done.json["actions"]] == ["→ 李娜", "已约谈", "已道歉"]
    err(boss.post(f"/api/v1/followups/{fid}/close", json={"result": "再关"}, headers=h), 409,
        "followup_closed", "followup_id")
    assert boss.get("/api/v1/followups?state=closed").json["followups"][0]["id"] == fid


def test_the_openapi_document_describes_the_follow_up_api(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/api/v1/followups", "/api/v1/followups/{followup_id}/close",
            "/api/v1/followups/{followup_id}/assign",
            "/api/v1/followups/{followup_id}/actions"} <= set(paths)
