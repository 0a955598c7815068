"""What any request may carry (hall/web/inputs.py), over HTTP on SQLite and PostgreSQL: JSON
nested too deep and control characters in any path, query or body value are refused with a
400 naming the field, before anyone is looked up, on every page and endpoint; a 405 says
what an address does take."""
from __future__ import annotations

import json
import logging

import pytest

from hall.services.config import accounts
from tests.e2e.conftest import ON_BOTH_DATABASES, bearer, err, issue, sign_in_at_counter

# PostgreSQL refuses some text SQLite keeps (NUL), and its integers are bounded
pytestmark = ON_BOTH_DATABASES

DEEP = "[" * 1000 + "]" * 1000  # 2 KB
NUL = "\x00"


def test_deeply_nested_json_is_400(client, seeded, staff_client, caplog):
    caplog.set_level(logging.ERROR)
    for url in ("/api/v1/auth/login", "/api/v1/tickets", "/api/v1/pairings",
                "/api/v1/counters/1/open"):
        for _ in range(12):  # more than login's per-name budget: nothing counts it
            r = client.post(url, data=DEEP, content_type="application/json")
            err(r, 400, "too_deep", "body")
    # a signed-in caller's write is refused before its CSRF token or role are looked at
    err(staff_client.post("/api/v1/counters/1/open", data='{"a":' * 40 + "1" + "}" * 40,
                          content_type="application/json"), 400, "too_deep", "body")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # brackets inside text are text, and a body at the limit is read as usual
    r = client.post("/api/v1/auth/login", json={"login": "[" * 60, "password": "{" * 150})
    err(r, 401, "bad_credentials", "password")
    nested = {"login": "x", "password": "y"}
    for _ in range(30):
        nested = {"login": "x", "password": "y", "extra": nested}
    err(client.post("/api/v1/auth/login", json=nested), 422, "invalid", "extra")


@pytest.fixture
def called_at_window_1(client, kiosk_headers, staff_client, seeded) -> dict:
    """Window 1 signed in with a visitor called there, and the window's keypad."""
    sign_in_at_counter(staff_client, 1)
    issue(client, kiosk_headers)
    r = staff_client.post("/api/v1/counters/1/call-next", headers=staff_client.csrf)
    assert r.status_code == 200, r.json
    return bearer(accounts.add_device(seeded, kind="keypad", counter_number=1).value["token"])


def test_nul_character_is_400_on_postgresql(client, kiosk_headers, called_at_window_1, caplog):
    """On SQLite too: the same answer whatever the database (PostgreSQL refuses NUL in text,
    which was a 500)."""
    caplog.set_level(logging.ERROR)
    token = issue(client, kiosk_headers).json["token"]
    bad = token[:4] + NUL + token[5:]
    for method, url, kwargs, field in [
        ("GET", f"/api/v1/tickets/{bad}", {}, "token"),  # the ticket look-up
        ("GET", f"/t/{bad}", {}, "token"),  # the phone page
        ("GET", f"/kiosk/qr/{bad}.svg", {}, "token"),  # its QR code
        ("POST", f"/api/v1/tickets/{bad}/cancel", {}, "token"),
        ("GET", f"/api/v1/cases/2026{NUL}1123", {}, "number"),  # the case look-up
        ("GET", f"/case/2026{NUL}1123", {}, "number"),  # ... and its page
        ("GET", f"/case?number=2026{NUL}1123", {}, "number"),
        ("POST", "/api/v1/auth/login", {"json": {"login": "li" + NUL, "password": "x"}},
         "login"),
        ("POST", "/api/v1/pairings", {"json": {"kind": "kiosk", "name": NUL}}, "name"),
        ("POST", "/api/v1/pairings/claim", {"json": {"id": 1, "secret": "s" * 20 + NUL}},
         "secret"),
        ("GET", f"/book/test{NUL}", {}, "hall_code"),  # the booking page
        ("GET", f"/book?hall=test{NUL}", {}, "hall"),
        ("GET", f"/api/v1/appointments/slots?service=hj&day=2026-11-24&hall=a{NUL}", {},
         "hall"),
        # a kiosk's service code, a keypad's hold note (text that would be stored)
        ("POST", "/api/v1/tickets", {"json": {"service": "hj" + NUL}, "headers": kiosk_headers},
         "service"),
        ("POST", "/api/v1/counters/1/hold",
         {"json": {"note": "去复印" + NUL}, "headers": called_at_window_1}, "note"),
    ]:
        r = client.open(url, method=method, **kwargs)
        err(r, 400, "control_character", field)
        assert "\x00" not in r.get_data(as_text=True)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # nothing was cancelled, issued or held by the refused requests
    assert client.get(f"/api/v1/tickets/{token}").json["state"] == "waiting"
    r = client.post("/api/v1/counters/1/hold", json={"note": "去复印\t第二页\r\n"},
                    headers=called_at_window_1)
    assert r.status_code == 200, r.json  # tab and line breaks are text


def test_a_layout_file_with_a_control_character_is_400(seeded, admin_client, caplog):
    """The layout file's own escapes (``\\u0000``, ``\\u001b``) become control characters
    only once the file is read, after the JSON body was checked: the import refuses them
    with 400 naming the entry, previewed or applied, on SQLite and PostgreSQL alike (NUL
    in the hall's name was a 500 there), and changes nothing. Line breaks and tabs are
    text."""
    caplog.set_level(logging.ERROR)
    original = admin_client.get("/api/v1/admin/layout").get_data(as_text=True)

    def imported(text: str, dry_run: bool):
        return admin_client.post("/api/v1/admin/layout", json={"toml": text, "dry_run": dry_run},
                                 headers=admin_client.csrf)

    for old, new, entry in [
            ('name = "测试大厅"', 'name = "测试\\u0000大厅"', "hall.name"),
            ('name = "户籍办理"', 'name = "户籍\\u001b@办理"', "services.hj.name"),
            ('"午休",', '"午休\\u0085",', "hall.pause_reasons.0")]:
        assert old in original, old
        for dry_run in (True, False):
            r = imported(original.replace(old, new, 1), dry_run)
            err(r, 400, "control_character", "toml")
            assert entry in r.json["error"]["message"], (entry, r.json)
    assert admin_client.get("/api/v1/admin/layout").get_data(as_text=True) == original
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    fine = original.replace('name = "户籍办理"', 'name = "户籍\\t办理"', 1)
    r = imported(fine, False)
    assert r.status_code == 200, r.json


def test_a_page_naming_an_impossible_id_is_404(client, admin_client, caplog):
    """A page's path names a device, a ticket, a window by id: one beyond what the id
    columns hold (PostgreSQL's "integer out of range" was a 500, the kiosk's page to
    anyone) is an unknown page, on every page alike; the API's schemas refuse it as
    before (422 naming the field)."""
    caplog.set_level(logging.ERROR)
    big = "99999999999999999999"
    for who, url in ((client, f"/kiosk/{big}"), (client, f"/kiosk/{big}/catalog"),
                     (client, f"/pad/{big}"), (client, f"/display/counter/{big}"),
                     (admin_client, f"/counter/documents/{big}"),
                     (admin_client, f"/display/hall/{big}/snapshot"),
                     (admin_client, "/counter/documents/2147483648")):
        r = who.get(url)
        assert r.status_code == 404, (url, r.status_code)
    err(admin_client.post(f"/api/v1/counters/{big}/open", headers=admin_client.csrf), 422,
        "invalid", "counter_id")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_live_room_with_an_impossible_id_is_refused_naming_the_room(app, supervisor_client,
                                                                     caplog):
    """A Socket.IO subscription names its room by id: one no database column can hold
    (beyond 32 bits: PostgreSQL's "integer out of range"; 5,000 digits: Python's own
    limit) is refused like any room one may not join, and no handler fails."""
    from hall.extensions import socketio

    caplog.set_level(logging.ERROR)
    live = socketio.test_client(app, namespace="/hall", flask_test_client=supervisor_client)
    for room in ("counter:2147483648", "screen:99999999999999999999", "device:" + "9" * 5000,
                 "hall:-1", "counter:１"):
        ack = live.emit("subscribe", {"room": room, "last_seq": 0}, namespace="/hall",
                        callback=True)
        assert ack["ok"] is False and ack["error"]["field"] == "room", (room[:30], ack)
    assert live.emit("subscribe", {"room": "counter:1", "last_seq": 0}, namespace="/hall",
                     callback=True)["ok"]  # a window of the hall: the supervisor may
    live.disconnect(namespace="/hall")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("text", ["\x01", "\x1b@", "\x1dV\x00", "\x7f", "\x85", "\ud800"])
def test_other_control_characters_are_refused_wherever_they_come(client, kiosk_headers, text):
    def post(url: str, body: dict, headers: dict | None = None):  # JSON as a client escapes it
        return client.post(url, data=json.dumps(body), headers=headers,
                           content_type="application/json")

    err(post("/api/v1/tickets", {"service": "hj", "kind": "priority",
                                 "priority_reason": "老年人" + text}, kiosk_headers),
        400, "control_character", "priority_reason")
    err(post("/api/v1/auth/login", {"login": "li", "password": "x", f"k{text}": 1}),
        400, "control_character", "body")
    err(post("/api/v1/pairings", {"kind": "kiosk", "info": {"host": [text]}}),
        400, "control_character", "info.host.0")


@pytest.mark.parametrize("raw", [
    '{"service": "hj", "kind": "priority", "priority_reason": "老年人\x7f"}'.encode(),
    '{"service": "hj", "kind": "priority", "priority_reason": "老年人\x85"}'.encode(),
    b'{"service": "hj", "kind": "priority", "priority_reason": "\xed\xa0\x80"}',  # a surrogate
    '{"service": "hj", "kind": "priority", "priority_reason": "老年人\x85"}'.encode("utf-16"),
    '{"service": "hj", "kind": "priority", "priority_reason": "\x9f"}'.encode("utf-32"),
], ids=["del-utf8", "c1-utf8", "surrogate-utf8", "c1-utf16", "c1-utf32"])
def test_unescaped_control_characters_are_refused_as_well(client, kiosk_headers, raw):
    """A client need not escape DEL, C1 or (with the parser's 'surrogatepass') a surrogate,
    and may send UTF-16 or UTF-32: the quick look at the raw text that spares a plain body
    the walk (hall/web/inputs.py) must still send these to it."""
    r = client.post("/api/v1/tickets", data=raw, headers=kiosk_headers,
                    content_type="application/json")
    err(r, 400, "control_character", "priority_reason")
    # unescaped C0 is not JSON at all
    r = client.post("/api/v1/tickets", data=b'{"service": "hj\x01"}', headers=kiosk_headers,
                    content_type="application/json")
    err(r, 400, "malformed_json", "body")


def test_an_unknown_method_is_405_with_allow(client, seeded):
    for method, url, allow in [("TRACE", "/api/v1/tickets", {"POST", "OPTIONS"}),
                               ("TRACE", "/api/v1/counters/1/open", {"POST", "OPTIONS"}),
                               ("PATCH", "/api/v1/tickets/abcdefgh",
                                {"GET", "HEAD", "OPTIONS"}),
                               ("DELETE", "/api/v1/config/services",
                                {"GET", "HEAD", "POST", "OPTIONS"}),
                               ("TRACE", "/t/abcdefgh", {"GET", "HEAD", "OPTIONS"}),
                               ("PUT", "/case", {"GET", "HEAD", "OPTIONS"})]:
        r = client.open(url, method=method)
        err(r, 405, "method_not_allowed", None)
        assert {m.strip() for m in r.headers["Allow"].split(",")} == allow, (url, r.headers)
