"""投诉建议 over HTTP (Flask test client) on SQLite and PostgreSQL: a visitor files from the
ticket's phone page, supervisors see it with its target and handler, the reply shows on the
phone page; bad input is a 4xx naming its field."""
from __future__ import annotations

from sqlalchemy import text

from tests.e2e.conftest import err, served, sign_in_at_counter


def test_complaint_from_phone_page_reaches_a_supervisor(client, kiosk_headers, staff_client,
                                                        supervisor_client, seeded):
    sign_in_at_counter(staff_client)
    t = served(client, kiosk_headers, staff_client)
    page = client.get(f"/t/{t['token']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "投诉建议" in html and f"/api/v1/complaints/by-ticket/{t['token']}" in html
    # the form asks what it is about (the six categories) and allows staying anonymous
    assert html.count('<option value="') >= 6 and '<option value="attitude"' in html
    assert 'name="anonymous"' in html and 'name="phone"' in html

    url = f"/api/v1/complaints/by-ticket/{t['token']}"
    err(client.post(url, json={"text": "   "}), 422, "text_required", "text")
    err(client.post(url, json={"text": "x", "phone": "12345"}), 422, "invalid_phone", "phone")
    err(client.post(url, json={"text": "x", "category": "weather"}), 422, "invalid",
        "category")
    err(client.post("/api/v1/complaints/by-ticket/notaticket00", json={"text": "x"}), 404,
        "ticket_not_found", "token")
    r = client.post(url, json={"text": "窗口人员态度冷淡，问了两遍才回答", "category": "attitude",
                               "phone": "138 1234 5678"})
    assert r.status_code == 201, r.json
    filed = r.json
    assert filed["state"] == "received" and filed["number"].startswith("TS-20261123-")
    assert filed["due_date"] == "2026-11-30"  # Monday + 5 working days
    assert "phone" not in filed  # the complainant's page never shows it back

    listed = supervisor_client.get("/api/v1/complaints")
    assert listed.status_code == 200, listed.json
    (c,) = listed.json["complaints"]
    assert {k: c[k] for k in ("number", "source", "category", "ticket_number",
                              "counter_number", "staff_name", "service_name", "phone",
                              "handler_name", "state", "overdue")} == {
        "number": filed["number"], "source": "ticket_page", "category": "attitude",
        "ticket_number": t["number"], "counter_number": 1, "staff_name": "李娜",
        "service_name": c["service_name"], "phone": "138****5678",
        "handler_name": "王强", "state": "received", "overdue": False}
    assert c["service_name"]
    # the plain number is nowhere a supervisor can read it; only its mask and hash are kept
    assert "13812345678" not in str(listed.json)
    with seeded.engine.connect() as conn:
        kept = conn.execute(text("SELECT phone_masked, phone_hash FROM complaints")).one()
        types = [r.type for r in conn.execute(text(
            "SELECT type FROM events WHERE type LIKE 'complaint.%' ORDER BY seq"))]
    assert kept.phone_masked == "138****5678" and len(kept.phone_hash) == 64
    assert types == ["complaint.received"]  # to the hall room: the live board hears it

    # window staff and visitors do not see the hall's complaints
    err(staff_client.get("/api/v1/complaints"), 403, "forbidden", "authorization")
    assert client.get("/api/v1/complaints").status_code == 401


def test_complaint_reply_shown_to_complainant(client, kiosk_headers, staff_client,
                                              supervisor_client, seeded):
    sign_in_at_counter(staff_client)
    t = served(client, kiosk_headers, staff_client)
    filed = client.post(f"/api/v1/complaints/by-ticket/{t['token']}",
                        json={"text": "等了很久没人叫号", "category": "efficiency",
                              "phone": "13912345678"}).json
    (c,) = supervisor_client.get("/api/v1/complaints").json["complaints"]
    h = supervisor_client.csrf
    taken = supervisor_client.post(f"/api/v1/complaints/{c['id']}/take", json={}, headers=h)
    assert taken.status_code == 200 and taken.json["state"] == "handling"
    err(supervisor_client.post(f"/api/v1/complaints/{c['id']}/reply", json={"text": " "},
                               headers=h), 422, "reply_required", "text")
    answer = "已核实，窗口人员已批评教育，今后高峰期增开窗口。"
    replied = supervisor_client.post(f"/api/v1/complaints/{c['id']}/reply",
                                     json={"text": answer, "upheld": True}, headers=h)
    assert replied.status_code == 200, replied.json
    assert replied.json["state"] == "replied" and replied.json["upheld"] is True

    # the phone page of the ticket shows the reply, and asks whether it satisfies
    html = client.get(f"/t/{t['token']}").get_data(as_text=True)
    assert answer in html and "等了很久没人叫号" in html and 'data-satisfied="1"' in html
    mine = client.get(f"/api/v1/complaints/public/{filed['token']}").json
    assert mine["reply"] == answer and mine["can_answer"] is True
    assert "handler_name" not in mine and "upheld" not in mine

    # a phone was given, but this hall sends no text messages: the page is the answer's
    # way, and no message waits for an adapter that would never come (with an SMS
    # provider: tests/integration/test_complaints.py)
    with seeded.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM outbox")).scalar() == 0

    ok = client.post(f"/api/v1/complaints/public/{filed['token']}/answer",
                     json={"satisfied": True})
    assert ok.status_code == 200 and ok.json["satisfied"] is True
    assert ok.json["can_answer"] is False
    closed = supervisor_client.post(f"/api/v1/complaints/{c['id']}/close", json={},
                                    headers=h)
    assert closed.status_code == 200 and closed.json["state"] == "closed"
    err(supervisor_client.post(f"/api/v1/complaints/{c['id']}/reply", json={"text": "再答"},
                               headers=h), 409, "complaint_closed", "state")
    with seeded.engine.connect() as conn:  # the number kept for the reply is erased
        assert conn.execute(text("SELECT reply_phone FROM complaints")).scalar() is None
    html = client.get(f"/t/{t['token']}").get_data(as_text=True)
    assert answer in html and 'data-satisfied="1"' not in html
