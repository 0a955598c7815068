"""The admin console (issue 9): /api/v1/config over HTTP (Flask test client, SQLite and
PostgreSQL) — admins may, everyone else is refused before anything changes — and the
/admin/ page in headless Chromium against a real server: a service's guide and a counter's
weights edited through the forms take effect in the API and at the next call."""
from __future__ import annotations

import pytest
import requests
from sqlalchemy import text

from hall.api.config import CounterOut, CountersOut, DepartmentOut, ServiceOut, ServicesOut
from hall.services.config import audit
from tests.e2e.browsing import signed_in_page
from tests.e2e.conftest import SEEN
from tests.e2e.server import running_hall

API = "/api/v1/config"
SERVICE = {"code": "jz", "department": "gaj", "name": "居住证办理", "prefix": "C",
           "kind": "promised", "legal_days": 15, "promised_days": 7,
           "expected_visit_minutes": 12, "time_limit_minutes": 25, "warning_minutes": 20,
           "materials": ["身份证原件", "居住证明"], "steps": ["取号", "受理", "领证"]}
COUNTER = {"number": 5, "name": "五号窗口", "led_address": 5,
           "services": [{"service": "hj", "weight": 2}]}
# every endpoint with a body that would be accepted from an admin
ENDPOINTS = [
    ("get", "/departments", None),
    ("post", "/departments", {"code": "mzj", "name": "民政局"}),
    ("put", "/departments/gaj", {"code": "gaj", "name": "公安"}),
    ("delete", "/departments/gaj", None),
    ("get", "/services", None),
    ("get", "/services/hj", None),
    ("post", "/services", SERVICE),
    ("put", "/services/sfz", SERVICE | {"code": "sfz", "prefix": "A"}),
    ("post", "/services/hj/deactivate", None),
    ("post", "/services/hj/activate", None),
    ("get", "/counters", None),
    ("post", "/counters", COUNTER),
    ("put", "/counters/4", COUNTER | {"number": 4}),
    ("post", "/counters/4/deactivate", None),
    ("post", "/counters/4/activate", None),
]


def send(client, method: str, path: str, body=None, headers=None):
    return getattr(client, method)(API + path, json=body, headers=headers or {})


def test_everyone_but_an_admin_is_refused_before_anything_changes(
        app, seeded, staff_client, kiosk_headers, admin_client, login_as):
    boss = login_as("wang", "supervisor", "王强")
    callers = {"staff": (staff_client, staff_client.csrf), "supervisor": (boss, boss.csrf),
               "kiosk": (app.test_client(), kiosk_headers)}
    for method, path, body in ENDPOINTS:
        where = f"{method.upper()} {path}"
        done = len(config_entries(seeded))
        anonymous = send(app.test_client(), method, path, body)
        assert anonymous.status_code == 401, where
        assert anonymous.json["error"]["code"] == "unauthenticated", where
        for role, (who, headers) in callers.items():
            refused = send(who, method, path, body, headers)
            assert refused.status_code == 403, (where, role)
            assert refused.json["error"]["code"] == "forbidden", (where, role)
            if body is not None:  # the role is checked before the body: nothing learnt
                assert send(who, method, path, {"x": 1}, headers).status_code == 403, where
        if method != "get":
            no_csrf = send(admin_client, method, path, body)
            assert no_csrf.status_code == 403, where
            assert no_csrf.json["error"]["code"] == "csrf", where
        assert len(config_entries(seeded)) == done, where
        allowed = send(admin_client, method, path, body, admin_client.csrf)
        assert allowed.status_code < 300 or (
            where == "DELETE /departments/gaj" and allowed.status_code == 409), where


def config_entries(ctx) -> list[dict]:
    """The audit entries of the configuration (accounts made by the fixtures have theirs)."""
    with ctx.engine.connect() as conn:
        hall_id = conn.execute(text("SELECT id FROM halls")).scalar_one()
    return [e for e in audit.entries(ctx, hall_id)
            if e["entity"] in ("department", "service", "counter")]


def test_an_admin_configures_departments_services_and_counters_over_http(admin_client, seeded):
    h = admin_client.csrf
    made = send(admin_client, "post", "/departments", {"code": "mzj", "name": "民政局"}, h)
    assert made.status_code == 201 and DepartmentOut.model_validate(made.json).services == 0
    duplicate = send(admin_client, "post", "/departments", {"code": "mzj", "name": "重复"}, h)
    assert duplicate.status_code == 409 and duplicate.json["error"]["field"] == "code"
    in_use = send(admin_client, "delete", "/departments/gaj", None, h)
    assert in_use.status_code == 409 and in_use.json["error"]["code"] == "department_in_use"
    assert send(admin_client, "delete", "/departments/mzj", None, h).status_code == 204
    assert send(admin_client, "delete", "/departments/mzj", None, h).status_code == 404

    created = send(admin_client, "post", "/services", SERVICE, h)
    assert created.status_code == 201
    assert ServiceOut.model_validate(created.json).steps == ["取号", "受理", "领证"]
    changed = send(admin_client, "put", "/services/jz",
                   SERVICE | {"fee": "不收费", "daily_quota": 40}, h)
    assert changed.status_code == 200 and changed.json["fee"] == "不收费"
    listed = ServicesOut.model_validate(send(admin_client, "get", "/services").json).services
    assert [s.code for s in listed] == ["hj", "sfz", "ss", "jz"]
    off = send(admin_client, "post", "/services/jz/deactivate", None, h)
    assert off.status_code == 200 and off.json["active"] is False
    assert send(admin_client, "get", "/services/nope").status_code == 404

    counter = send(admin_client, "post", "/counters", COUNTER | {"services": [
        {"service": "jz", "weight": 3}, {"service": "hj", "weight": 1}]}, h)
    assert counter.status_code == 201 and CounterOut.model_validate(counter.json).state == "closed"
    weights = send(admin_client, "put", "/counters/5", COUNTER | {"services": [
        {"service": "hj", "weight": 7}]}, h)
    assert weights.json["services"] == [{"service": "hj", "weight": 7}]
    counters = CountersOut.model_validate(send(admin_client, "get", "/counters").json).counters
    assert [c.number for c in counters] == [1, 2, 3, 4, 5]

    entries = config_entries(seeded)
    assert [(e["entity"], e["action"]) for e in reversed(entries)] == [
        ("department", "create"), ("department", "delete"), ("service", "create"),
        ("service", "update"), ("service", "deactivate"), ("counter", "create"),
        ("counter", "update")]
    assert {e["ip"] for e in entries} == {"127.0.0.1"}
    assert entries[0]["entity"] == "counter" and entries[0]["after"]["services"] == [
        {"service": "hj", "weight": 7}]


def test_refusals_name_the_field_a_form_shows_them_next_to(admin_client, seeded):
    h = admin_client.csrf
    hj = send(admin_client, "get", "/services/hj").json
    body = {k: v for k, v in hj.items() if k != "id"}
    bad = send(admin_client, "put", "/services/hj",
               body | {"prefix": "a1", "materials": ["x" * 3]}, h)
    assert bad.status_code == 422 and bad.json["error"]["field"] == "prefix"
    late = send(admin_client, "put", "/services/hj", body | {"warning_minutes": 30}, h)
    assert late.status_code == 422
    assert late.json["error"]["details"][0]["field"] == "warning_minutes"
    assert "警戒时限" in late.json["error"]["details"][0]["message"]
    dept = send(admin_client, "put", "/services/hj", body | {"department": "nope"}, h)
    assert dept.status_code == 404 and dept.json["error"]["field"] == "department"
    weight = send(admin_client, "put", "/counters/1", COUNTER | {"number": 1, "services": [
        {"service": "hj", "weight": 1}, {"service": "sfz", "weight": 0}]}, h)
    assert weight.status_code == 422 and weight.json["error"]["field"] == "services.1.weight"
    unknown = send(admin_client, "put", "/counters/1", COUNTER | {"number": 1, "services": [
        {"service": "nope", "weight": 1}]}, h)
    assert unknown.status_code == 404 and unknown.json["error"]["field"] == "services.0.service"
    renumbered = send(admin_client, "put", "/counters/1", COUNTER | {"number": 2}, h)
    assert renumbered.status_code == 409 and renumbered.json["error"]["code"] == "key_changed"
    assert config_entries(seeded) == []


def test_the_console_page_is_for_admins_only(app, staff_client, admin_client, login_as):
    anonymous = app.test_client().get("/admin/")
    assert anonymous.status_code == 200 and b'id="login-form"' in anonymous.data
    assert staff_client.get("/admin/").status_code == 403
    assert login_as("wang", "supervisor", "王强").get("/admin/").status_code == 403
    page = admin_client.get("/admin/")
    assert page.status_code == 200 and b'id="service-form"' in page.data
    assert b"console.js" in page.data and b'id="nav-console"' in page.data
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


# --- the page in headless Chromium --------------------------------------------------------

@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_guide_and_weights_edited_on_the_page_reach_the_api_and_the_next_call(
        ctx, db_url, tmp_path, browser, artifacts):
    from playwright.sync_api import expect

    with running_hall(ctx, db_url, tmp_path) as (server, tokens, post):
        with ctx.engine.begin() as conn:  # hj's cases turn amber 3 working days before due
            conn.execute(text("UPDATE services SET warning_days = 3 WHERE code = 'hj'"))
        page, errors = signed_in_page(browser, ctx, f"{server.url}/admin/?lang=en", role="admin",
                                      login="root", name="管理员", height=1100)
        expect(page.locator("#nav-console")).to_have_class("active")
        expect(page.locator("#service-row-hj")).to_be_visible()

        page.click("#edit-service-hj")
        expect(page.locator("#service-title")).to_have_text("Service hj")
        expect(page.locator("#service-name")).to_be_focused()
        expect(page.locator("#service-code")).to_have_js_property("readOnly", True)
        expect(page.locator("#service-warning_days")).to_have_value("3")
        page.fill("#service-materials", "居民户口簿原件\n居民身份证原件\n\n近期免冠照片")
        page.fill("#service-steps", "取号\n窗口受理\n领取户口簿")
        page.fill("#service-fee", "工本费 20 元")
        page.fill("#service-affair_code", "11650100MB1234567X4442111001000")  # 实施清单编码
        page.fill("#service-warning_minutes", "25")  # not below the 20 min limit
        page.press("#service-prefix", "Enter")  # the keyboard submits the form
        warning = page.locator("#service-warning_minutes-error")
        expect(warning).to_have_text("warning_minutes must be below time_limit_minutes",
                                     timeout=SEEN)
        expect(page.locator("#service-warning_minutes")).to_be_focused()
        expect(page.locator("#service-warning_minutes")).to_have_attribute("aria-invalid",
                                                                            "true")
        page.screenshot(path=artifacts / "console-service-error.png", full_page=True)
        page.fill("#service-warning_minutes", "15")
        page.click("#service-save")
        expect(page.locator("#cf-message")).to_have_text("Saved", timeout=SEEN)
        expect(page.locator("#service-form")).to_be_hidden()
        expect(page.locator("#edit-service-hj")).to_be_focused()

        hj = page.request.get(f"{server.url}/api/v1/config/services/hj").json()
        assert hj["materials"] == ["居民户口簿原件", "居民身份证原件", "近期免冠照片"]
        assert (hj["steps"], hj["fee"], hj["warning_minutes"]) == (
            ["取号", "窗口受理", "领取户口簿"], "工本费 20 元", 15)
        assert hj["affair_code"] == "11650100MB1234567X4442111001000"  # the 好差评 affairCode
        assert hj["warning_days"] == 3  # the case warning point survives an edit of the guide

        page.focus("#tab-services")
        page.keyboard.press("ArrowRight")  # tabs move with the arrow keys
        expect(page.locator("#tab-counters")).to_have_attribute("aria-selected", "true")
        expect(page.locator("#counter-row-1 .services")).to_have_text("户籍办理 ×2、身份证办理 ×1")
        page.click("#edit-counter-1")
        page.fill("#counter-weight-hj", "0")
        page.press("#counter-weight-hj", "Enter")
        expect(page.locator("#counter-services tr[data-service=hj] .cf-error")).to_contain_text(
            "weight must be at least 1", timeout=SEEN)
        page.fill("#counter-weight-hj", "1")
        page.fill("#counter-weight-sfz", "5")
        page.check("#counter-serves-ss")
        page.fill("#counter-weight-ss", "2")
        page.press("#counter-weight-sfz", "Enter")
        expect(page.locator("#cf-message")).to_have_text("Saved", timeout=SEEN)
        expect(page.locator("#counter-row-1 .services")).to_have_text(
            "户籍办理 ×1、身份证办理 ×5、税务申报 ×2")
        page.screenshot(path=artifacts / "console-counters.png", full_page=True)

        counters = page.request.get(f"{server.url}/api/v1/config/counters").json()["counters"]
        one = next(c for c in counters if c["number"] == 1)
        assert sorted((s["service"], s["weight"]) for s in one["services"]) == [
            ("hj", 1), ("sfz", 5), ("ss", 2)]
        # the very next call at window 1 follows the new weights: the newer sfz ticket first
        post("/api/v1/tickets", "kiosk", service="hj")
        sfz = post("/api/v1/tickets", "kiosk", service="sfz")
        called = post("/api/v1/counters/1/call-next", "keypad1")
        assert (called.get("number") or called["ticket"]["number"]) == sfz["number"]

        page.click("#tab-services")
        page.click("#edit-service-hj")
        page.screenshot(path=artifacts / "console-service.png", full_page=True)
        assert errors == []
        r = requests.get(f"{server.url}/api/v1/config/services", timeout=5)
        assert r.status_code == 401  # and nobody else reads it
