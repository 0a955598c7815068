"""Issue 9, hardening: who may call what (a table over every endpoint of the app, so a new
endpoint must be placed in it), CSRF on cookie-authenticated writes, security headers, no
state change on GET, no stack trace to a client, no unmasked personal data.

The hall (tests/e2e/hall_world.py) has someone of every role in it and one of everything
they act on; the clock stands at Monday 2026-11-23 10:00 in Shanghai. Rate limits and body
sizes: tests/e2e/test_rate_limits.py.
"""
from __future__ import annotations

import hashlib
import io
import re
import zipfile
from fnmatch import fnmatchcase

import pytest
from sqlalchemy import select

from hall.store.models import Base
from tests.e2e.conftest import ON_BOTH_DATABASES
from tests.e2e.hall_world import (
    ADMIN,
    ANON,
    ID_NUMBER,
    KEYPAD,
    KIOSK,
    PAD1,
    PAD2,
    PHONE,
    ROLES,
    SCREEN,
    STAFF1,
    STAFF2,
    SUP,
    World,
    build,
    build_second_hall,
    make_app,
)

# the hall fences and what is masked are SQL: each is checked on both databases
pytestmark = ON_BOTH_DATABASES

EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {ANON}
STAFF = frozenset({STAFF1, STAFF2, SUP, ADMIN})
SUPERVISORS = frozenset({SUP, ADMIN})
ADMINS = frozenset({ADMIN})
DEVICES = frozenset({KIOSK, SCREEN, PAD1, PAD2, KEYPAD})
AT_COUNTER_1 = frozenset({STAFF1, SUP, ADMIN, KEYPAD})  # every call below is at counter 1
SEES_COUNTER_1 = AT_COUNTER_1 | {PAD1}

# "METHOD rule" pattern → who may; the first match decides, and an endpoint matching none
# fails the test until it is placed here
WHO_MAY = (
    ("* /api/v1/admin*", ADMINS),
    ("* /api/v1/config*", ADMINS),
    ("* /api/v1/catalog*", ADMINS),  # the region's catalog and scheme, adopted by the hall
    ("POST /api/v1/pairings", EVERYONE),  # a device without a token asks for a code…
    ("POST /api/v1/pairings/claim", EVERYONE),  # … and claims its token with its secret
    ("* /api/v1/pairings*", ADMINS),
    ("POST /api/v1/auth/login", EVERYONE),
    ("POST /api/v1/auth/logout", EVERYONE),
    ("POST /api/v1/auth/sign-out-everywhere", STAFF),
    ("GET /api/v1/auth/me", SIGNED_IN),
    ("POST /api/v1/auth/password", STAFF),  # one's own
    ("POST /api/v1/tickets", STAFF | {KIOSK}),  # reception staff issue too
    ("GET /api/v1/tickets/<token>", EVERYONE),  # the phone page: the token is the proof
    ("POST /api/v1/tickets/<token>/cancel", EVERYONE),
    ("POST /api/v1/tickets/<token>/phone-rating", EVERYONE),  # the visitor's phone page
    ("POST /api/v1/tickets/<token>/notify", EVERYONE),  # near-turn messages, the same page
    ("GET /api/v1/guide", EVERYONE),  # the public service guide (政务公开)
    ("POST /api/v1/tickets/<int:ticket_id>/rating", {PAD1}),  # the visitor, at the window's pad
    ("POST /api/v1/tickets/<int:ticket_id>/reprint", STAFF | {KIOSK}),
    # the visit's paper (受理回执): the window that served it (counter 1), and supervisors
    ("GET /api/v1/tickets/<int:ticket_id>/document", {STAFF1, SUP, ADMIN}),
    ("POST /api/v1/print-jobs", STAFF | {KIOSK}),
    ("GET /api/v1/print-jobs", SIGNED_IN),  # a device lists its own jobs only
    ("GET /api/v1/print-jobs/<int:job_id>", STAFF | {KIOSK}),
    ("POST /api/v1/print-jobs/<int:job_id>/result", {KIOSK}),  # the printer's own device
    ("GET /api/v1/queues", EVERYONE),
    ("GET /api/v1/events", SIGNED_IN),
    ("GET /api/v1/cases/<number>", EVERYONE),  # 办件查询, applicant masked
    ("POST /api/v1/cases/<number>/rating", EVERYONE),  # the case page: its look-up code
    ("* /api/v1/cases*", SUPERVISORS),
    ("GET /api/v1/counters", SIGNED_IN),
    ("GET /api/v1/counters/<int:counter_id>*", SEES_COUNTER_1),
    ("POST /api/v1/counters/<int:counter_id>/sign-in", STAFF),
    ("POST /api/v1/counters/<int:counter_id>/*", AT_COUNTER_1),
    ("GET /api/v1/devices", SUPERVISORS),
    ("POST /api/v1/devices/<int:device_id>/revoke", ADMINS),
    ("PUT /api/v1/devices/<int:device_id>/url", ADMINS),
    ("POST /api/v1/devices/<int:device_id>/test", ADMINS),
    ("* /api/v1/devices/me*", DEVICES),
    ("GET /api/v1/alerts", STAFF),  # staff see their own counter's
    ("POST /api/v1/alerts/<int:alert_id>/ack", {STAFF1, SUP, ADMIN}),
    ("* /api/v1/followups*", SUPERVISORS),
    # 投诉建议: the ticket's and case's phone pages and the complainant's page are public
    # (the token or case number is the proof; rate-limited), the kiosk's button, staff entry
    ("* /api/v1/complaints/by-ticket/<token>", EVERYONE),
    ("POST /api/v1/complaints/by-case/<number>", EVERYONE),
    ("* /api/v1/complaints/public/<token>*", EVERYONE),
    ("POST /api/v1/complaints/kiosk", {KIOSK}),
    ("POST /api/v1/complaints", STAFF),
    ("* /api/v1/complaints*", SUPERVISORS),
    ("* /api/v1/exchange*", SUPERVISORS),  # the 好差评 records leaving for the province
    ("* /api/v1/messages*", SUPERVISORS),  # near-turn texts and WeChat messages (issue 21)
    ("GET /api/v1/reports*", SUPERVISORS),
    # 催办: supervisors urge; a window's staff read and answer their window's (others: 404)
    ("POST /api/v1/urgings", SUPERVISORS),
    ("GET /api/v1/urgings", STAFF),
    ("POST /api/v1/urgings/<int:urging_id>/ack", STAFF),
    # 效能告诫: supervisors issue and withdraw; the person reads and acknowledges their own
    ("POST /api/v1/admonitions/<int:admonition_id>/ack", STAFF),
    ("* /api/v1/admonitions/<int:admonition_id>/withdraw", SUPERVISORS),
    ("POST /api/v1/admonitions", SUPERVISORS),
    ("GET /api/v1/admonitions", STAFF),
    ("* /api/v1/assessment/scheme", SUPERVISORS),  # the hall's own 日考核 points
    ("GET /api/v1/board*", SUPERVISORS),
    ("POST /api/v1/appointments/check-in", STAFF | {KIOSK}),
    ("* /api/v1/appointments*", EVERYONE),  # booking is public
    # staff on duty: supervisors keep the rota and decide leave; staff read their own week
    # (?mine=true), request leave, end it (销假) and log the desk's inquiries
    ("POST /api/v1/duty/leave", STAFF),
    ("POST /api/v1/duty/leave/<int:leave_id>/return", STAFF),
    ("* /api/v1/duty/inquiries", STAFF),
    ("* /api/v1/duty*", SUPERVISORS),
    ("GET /api/v1/", EVERYONE),
    ("GET /api/v1/openapi.json", EVERYONE),
)
# refusals that answer as if the thing did not exist, so as not to tell that it does
HIDDEN = {("POST /api/v1/alerts/<int:alert_id>/ack", STAFF2): 404}
SUPERVISOR_PAGES = ("/admin/board", "/admin/reports", "/admin/reports/bulletin", "/admin/cases",
                    "/admin/followups", "/admin/complaints", "/admin/exchange",
                    "/admin/devices", "/admin/rota", "/admin/leave",
                    "/admin/attendance")  # any other /admin page: admins …
# … but these: everyone signed in (their own account; the 首问 desk, where staff log inquiries)
OWN_PAGES = ("/admin/password", "/admin/desk")
# writes that never read a session (so no CSRF token): whoever may call them anyway
PUBLIC_WRITES = {"auth.login", "appointments.book", "tickets.cancel", "pairing.ask",
                 "pairing.claim", "complaints.file_from_ticket", "complaints.file_from_case",
                 "complaints.answer", "tickets.rate_by_phone", "tickets.follow", "cases.rate"}
STATIC = re.compile(r"\.static$|^static$|^display\.vendor$")


# a 4×4 PNG: a 值班牌 photo the upload accepts
PHOTO = ("iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAFElEQVR4nGM8ISfHAANMDEgANwcANHYB"
         "DK9qubUAAAAASUVORK5CYII=")


def bodies(ids: dict) -> dict[str, dict]:
    """A valid body per endpoint (default {}), so a refusal is not a 422 in disguise."""
    return {
        "tickets.issue": {"service": "hj"}, "tickets.rate": {"level": 5},
        "counters.pause": {"reason": "午休"}, "counters.call": {"number": ids["waiting_number"]},
        "counters.auto_dispatch": {"on": False},
        "counters.finish": {"outcome": "done"}, "counters.transfer": {"to_counter": 2},
        "counters.unhold": {"ticket_id": ids["waiting_id"]},
        "counters.reinstate": {"ticket_id": ids["waiting_id"]},
        "followups.assign": {"owner_id": 1}, "followups.record_action": {"text": "电话回访"},
        "followups.close": {"result": "已整改", "revisit": "satisfied"},
        "followups.revisit": {"answer": "satisfied"},
        "complaints.file_at_kiosk": {"text": "大厅太冷"},
        "complaints.enter": {"text": "来电反映", "source": "phone_call"},
        "complaints.reply": {"text": "已处理"},
        "devices.report": {"online": True},
        "printing.create": {"ticket_id": ids["waiting_id"]},
        "printing.result": {"state": "printed"},
        "appointments.check_in": {"code": ids["code"]},
        "appointments.cancel": {"code": ids["code"]},
        "pairing.approve": {"code": "123456"},
        "auth.password": {"current": "not the password", "new": "窗口服务 2026 好差评"},
        "admin_api.staff_photo_upload": {"photo": PHOTO},
        "cases.extend": {"days": 1, "reason": "现场核查"}, "cases.suspend": {"reason": "testing"},
        "assessment.set_scheme": {"rules": {"bad_review": -3}},
        "cases.extend_part": {"days": 1, "reason": "现场核查"},
        "cases.suspend_part": {"reason": "testing"},
        "supervision.urge": {"counter_id": 1, "note": "请加快"},
        "supervision.answer": {"answer": "已处理"},
        "supervision.admonish": {"level": "reminder", "reason": "态度生硬", "staff_id": 1},
        "supervision.withdraw": {"reason": "误评"},
        "duty.rota_post": {"counter": 1, "day": "2026-11-23", "shift": "am", "post": "A",
                           "staff_id": None},
        "duty.rota_copy": {"source": "2026-11-23", "target": "2026-11-30"},
        "duty.rota_import": {"posts": []},
        "duty.leave_request": {"kind": "sick", "start": "2026-11-23T09:00:00+08:00",
                               "end": "2026-11-23T12:00:00+08:00", "reason": "发烧"},
        "duty.inquiry_log": {"question": "户口迁移要带什么？"},
        "catalog.adopt_newest": {"kind": "catalog"}, "catalog.decide": {"choice": "local"},
        "catalog.add_service": {"code": "gs", "prefix": "G"},
    }


def path_of(rule, ids: dict) -> str:
    """The rule's URL with the world's ids (1 where a name means something else here)."""
    values = {**ids, "action": "start", "hall_code": "test"}

    def value(m: re.Match) -> str:
        found = str(values.get(m[2], 1))
        return found if m[1] != "int" or found.isdigit() else "1"

    return re.sub(r"<(?:([^<>:]+):)?([^<>]+)>", value, rule.rule)


def who_may(method: str, rule: str) -> frozenset[str]:
    for pattern, roles in WHO_MAY:
        if fnmatchcase(f"{method} {rule}", pattern):
            return frozenset(roles)
    raise AssertionError(f"{method} {rule}: not in WHO_MAY; say who may call it")


def api_calls(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and not STATIC.search(rule.endpoint):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, rule


@pytest.fixture
def world(db_url, clock, tmp_path) -> World:
    app = make_app(db_url, clock, tmp_path)
    yield build(app)
    app.extensions["hall"].engine.dispose()


# --- roles ---------------------------------------------------------------------------------

def test_each_role_is_refused_what_it_may_not_do(world):
    ids, sample, wrong = world.ids, bodies(world.ids), []
    for method, rule in api_calls(world.app):
        allowed, url = who_may(method, rule.rule), path_of(rule, ids)
        for role in sorted(EVERYONE - allowed):
            r = world[role].call(method, url, sample.get(rule.endpoint, {}))
            expected = HIDDEN.get((f"{method} {rule.rule}", role), 401 if role == ANON else 403)
            if r.status_code != expected:
                wrong.append(f"{role} {method} {url}: {r.status_code} {r.get_data(True)[:160]}")
        for role in sorted(allowed) if method == "GET" else ():
            r = world[role].call(method, url)
            if r.status_code in (401, 403):
                wrong.append(f"{role} may {method} {url} but got {r.status_code}")
    assert not wrong, "\n".join(wrong)
    # and every caller is still who they were: no refusal above went through after all
    for role in sorted(SIGNED_IN):
        me = world[role].call("GET", "/api/v1/auth/me").json
        assert me["id"] == world[role].id, (role, me)
    assert world[STAFF1].call("GET", "/api/v1/auth/me").json["counter_id"] == ids["counter_id"]


def test_admin_pages_are_for_their_roles_only(world):
    wrong = []
    for rule in world.app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or STATIC.search(rule.endpoint):
            continue
        allowed = (STAFF if rule.rule in OWN_PAGES else
                   SUPERVISORS if rule.rule in SUPERVISOR_PAGES else ADMINS)
        for role in ROLES:
            r = world[role].call("GET", path_of(rule, world.ids))
            sign_in_form = 'id="login-form"' in r.get_data(True)
            if role in allowed:
                ok = r.status_code == 200 and not sign_in_form
            elif role in STAFF:
                ok = r.status_code == 403 and not sign_in_form
            else:  # no session: the sign-in form, and nothing of the page
                ok = r.status_code == 200 and sign_in_form
            if not ok:
                wrong.append(f"{role} GET {rule.rule}: {r.status_code} form={sign_in_form}")
    assert not wrong, "\n".join(wrong)


# --- CSRF ----------------------------------------------------------------------------------

def test_a_cookie_session_state_change_without_the_csrf_token_is_refused(world):
    admin, sample, wrong = world[ADMIN], bodies(world.ids), []
    for rule in world.app.url_map.iter_rules():
        for method in sorted(rule.methods - {"GET", "HEAD", "OPTIONS"}):
            if rule.endpoint in PUBLIC_WRITES:
                continue
            url = path_of(rule, {**world.ids, "device": world[KIOSK].id})
            r = admin.call(method, url, sample.get(rule.endpoint, {}), csrf=False)
            if r.status_code != 403 or r.json["error"]["code"] != "csrf":
                wrong.append(f"{method} {url}: {r.status_code} {r.get_data(True)[:120]}")
    assert not wrong, "\n".join(wrong)
    forged = admin.client.post(f"/api/v1/alerts/{world.ids['alert_id']}/ack", json={},
                               headers={"X-CSRFToken": "forged"})
    assert forged.status_code == 403 and forged.json["error"]["field"] == "X-CSRFToken"


def test_the_admin_pages_token_is_the_one_their_writes_need(world):
    supervisor = world[SUP].client
    page = supervisor.get("/admin/followups").get_data(True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)[1]
    url = f"/api/v1/alerts/{world.ids['alert_id']}/ack"
    refused = supervisor.post(url, json={"note": "已处理"})
    assert refused.status_code == 403 and refused.json["error"]["code"] == "csrf"
    done = supervisor.post(url, json={"note": "已处理"}, headers={"X-CSRFToken": token})
    assert done.status_code == 200, done.json
    # a device's bearer token is not sent by browsers on their own: no CSRF token needed
    assert world[KIOSK].call("POST", "/api/v1/tickets", {"service": "hj"}).status_code == 201


# --- headers -------------------------------------------------------------------------------

def _common_headers(r) -> None:
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert "camera=()" in r.headers["Permissions-Policy"]
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]


def test_pages_and_answers_carry_the_security_headers(world):
    ids, kiosk = world.ids, world[KIOSK]
    pages = ["/admin/board", "/counter", "/book", f"/t/{ids['token']}", "/case",
             f"/kiosk/{kiosk.id}?token={kiosk.token}",
             f"/display/hall/{world[SCREEN].id}?token={world[SCREEN].token}"]
    for url in pages:
        r = world[ANON].client.get(url)
        assert r.status_code == 200 and r.mimetype == "text/html", url
        _common_headers(r)
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, (url, csp)
        assert "<script>" not in r.get_data(True), url  # and no inline script to allow
    report = world[ADMIN].call("GET", "/api/v1/reports?format=csv")
    for r in (world[ANON].call("GET", "/api/v1/queues"), world[ANON].call("GET", "/api/v1/x"),
              report):
        _common_headers(r)
        assert r.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert "Strict-Transport-Security" not in r.headers  # plain HTTP: no HSTS


def test_https_halls_send_hsts_and_secure_cookies(db_url, clock, tmp_path):
    app = make_app(db_url, clock, tmp_path, HSTS=True, SESSION_COOKIE_SECURE=True)
    r = app.test_client().get("/admin/board")
    assert r.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Secure" in r.headers["Set-Cookie"]
    app.extensions["hall"].engine.dispose()


# --- no state change on GET ----------------------------------------------------------------

def snapshot(engine) -> dict[str, tuple[int, str]]:
    """Each table's row count and a digest of its rows — the closed days' rollups too: the
    watch and `hall report` write them, never a GET (issue 16)."""
    out = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
            out[table.name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return out


def get_everything(world: World, role: str):
    """(url, response) for every GET route of the app, as ``role``."""
    caller = world[role]
    ids = {**world.ids, "device": world[KIOSK].id, "device_id": world[PAD1].id,
           "screen": world[SCREEN].id}
    for rule in world.app.url_map.iter_rules():
        if "GET" in rule.methods and not STATIC.search(rule.endpoint):
            url = path_of(rule, ids) + (f"?token={caller.token}" if caller.token else "")
            yield url, caller.call("GET", url)


def test_no_get_changes_anything(world):
    engine = world.app.extensions["hall"].engine
    before = snapshot(engine)
    for role in (ADMIN, KIOSK, PAD1, ANON):
        for url, r in get_everything(world, role):
            assert r.status_code < 500, (role, url, r.status_code)
    after = snapshot(engine)
    assert after == before, [name for name in before if before[name] != after[name]]


# --- no stack traces -----------------------------------------------------------------------

def test_an_unexpected_error_reaches_no_client_as_a_stack_trace(db_url, clock, tmp_path):
    app = make_app(db_url, clock, tmp_path, TESTING=False)

    def broken():
        raise RuntimeError("secret detail: /srv/hall/hall/services/tickets.py line 12")

    app.add_url_rule("/api/v1/test-broken", "test_broken_api", broken)
    app.add_url_rule("/admin/test-broken", "test_broken_page", broken)
    for url in ("/api/v1/test-broken", "/admin/test-broken"):
        r = app.test_client().get(url)
        assert r.status_code == 500 and r.json["error"]["code"] == "internal", url
        text = r.get_data(True)
        for leak in ("Traceback", "secret detail", "RuntimeError", ".py"):
            assert leak not in text, (url, leak)
    app.extensions["hall"].engine.dispose()


# --- personal data -------------------------------------------------------------------------

RAW = (PHONE, ID_NUMBER, ID_NUMBER[:17])


def texts(r) -> list[str]:
    """A response as text; an XLSX is a zip of XML parts, each read."""
    if r.mimetype.endswith("spreadsheetml.sheet"):
        with zipfile.ZipFile(io.BytesIO(r.data)) as z:
            return [z.read(name).decode("utf-8", "replace") for name in z.namelist()]
    return [r.get_data(as_text=True)]


def test_phones_and_id_numbers_never_come_back_unmasked(world):
    seen = []
    for role in (ADMIN, SUP, KIOSK, ANON):
        seen += [(url, r) for url, r in get_everything(world, role)]
    for period in ("day", "week", "month"):
        for group in ("hall", "department", "service", "counter", "staff"):
            for fmt in ("json", "csv", "xlsx"):
                url = f"/api/v1/reports?period={period}&group={group}&format={fmt}"
                seen.append((url, world[ADMIN].call("GET", url)))
    code = world.ids["code"]
    seen.append(("appointment", world[ANON].call("GET", f"/api/v1/appointments/{code}")))
    assert any("138****5678" in t for _, r in seen for t in texts(r))  # shown, masked
    leaks = [(url, raw) for url, r in seen for t in texts(r) for raw in RAW if raw in t]
    assert not leaks, leaks
    with world.app.extensions["hall"].engine.connect() as conn:  # kept only as keyed hashes
        for table in Base.metadata.sorted_tables:
            stored = repr(conn.execute(select(table)).all())
            assert not [raw for raw in RAW if raw in stored], table.name


# --- halls fenced apart (issue 16, item 1) -------------------------------------------------

# what an operation names of another hall: an id in its path (or a case number)…
NAMES_BY_PATH = re.compile(r"<int:\w+_id>|/cases/<number>/")
# … or in its body: (endpoint, the body naming the first hall's things)
BODY_REFS = {
    "counters.unhold": lambda ids: {"ticket_id": ids["waiting_id"]},
    "counters.reinstate": lambda ids: {"ticket_id": ids["waiting_id"]},
    "printing.create": lambda ids: {"ticket_id": ids["waiting_id"]},
    "appointments.check_in": lambda ids: {"code": ids["code"]},
    "followups.assign": lambda ids: {"owner_id": ids["supervisor_id"]},
    "supervision.urge": lambda ids: {"counter_id": ids["counter_id"]},
    "supervision.admonish": lambda ids: {"staff_id": ids["supervisor_id"]},
    "complaints.enter": lambda ids: {"counter_id": ids["counter_id"]},
    "duty.rota_post": lambda ids: {"staff_id": ids["supervisor_id"]},
}
# operations that name nothing of another hall: they act on the caller's own hall (its
# services by code, windows by number, lists), on the caller themself, or on what anyone
# holding its token or code may (a visitor's ticket, an appointment, the public case look-up)
OWN_HALL_ONLY = (
    "* /api/v1/admin/audit", "* /api/v1/admin/layout", "* /api/v1/admin/notices",
    "* /api/v1/admin/settings", "* /api/v1/admin/staff", "* /api/v1/config/*",
    "GET /api/v1/alerts", "* /api/v1/auth/*", "GET /api/v1/board", "GET /api/v1/cases",
    "GET /api/v1/cases/<number>", "POST /api/v1/cases/<number>/rating",
    "GET /api/v1/counters", "GET /api/v1/devices",
    "* /api/v1/devices/me*", "GET /api/v1/events", "GET /api/v1/followups",
    "GET /api/v1/followups/owners", "GET /api/v1/", "GET /api/v1/openapi.json",
    "POST /api/v1/pairings", "POST /api/v1/pairings/claim", "GET /api/v1/pairings",
    "GET /api/v1/print-jobs", "GET /api/v1/queues", "GET /api/v1/reports",
    "GET /api/v1/exchange", "GET /api/v1/exchange/export",
    "GET /api/v1/messages",
    # 投诉建议 filed by a visitor name their ticket or case by its token or number (anyone
    # holding it may; a case with its look-up code too), the kiosk files in its own hall;
    # lists are the hall's own (staff entry names a window: walked, BODY_REFS)
    "* /api/v1/complaints/by-ticket/<token>", "POST /api/v1/complaints/by-case/<number>",
    "* /api/v1/complaints/public/<token>*", "POST /api/v1/complaints/kiosk",
    "GET /api/v1/complaints",
    "POST /api/v1/tickets", "* /api/v1/tickets/<token>*", "* /api/v1/appointments",
    "* /api/v1/appointments/<code>", "POST /api/v1/appointments/cancel",
    "GET /api/v1/appointments/services", "GET /api/v1/appointments/slots",
    "GET /api/v1/guide",  # public: every hall's guide, by the hall's code
    # a pending pairing request is no hall's until an admin, reading its code off the
    # device, decides it (then it is the deciding hall's)
    "POST /api/v1/pairings/<int:pairing_id>/*",
    "GET /api/v1/urgings", "GET /api/v1/admonitions",
    "* /api/v1/assessment/scheme",  # the scheme of the caller's hall
    # the rota, attendance and leave of the caller's hall, the caller's own leave and desk
    "GET /api/v1/duty/*", "POST /api/v1/duty/rota/copy", "POST /api/v1/duty/leave",
    "POST /api/v1/duty/rota/import",  # rows name people by login, found in the caller's hall
    "POST /api/v1/duty/inquiries",
    # the region's versions adopted into the caller's hall; a 事项 added to it by code
    # (a conflict is named by id: walked)
    "GET /api/v1/catalog", "POST /api/v1/catalog/adopt", "POST /api/v1/catalog/services",
)
CROSS_HALL_REFUSALS = (403, 404)


@pytest.fixture
def two_halls(db_url, clock, tmp_path) -> tuple[World, World]:
    """The hall of ``world`` and a second one (code test2) on the same server."""
    app = make_app(db_url, clock, tmp_path)
    first = build(app)
    second = build_second_hall(app)
    first.ids["supervisor_id"] = first[SUP].id
    yield first, second
    app.extensions["hall"].engine.dispose()


def test_every_command_is_refused_across_halls(two_halls):
    """Every operation of the API that names something of the first hall — a window, a
    ticket, a case, a device, an alert, a follow-up, a print job, an appointment, an
    account — in its path or its body, called by every kind of caller of the second hall
    (admin, supervisor, window staff, kiosk, screen, pads, keypad, agent), is refused as if
    the thing did not exist or as forbidden; and nothing at all changed."""
    first, second = two_halls
    engine = first.app.extensions["hall"].engine
    callers = sorted(set(second.callers) - {ANON})
    sample, before, wrong, walked = bodies(first.ids), snapshot(engine), [], set()
    for method, rule in api_calls(first.app):
        cell = f"{method} {rule.rule}"
        by_path = bool(NAMES_BY_PATH.search(rule.rule))
        by_body = rule.endpoint in BODY_REFS
        if any(fnmatchcase(cell, p) for p in OWN_HALL_ONLY):
            continue
        assert by_path or by_body, (
            f"{cell}: names nothing of another hall? place it in OWN_HALL_ONLY or fence it")
        walked.add(rule.endpoint)
        foreign = {**sample.get(rule.endpoint, {}),
                   **(BODY_REFS[rule.endpoint](first.ids) if by_body else {})}
        # the first hall's thing in the path; and, for a body that names one, the caller's
        # own window (or follow-up…) in the path with the first hall's thing in the body
        urls = [path_of(rule, first.ids)] + ([path_of(rule, second.ids)] if by_body else [])
        for url in dict.fromkeys(urls):
            for role in callers:
                r = second[role].call(method, url, foreign)
                if r.status_code not in CROSS_HALL_REFUSALS:
                    wrong.append(f"{second.ids['hall']} {role} {method} {url} {foreign}: "
                                 f"{r.status_code} {r.get_data(True)[:160]}")
    assert not wrong, "\n".join(wrong)
    assert snapshot(engine) == before  # no refusal above went through after all
    # the walk covered every kind of thing (a new kind of path parameter is walked too)
    assert {"counters.call_next", "counters.unhold", "counters.sign_in", "cases.act",
            "alerts.ack", "followups.close", "devices.revoke", "printing.result",
            "tickets.rate", "tickets.document", "admin_api.staff_reset_password",
            "appointments.check_in"} <= walked
    # and each hall still works for its own: the second hall's keypad calls at its window
    c2 = second.ids["counter_id"]
    called = second[KEYPAD].call("POST", f"/api/v1/counters/{c2}/call-next")
    assert called.status_code == 200 and called.json["ticket"]["id"] == second.ids["waiting_id"]


def test_no_live_room_of_another_hall_may_be_joined(two_halls):
    """The live feed is fenced like the API: no caller of the second hall — staff by their
    session, devices by their token — may subscribe to a room of the first hall's (its
    hall, a window, a screen, a device, a visitor's ticket); each is refused naming the
    room, and each still joins its own hall's."""
    from hall.extensions import socketio

    first, second = two_halls
    hall_1 = first[ADMIN].call("GET", "/api/v1/auth/me").json["hall_id"]
    hall_2 = second[ADMIN].call("GET", "/api/v1/auth/me").json["hall_id"]
    theirs = [f"hall:{hall_1}", f"counter:{first.ids['counter_id']}",
              f"screen:{first[SCREEN].id}", f"device:{first[KIOSK].id}",
              f"ticket:{first.ids['token']}"]
    joined = []
    for role in sorted(set(second.callers) - {ANON}):
        caller = second[role]
        live = socketio.test_client(first.app, namespace="/hall",
                                    flask_test_client=caller.client,
                                    auth={"token": caller.token} if caller.token else None)
        assert live.is_connected("/hall"), role
        for room in theirs:
            ack = live.emit("subscribe", {"room": room, "last_seq": 0}, namespace="/hall",
                            callback=True)
            if ack.get("ok") or ack["error"]["field"] != "room":
                joined.append((role, room, ack))
        own = live.emit("subscribe", {"room": f"hall:{hall_2}", "last_seq": 0},
                        namespace="/hall", callback=True)
        assert own["ok"], (role, own)
        live.disconnect(namespace="/hall")
    assert not joined, joined
