"""/api/v1/openapi.json tells the truth (issue 16, item 9): what it calls valid is taken,
and what it rules out is refused, over HTTP (Flask test client). The contract does not
depend on the database: SQLite only (tests/e2e/test_api_fuzz.py fuzzes every operation)."""
from __future__ import annotations

import json
import re

import pytest

from hall.web.inputs import TEXT_PATTERN
from hall.web.security import LAYOUT_BODY, LAYOUT_CHARS
from tests.e2e.conftest import SQLITE_ONLY, err, issue

pytestmark = SQLITE_ONLY


@pytest.fixture
def spec(client) -> dict:
    return client.get("/api/v1/openapi.json").json


def _param(spec: dict, path: str, name: str, method: str = "get") -> dict:
    (found,) = [p["schema"] for p in spec["paths"][path][method]["parameters"]
                if p["name"] == name]
    return found


def _fits(schema: dict, value: str) -> bool:
    """Whether ``value`` fits a string schema's pattern (Python reads ECMA's \\uXXXX too)."""
    return re.search(schema["pattern"], value) is not None


def test_a_hall_written_in_digits_is_an_id_in_the_document_too(client, seeded, spec):
    hall = _param(spec, "/api/v1/appointments/services", "hall")
    code = next(s for s in hall["anyOf"] if s.get("type") == "string")
    ident = next(s for s in hall["anyOf"] if s.get("type") == "integer")
    assert ident["minimum"] == 1
    for digits in ("0", "00", "7", "12345"):  # an id, never a code
        assert not _fits(code, digits), digits
    for text in ("test", "a", "1a", "9-", "hj_qr"):
        assert _fits(code, text), text
    err(client.get("/api/v1/appointments/services?hall=0"), 422, "invalid", "hall")
    for hall_ref in ("test", "1"):
        assert client.get(f"/api/v1/appointments/services?hall={hall_ref}").status_code == 200


def test_the_pairing_claim_documents_its_secret(client, seeded, spec):
    secret = spec["components"]["schemas"]["ClaimBody"]["properties"]["secret"]
    asked = client.post("/api/v1/pairings", json={"kind": "kiosk"}).json
    assert _fits(secret, asked["secret"])  # what /pairings hands out fits
    r = client.post("/api/v1/pairings/claim", json={"id": asked["id"], "secret": asked["secret"]})
    assert r.status_code == 202, r.json
    for short in ("x" * 15, " " * 15 + "x", "x" * 16 + " "):  # 16 characters, counted as sent
        assert not _fits(secret, short)
        err(client.post("/api/v1/pairings/claim", json={"id": asked["id"], "secret": short}),
            422, "invalid", "secret")
    assert _fits(secret, "x" * 16)
    err(client.post("/api/v1/pairings/claim", json={"id": asked["id"], "secret": "x" * 16}),
        404, "pairing_not_found", "id")


def test_audit_times_are_written_as_dates_and_times(admin_client, spec):
    until = _param(spec, "/api/v1/admin/audit", "until")
    assert {"type": "string", "format": "date-time"} in until["anyOf"]
    for number in ("0.5", "0", "1700000000"):  # seconds since 1970 are not a date-time
        err(admin_client.get(f"/api/v1/admin/audit?until={number}"), 422, "invalid", "until")
    r = admin_client.get("/api/v1/admin/audit?until=2026-11-23T10:00:00%2B08:00"
                         "&since=2026-11-22T00:00:00Z")
    assert r.status_code == 200, r.json
    err(admin_client.get("/api/v1/reports?on=0"), 422, "invalid", "on")
    assert admin_client.get("/api/v1/reports?on=2026-11-23").status_code == 200


def test_a_boolean_is_not_a_number_and_a_number_not_a_boolean(admin_client, client,
                                                             kiosk_headers):
    """Bodies are JSON with strict types: ``{"service": true}`` issued service 1's ticket,
    ``active: 0`` switched a service off."""
    for service in (True, False, 1.5, None, ["hj"]):
        err(issue(client, kiosk_headers, service=service), 422, "invalid", "service")
    assert issue(client, kiosk_headers, service=1).status_code == 201  # an id ...
    assert issue(client, kiosk_headers, service=1.0).status_code == 201  # (JSON's integer)
    assert issue(client, kiosk_headers, service="hj").status_code == 201  # ... or a code
    service = admin_client.get("/api/v1/config/services/hj").json
    body = {k: v for k, v in service.items() if k != "id"}
    for active in (0, 1, "false", "no", None):
        err(admin_client.put("/api/v1/config/services/hj", json={**body, "active": active},
                             headers=admin_client.csrf), 422, "invalid", "active")
    counter = admin_client.post("/api/v1/config/counters", headers=admin_client.csrf,
                                json={"number": 9, "name": "9号窗口", "active": 0})
    err(counter, 422, "invalid", "active")
    err(admin_client.post("/api/v1/config/counters", headers=admin_client.csrf,
                          json={"number": "9", "name": "9号窗口"}), 422, "invalid", "number")
    r = admin_client.put("/api/v1/config/services/hj", json={**body, "active": False},
                         headers=admin_client.csrf)
    assert r.status_code == 200 and r.json["active"] is False
    settings = admin_client.get("/api/v1/admin/settings").json
    err(admin_client.put("/api/v1/admin/settings", headers=admin_client.csrf,
                         json={**settings, "holidays": [20261001]}), 422, "invalid",
        "holidays.0")
    r = admin_client.put("/api/v1/admin/settings", headers=admin_client.csrf,
                         json={**settings, "holidays": ["2026-10-01"]})
    assert r.status_code == 200, r.json


def test_a_reprint_takes_no_body_and_says_so(client, kiosk_headers, spec):
    body = spec["paths"]["/api/v1/tickets/{ticket_id}/reprint"]["post"]["requestBody"]
    assert body["required"] is False
    assert spec["paths"]["/api/v1/tickets"]["post"]["requestBody"]["required"] is True
    ticket = issue(client, kiosk_headers).json
    r = client.post(f"/api/v1/tickets/{ticket['id']}/reprint", headers=kiosk_headers)
    assert r.status_code == 201, r.json
    r = client.post(f"/api/v1/tickets/{ticket['id']}/reprint", json={"lang": "en"},
                    headers=kiosk_headers)
    assert r.status_code == 201, r.json


def test_the_layout_import_takes_as_much_text_as_its_schema_says(admin_client, spec):
    toml = spec["components"]["schemas"]["LayoutBody"]["properties"]["toml"]
    assert toml["maxLength"] == LAYOUT_CHARS
    # the longest text, written with the most bytes JSON has for a character: still read
    longest = json.dumps({"toml": "🏢" * LAYOUT_CHARS, "dry_run": True})
    assert LAYOUT_BODY - 1024 < len(longest) <= LAYOUT_BODY
    r = admin_client.post("/api/v1/admin/layout", data=longest, headers=admin_client.csrf,
                          content_type="application/json")
    assert r.status_code == 422 and r.json["error"]["field"] != "body", r.json  # not TOML
    err(admin_client.post("/api/v1/admin/layout", headers=admin_client.csrf,
                          json={"toml": "#" * (LAYOUT_CHARS + 1)}), 422, "invalid", "toml")


def test_every_string_a_request_sends_is_documented_as_text(spec):
    """hall/web/inputs.py refuses control characters in every path, query and body value
    (400); the document says so of each string without a pattern of its own."""
    login = spec["components"]["schemas"]["LoginBody"]["properties"]["login"]
    assert login["pattern"] == TEXT_PATTERN
    token = _param(spec, "/api/v1/tickets/{token}", "token")
    assert token["pattern"] == TEXT_PATTERN
    assert not _fits(token, "abc\x00defgh") and _fits(token, "去复印\t第二页\r\n")
    for path_item in spec["paths"].values():
        for operation in path_item.values():
            assert "400" in operation["responses"], operation["operationId"]
