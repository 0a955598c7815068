"""The appointment API and the ticket kinds over HTTP (Flask test client) on SQLite and
PostgreSQL: status, code and field of every refusal; the check-in answers as POST /tickets.
The clock stands at Monday 2026-11-23 10:00 in Shanghai; "hj" takes appointments."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text, update

from hall.domain.personal import id_check_char
from hall.store.models import Service, Ticket
from tests.e2e.conftest import err

PHONE = "13812341234"
ID_A = "11010519491231002X"


pytestmark = pytest.mark.usefixtures("seeded")  # the small hall: "hj" takes appointments


def book(client, start="2026-11-23T11:00:00+08:00", phone=PHONE, service="hj", **extra):
    return client.post("/api/v1/appointments", json={"service": service, "start": start,
                                                     "phone": phone, **extra})


def test_a_visitor_books_a_slot_from_the_listing_and_sees_it_masked(client):
    cat = client.get("/api/v1/appointments/services").json
    svc = cat["departments"][0]["services"][0]
    assert svc["code"] == "hj" and "2026-11-28" not in svc["days"]
    day = client.get("/api/v1/appointments/slots?service=hj&day=2026-11-24").json
    first = day["slots"][0]
    assert first == {"start": "2026-11-24T09:00:00+08:00", "end": "2026-11-24T09:30:00+08:00",
                     "capacity": 2, "remaining": 2}
    r = book(client, first["start"])
    assert r.status_code == 201 and r.json["phone"] == "138****1234"
    code = r.json["code"]
    again = client.get("/api/v1/appointments/slots?service=hj&day=2026-11-24").json
    assert again["slots"][0]["remaining"] == 1
    shown = client.get(f"/api/v1/appointments/{code}")
    assert shown.status_code == 200 and shown.json["state"] == "booked"
    assert PHONE not in shown.get_data(as_text=True)


def test_booking_refusals_name_their_field(client):
    err(client.get("/api/v1/appointments/slots?service=hj&day=2026-11-28"), 422,
        "not_a_working_day", "day")
    err(client.get("/api/v1/appointments/slots?service=hj&day=someday"), 422, "invalid", "day")
    err(book(client, "2026-11-28T09:00:00+08:00"), 422, "not_a_working_day", "start")
    err(book(client, "2026-11-23T11:00:00"), 422, "invalid", "start")  # no time zone
    err(book(client, phone="110"), 422, "invalid", "phone")
    err(book(client, phone="23812341234"), 422, "invalid_phone", "phone")
    err(book(client, service="ss"), 422, "no_appointments", "service")
    err(book(client, service="nope"), 404, "service_not_found", "service")
    err(book(client, id_number="110105194912310021"), 422, "invalid_id_number", "id_number")
    assert book(client).status_code == 201
    err(book(client, "2026-11-23T14:00:00+08:00"), 409, "already_booked", "phone")
    assert book(client, phone="13900000001").status_code == 201
    err(book(client, phone="13900000002"), 409, "slot_full", "start")


def test_cancel_by_code_and_phone_frees_the_place(client):
    code = book(client).json["code"]
    err(client.post("/api/v1/appointments/cancel", json={"code": code, "phone": "13900000000"}),
        404, "appointment_not_found", "phone")
    err(client.post("/api/v1/appointments/cancel", json={"code": code}), 422,
        "phone_required", "phone")
    r = client.post("/api/v1/appointments/cancel", json={"code": code, "phone": PHONE})
    assert r.status_code == 200 and r.json["state"] == "cancelled"
    err(client.post("/api/v1/appointments/cancel", json={"code": code, "phone": PHONE}), 409,
        "appointment_used", "code")
    assert book(client).status_code == 201  # the same phone may book again


def test_check_in_on_time_answers_like_post_tickets(client, kiosk_headers, clock):
    code = book(client).json["code"]
    clock.advance(minutes=45)
    r = client.post("/api/v1/appointments/check-in", json={"code": code.lower()},
                    headers=kiosk_headers)
    assert r.status_code == 201, r.json
    walk_in = client.post("/api/v1/tickets", json={"service": "sfz"}, headers=kiosk_headers)
    assert set(walk_in.json) <= set(r.json)  # the same body, plus the appointment note
    assert r.json["kind"] == "appointment" and r.json["number"] == "A001"
    assert r.json["appointment"]["late"] is False and "11:00" in r.json["appointment"][
        "message"]
    assert client.get(f"/api/v1/tickets/{r.json['token']}").json["kind"] == "appointment"
    err(client.post("/api/v1/appointments/check-in", json={"code": code},
                    headers=kiosk_headers), 409, "appointment_used", "code")


def test_a_name_given_when_booking_is_kept_masked_and_called_by(client, kiosk_headers,
                                                                  clock, seeded, staff_client):
    r = book(client, name="张丽华", title="女士")
    assert r.status_code == 201 and r.json["holder"] == "张**女士"
    assert "丽华" not in r.get_data(as_text=True)
    err(book(client, phone="13900000001", name="张丽华", title="小姐"), 422, "invalid",
        "title")
    err(book(client, phone="13900000001", name="张" * 21), 422, "invalid", "name")
    assert book(client, phone="13900000003").json["holder"] is None  # the name is optional
    with seeded.engine.begin() as conn:  # the hall calls by name
        raw = conn.execute(text("SELECT settings FROM halls")).scalar_one()
        settings = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
        conn.execute(text("UPDATE halls SET settings = :s"),
                     {"s": json.dumps({**settings, "call_by_name": True})})
    seeded.cache.clear()
    clock.advance(minutes=45)
    ticket = client.post("/api/v1/appointments/check-in", json={"code": r.json["code"]},
                         headers=kiosk_headers)
    assert ticket.status_code == 201, ticket.json
    with seeded.engine.connect() as conn:
        held = conn.execute(select(Ticket.holder_masked).where(
            Ticket.id == ticket.json["id"])).scalar()
        everything = str(conn.execute(text("SELECT * FROM appointments")).all())
    assert held == "张**女士" and "丽华" not in everything
    sign = staff_client.post("/api/v1/counters/1/sign-in", headers=staff_client.csrf)
    assert sign.status_code == 200, sign.json
    called = staff_client.post("/api/v1/counters/1/call-next", headers=staff_client.csrf)
    assert called.status_code == 200, called.json
    assert called.json["ticket"]["number"] == ticket.json["number"]
    # what the screens read: the number with the name masked, and the words they say
    window = staff_client.get("/api/v1/counters").json["counters"][0]
    assert window["current_ticket"]["holder"] == "张**女士"
    events = staff_client.get("/api/v1/events", query_string={"after": 0, "limit": 500})
    (call,) = [e for e in events.json["events"] if e["type"] == "ticket.called"]
    assert call["announce"]["zh"] == f"请 {ticket.json['number']} 号 张女士 到 1 号窗口办理"


def test_a_late_check_in_is_a_normal_ticket_and_says_so(client, kiosk_headers, clock):
    code = book(client, "2026-11-23T10:30:00+08:00").json["code"]
    clock.advance(minutes=50)
    r = client.post("/api/v1/appointments/check-in?lang=en", json={"code": code},
                    headers=kiosk_headers)
    assert r.status_code == 201 and r.json["kind"] == "normal"
    assert r.json["appointment"]["late"] is True
    assert r.json["appointment"]["message"].startswith("You are late for your 10:30")


def test_a_check_in_on_the_wrong_day_says_which_day_was_booked(client, kiosk_headers, clock):
    code = book(client, "2026-11-24T09:00:00+08:00").json["code"]  # tomorrow, 09:00
    r = client.post("/api/v1/appointments/check-in", json={"code": code}, headers=kiosk_headers)
    err(r, 409, "appointment_too_early", "code")
    assert "2026-11-24" in r.json["error"]["message"] and "09:00" in r.json["error"]["message"]
    clock.advance(days=2)  # Wednesday: the day has passed
    r = client.post("/api/v1/appointments/check-in?lang=en", json={"code": code},
                    headers=kiosk_headers)
    err(r, 409, "appointment_expired", "code")
    assert "2026-11-24" in r.json["error"]["message"]


def test_check_in_too_early_unknown_or_without_a_kiosk_is_refused(client, kiosk_headers):
    code = book(client).json["code"]
    err(client.post("/api/v1/appointments/check-in", json={"code": code},
                    headers=kiosk_headers), 409, "appointment_too_early", "code")
    err(client.post("/api/v1/appointments/check-in", json={"code": "ZZZZ9999"},
                    headers=kiosk_headers), 404, "appointment_not_found", "code")
    err(client.post("/api/v1/appointments/check-in", json={}, headers=kiosk_headers), 422,
        "code_required", "code")
    err(client.post("/api/v1/appointments/check-in", json={"code": code}), 401,
        "unauthenticated", "authorization")
    err(client.post("/api/v1/tickets", json={"service": "hj", "appointment_code": "ZZZZ9999"},
                    headers=kiosk_headers), 404, "appointment_not_found", "appointment_code")


def test_check_in_by_phone(client, kiosk_headers, clock):
    code = book(client).json["code"]
    clock.advance(minutes=40)
    r = client.post("/api/v1/appointments/check-in", json={"phone": "+86 138 1234 1234"},
                    headers=kiosk_headers)
    assert r.status_code == 201 and r.json["appointment"]["code"] == code
    err(client.post("/api/v1/appointments/check-in", json={"phone": PHONE},
                    headers=kiosk_headers), 404, "appointment_not_found", "phone")


def test_the_personal_limit_and_the_id_checksum(client, kiosk_headers, seeded):
    with seeded.engine.begin() as conn:
        conn.execute(update(Service).where(Service.code == "sfz").values(per_person_limit=1))

    def issue(**extra):
        return client.post("/api/v1/tickets", json={"service": "sfz", **extra},
                           headers=kiosk_headers)

    err(issue(), 422, "id_number_required", "id_number")
    bad = issue(id_number="110105194912310021")
    err(bad, 422, "invalid_id_number", "id_number")
    assert "110105194912310021" not in bad.get_data(as_text=True)
    err(issue(id_number="1101051949"), 422, "invalid_id_number", "id_number")
    err(issue(id_number="1" * 19), 422, "invalid", "id_number")
    assert issue(id_number=ID_A).status_code == 201
    err(issue(id_number=ID_A), 409, "person_limit_reached", "id_number")
    other = "44030419900307001" + id_check_char("44030419900307001")
    assert issue(id_number=other).status_code == 201


def test_reception_staff_issue_green_channel_tickets_with_a_listed_reason(staff_client,
                                                                          seeded):
    def issue(**extra):
        return staff_client.post("/api/v1/tickets", headers=staff_client.csrf,
                                 json={"service": "hj", "kind": "priority", **extra})

    err(issue(), 422, "reason_required", "priority_reason")
    err(issue(priority_reason="熟人"), 422, "invalid_reason", "priority_reason")
    r = issue(priority_reason="老年人")
    assert r.status_code == 201 and r.json["kind"] == "priority"
    with seeded.engine.connect() as conn:
        issued_by = conn.execute(select(Ticket.issued_by).where(Ticket.id == r.json["id"])
                                 ).scalar_one()
    me = staff_client.get("/api/v1/auth/me").json
    assert issued_by == f"staff:staff:{me['id']}"  # who issued it is on the ticket


def test_the_openapi_document_describes_the_appointment_api(client):
    doc = client.get("/api/v1/openapi.json").json
    for path in ("/api/v1/appointments", "/api/v1/appointments/slots",
                 "/api/v1/appointments/cancel", "/api/v1/appointments/check-in",
                 "/api/v1/appointments/{code}", "/api/v1/appointments/services"):
        assert path in doc["paths"], path
    check_in = doc["paths"]["/api/v1/appointments/check-in"]["post"]
    assert check_in["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "CheckInBody")
    assert "id_number" in doc["components"]["schemas"]["IssueBody"]["properties"]
