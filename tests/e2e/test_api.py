"""The JSON API over HTTP (Flask test client) on SQLite and PostgreSQL: happy paths and
every bad input the issue lists, asserting status, code and field."""
from __future__ import annotations

from tests.e2e.conftest import err, issue, sign_in_at_counter


def test_kiosk_issues_and_visitor_follows_by_token(client, kiosk_headers):
    r = issue(client, kiosk_headers)
    assert r.status_code == 201 and r.json["number"] == "A001"
    status = client.get(f"/api/v1/tickets/{r.json['token']}")
    assert status.status_code == 200 and status.json["state"] == "waiting"
    assert status.json["guide"]["materials"] == ["居民户口簿原件", "居民身份证原件"]


def test_counter_serves_a_visit_end_to_end(client, kiosk_headers, staff_client):
    t = issue(client, kiosk_headers).json
    sign_in_at_counter(staff_client)
    h = staff_client.csrf
    called = staff_client.post("/api/v1/counters/1/call-next", headers=h)
    assert called.json["ticket"]["number"] == t["number"]
    assert called.json["ticket"]["reason"]
    assert staff_client.post("/api/v1/counters/1/start", headers=h).status_code == 200
    done = staff_client.post("/api/v1/counters/1/finish", headers=h,
                             json={"outcome": "accepted", "applicant": "王五"})
    assert done.status_code == 200 and done.json["case"]["due_date"] == "2026-11-30"
    case = client.get(f"/api/v1/cases/{done.json['case']['number']}",
                      query_string={"code": done.json["case"]["lookup_code"]})
    assert case.json["applicant"] == "王*" and case.json["state"] == "accepted"
    empty = staff_client.post("/api/v1/counters/1/call-next", headers=h)
    assert empty.status_code == 200 and empty.json["ticket"] is None


def test_queues_and_events_feed(client, kiosk_headers):
    issue(client, kiosk_headers)
    issue(client, kiosk_headers, "ss")
    q = client.get("/api/v1/queues").json
    waiting = {s["code"]: s["waiting"] for s in q["services"]}
    assert waiting == {"hj": 1, "sfz": 0, "ss": 1}
    ev = client.get("/api/v1/events?after=0", headers=kiosk_headers).json
    assert [e["type"] for e in ev["events"]] == ["ticket.issued", "queue.stats",
                                                 "ticket.issued", "queue.stats"]
    assert client.get("/api/v1/events?after=1", headers=kiosk_headers).json["events"][0]["seq"] == 2


def test_openapi_document_is_generated_from_the_schemas(client):
    doc = client.get("/api/v1/openapi.json").json
    assert "/api/v1/tickets" in doc["paths"]
    body = doc["paths"]["/api/v1/tickets"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"].endswith("IssueBody")
    assert "IssueBody" in doc["components"]["schemas"]


# --- bad input ---------------------------------------------------------------------------

def test_unknown_service(client, kiosk_headers):
    err(issue(client, kiosk_headers, "nope"), 404, "service_not_found", "service")


def test_service_over_its_daily_quota(client, kiosk_headers):
    for _ in range(3):
        assert issue(client, kiosk_headers, "ss").status_code == 201
    err(issue(client, kiosk_headers, "ss"), 409, "quota_exceeded", "service")


def test_service_outside_its_hours(client, kiosk_headers, seeded):
    from sqlalchemy import update

    from hall.store.models import Service
    with seeded.engine.begin() as conn:  # open 14:00-17:00 only; the clock says 10:00
        conn.execute(update(Service).where(Service.code == "hj").values(hours=["14:00-17:00"]))
    err(issue(client, kiosk_headers), 409, "service_outside_hours", "service")


def test_malformed_json(client, kiosk_headers):
    r = client.post("/api/v1/tickets", data="{not json", headers=kiosk_headers,
                    content_type="application/json")
    err(r, 400, "malformed_json", "body")


def test_not_json_at_all(client, kiosk_headers):
    r = client.post("/api/v1/tickets", data="service=hj", headers=kiosk_headers,
                    content_type="application/x-www-form-urlencoded")
    err(r, 415, "unsupported_media_type", "body")


def test_wrong_types_name_the_field(client, kiosk_headers):
    err(issue(client, kiosk_headers, kind="vip"), 422, "invalid", "kind")
    err(issue(client, kiosk_headers, service=["hj"]), 422, "invalid", "service")
    r = client.post("/api/v1/tickets", json={"servce": "hj"}, headers=kiosk_headers)
    assert r.status_code == 422 and r.json["error"]["field"] in ("service", "servce")


def test_oversized_body(client, kiosk_headers):
    r = client.post("/api/v1/tickets", data='{"service": "' + "x" * 70_000 + '"}',
                    headers=kiosk_headers, content_type="application/json")
    err(r, 413, "too_large", "body")


def test_no_identity_is_refused(client):
    err(client.post("/api/v1/tickets", json={"service": "hj"}), 401, "unauthenticated",
        "authorization")
    err(client.post("/api/v1/tickets", json={"service": "hj"},
                    headers={"Authorization": "Bearer forged"}), 401, "unauthenticated",
        "authorization")


def test_a_screen_token_cannot_issue(client, seeded):
    from hall.services.config import accounts
    token = accounts.add_device(seeded, kind="screen").value["token"]
    err(issue(client, {"Authorization": f"Bearer {token}"}), 403, "forbidden", "authorization")


def test_calling_on_a_paused_counter(client, kiosk_headers, staff_client):
    sign_in_at_counter(staff_client)
    h = staff_client.csrf
    assert staff_client.post("/api/v1/counters/1/pause", json={"reason": "午休"},
                             headers=h).status_code == 200
    issue(client, kiosk_headers)
    err(staff_client.post("/api/v1/counters/1/call-next", headers=h), 409, "counter_state",
        "counter")


def test_staff_turn_auto_dispatch_off_at_their_window(staff_client):
    sign_in_at_counter(staff_client)
    h = staff_client.csrf
    r = staff_client.post("/api/v1/counters/1/auto-dispatch", json={"on": False}, headers=h)
    assert r.status_code == 200
    assert r.get_json() == {"id": r.get_json()["id"], "number": 1, "auto_dispatch": False}
    board = staff_client.get("/api/v1/counters/1").get_json()
    assert board["counter"]["auto_dispatch"] is False
    assert board["auto_dispatch_seconds"] is None  # the hall has it off: the terminal hides it
    err(staff_client.post("/api/v1/counters/2/auto-dispatch", json={"on": False}, headers=h),
        403, "forbidden", "counter")
    err(staff_client.post("/api/v1/counters/1/auto-dispatch", json={"on": "no"}, headers=h),
        422, "invalid", "on")


def test_pause_needs_a_configured_reason(staff_client):
    sign_in_at_counter(staff_client)
    err(staff_client.post("/api/v1/counters/1/pause", json={"reason": "打牌"},
                          headers=staff_client.csrf), 422, "invalid_reason", "reason")


def test_finishing_a_waiting_ticket(client, kiosk_headers, staff_client):
    sign_in_at_counter(staff_client)
    issue(client, kiosk_headers)
    staff_client.post("/api/v1/counters/1/call-next", headers=staff_client.csrf)
    r = staff_client.post("/api/v1/counters/1/finish", json={"outcome": "done"},
                          headers=staff_client.csrf)
    err(r, 409, "illegal_transition", "state")
    assert "called" in r.json["error"]["message"] or "已叫号" in r.json["error"]["message"]


def test_rating_twice(client, kiosk_headers, staff_client, seeded):
    from hall.services.config import accounts
    t = issue(client, kiosk_headers).json
    sign_in_at_counter(staff_client)
    h = staff_client.csrf
    staff_client.post("/api/v1/counters/1/call-next", headers=h)
    staff_client.post("/api/v1/counters/1/start", headers=h)
    staff_client.post("/api/v1/counters/1/finish", json={"outcome": "done"}, headers=h)
    pad = {"Authorization": "Bearer " + accounts.add_device(
        seeded, kind="pad", counter_number=1).value["token"]}
    err(client.post(f"/api/v1/tickets/{t['id']}/rating", json={"level": 9}, headers=pad),
        422, "invalid", "level")
    err(client.post(f"/api/v1/tickets/{t['id']}/rating", json={"level": 1}, headers=pad),
        422, "reason_required", "reason")
    assert client.post(f"/api/v1/tickets/{t['id']}/rating", json={"level": 5},
                       headers=pad).status_code == 201
    err(client.post(f"/api/v1/tickets/{t['id']}/rating", json={"level": 4}, headers=pad),
        409, "already_rated", "ticket")


def test_cookie_write_without_csrf_token_is_refused(staff_client):
    err(staff_client.post("/api/v1/counters/1/sign-in"), 403, "csrf", "X-CSRFToken")


def test_staff_cannot_drive_another_counter(staff_client):
    sign_in_at_counter(staff_client, 1)
    err(staff_client.post("/api/v1/counters/2/call-next", headers=staff_client.csrf), 403,
        "forbidden", "counter")


def test_no_state_change_on_get(client, kiosk_headers):
    r = client.get("/api/v1/tickets", headers=kiosk_headers)
    assert r.status_code == 405 and r.json["error"]["code"] == "method_not_allowed"
    assert client.get("/api/v1/counters/1/call-next").status_code == 405


def test_bad_login_is_401_and_locks_after_repeated_failures(client, seeded):
    from hall.services.config import accounts
    accounts.add_user(seeded, login="zhao", name="赵六")
    for _ in range(5):
        err(client.post("/api/v1/auth/login", json={"login": "zhao", "password": "guess"}),
            401, "bad_credentials", "password")
    err(client.post("/api/v1/auth/login", json={"login": "zhao", "password": "guess"}),
        409, "locked", "login")
