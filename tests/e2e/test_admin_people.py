"""/api/v1/admin and the pages /admin/staff, /admin/settings, /admin/audit: only admins get
in (every other caller is refused before the body is read), writes need the CSRF header,
every change shows in the audit log with before and after; and in headless Chromium an
admin adds an account, hands over its one-time password and finds the change in the log."""
from __future__ import annotations

import re
import tomllib

import pytest
import requests

from tests.e2e.browsing import signed_in_page
from tests.e2e.conftest import SEEN, SQLITE_ONLY

API = "/api/v1/admin"
# (method, path, body): each admin endpoint, with a body that would not even validate,
# so a 403 proves the role is checked first
ENDPOINTS = [
    ("GET", "/staff", None), ("POST", "/staff", {"login": ""}),
    ("PUT", "/staff/1", {"role": "god"}), ("POST", "/staff/1/reset-password", None),
    ("POST", "/staff/1/deactivate", None), ("POST", "/staff/1/activate", None),
    ("POST", "/staff/1/unlock", None), ("GET", "/settings", None),
    ("PUT", "/settings", {"code": "?"}), ("GET", "/notices", None),
    ("PUT", "/notices", {"notices": "?"}), ("GET", "/audit", None),
    ("GET", "/layout", None), ("POST", "/layout", {"toml": ""}),
]


def send(client, method: str, path: str, body=None, headers=None):
    return client.open(API + path, method=method, json=body, headers=headers or {})


# the role is checked before the body is read, the same on either database: SQLite (the admin
# API on PostgreSQL is in the tests below)
@SQLITE_ONLY
@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_only_admins_may_call_the_admin_api(app, staff_client, kiosk_headers, login_as, method,
                                            path, body):
    anonymous = send(app.test_client(), method, path, body)
    assert anonymous.status_code == 401, anonymous.json
    assert send(staff_client, method, path, body, staff_client.csrf).status_code == 403
    supervisor = login_as("wang", "supervisor", "Wang")
    refused = send(supervisor, method, path, body, supervisor.csrf)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    assert send(app.test_client(), method, path, body, kiosk_headers).status_code == 403


def test_a_change_without_the_csrf_token_is_refused(admin_client):
    bare = send(admin_client, "POST", "/staff", {"login": "zhou", "name": "周"})
    assert bare.status_code == 403 and bare.json["error"]["code"] == "csrf"
    assert send(admin_client, "PUT", "/notices", {"notices": []}).status_code == 403
    made = send(admin_client, "POST", "/staff", {"login": "zhou", "name": "周"}, admin_client.csrf)
    assert made.status_code == 201 and made.json["password"]


def test_every_change_is_in_the_audit_log_with_before_and_after(admin_client):
    made = send(admin_client, "POST", "/staff", {"login": "zhou", "name": "周敏", "role": "staff"},
                admin_client.csrf).json
    zhou = made["staff"]["id"]
    assert send(admin_client, "PUT", f"/staff/{zhou}", {"role": "supervisor"},
                admin_client.csrf).json["staff"]["role"] == "supervisor"
    reset = send(admin_client, "POST", f"/staff/{zhou}/reset-password", None,
                 admin_client.csrf).json
    assert reset["password"] != made["password"]
    settings = send(admin_client, "GET", "/settings").json
    saved = send(admin_client, "PUT", "/settings",
                 settings | {"target_wait_minutes": 12, "holidays": ["2026-12-31"]},
                 admin_client.csrf)
    assert saved.status_code == 200 and saved.json["holidays"] == ["2026-12-31"]

    log = send(admin_client, "GET", f"/audit?entity=staff&entity_id={zhou}").json["entries"]
    assert [e["action"] for e in log] == ["reset_password", "update", "create"]  # newest first
    assert log[1]["before"]["role"] == "staff" and log[1]["after"]["role"] == "supervisor"
    assert log[2]["before"] is None and log[2]["after"]["login"] == "zhou"
    assert log[0]["after"]["password_hash"] == "••••••"
    assert all(e["actor"] == f"staff:admin:{admin_client.staff_id}" and e["actor_name"] == "管理员"
               and e["ip"] == "127.0.0.1" for e in log)
    assert reset["password"] not in str(log) and made["password"] not in str(log)
    [hall] = send(admin_client, "GET", "/audit?entity=hall").json["entries"]
    assert (hall["before"]["target_wait_minutes"], hall["after"]["target_wait_minutes"]) == (
        15, 12)

    first = send(admin_client, "GET", "/audit?limit=2").json  # paging back in time
    assert len(first["entries"]) == 2 and first["next_before_id"] == first["entries"][-1]["id"]
    rest = send(admin_client, "GET", f"/audit?limit=50&before_id={first['next_before_id']}").json
    assert rest["next_before_id"] is None
    assert [e["id"] for e in first["entries"] + rest["entries"]] == sorted(
        (e["id"] for e in first["entries"] + rest["entries"]), reverse=True)
    assert len(rest["entries"]) == 2
    bad = send(admin_client, "GET", "/audit?since=2026-11-01T00:00:00")  # no zone: ambiguous
    assert bad.status_code == 422 and bad.json["error"]["field"] == "since"


def test_the_layout_downloads_as_toml_and_imports_after_a_preview(admin_client):
    download = send(admin_client, "GET", "/layout")
    assert download.status_code == 200 and download.mimetype == "application/toml"
    assert download.headers["Content-Disposition"] == 'attachment; filename="test-layout.toml"'
    file = download.data.decode("utf-8")
    layout = tomllib.loads(file)
    assert [s["code"] for s in layout["services"]] == ["hj", "sfz", "ss"]
    assert "scrypt" not in file and "hash" not in file

    changed = file.replace('name = "税务申报"', 'name = "税务申报（综合）"')
    preview = send(admin_client, "POST", "/layout", {"toml": changed}, admin_client.csrf).json
    assert preview["dry_run"] is True
    assert preview["changes"]["services"]["changed"][0]["after"]["name"] == "税务申报（综合）"
    assert send(admin_client, "GET", "/layout").data.decode("utf-8") == file  # nothing yet

    applied = send(admin_client, "POST", "/layout", {"toml": changed, "dry_run": False},
                   admin_client.csrf)
    assert applied.status_code == 200 and applied.json["dry_run"] is False
    assert send(admin_client, "GET", "/layout").data.decode("utf-8") == changed
    [entry] = send(admin_client, "GET", "/audit?entity=layout").json["entries"]
    assert entry["action"] == "import"
    assert entry["after"]["services"][2]["name"] == "税务申报（综合）"

    broken = send(admin_client, "POST", "/layout", {"toml": "[hall"}, admin_client.csrf)
    assert broken.status_code == 422 and broken.json["error"]["code"] == "invalid_layout"
    other = send(admin_client, "POST", "/layout",
                 {"toml": file.replace('code = "test"', 'code = "else"')}, admin_client.csrf)
    assert other.status_code == 422 and other.json["error"]["code"] == "hall_mismatch"


def test_an_admin_keeps_their_own_account_and_role(admin_client):
    me = admin_client.staff_id
    for path, body in ((f"/staff/{me}/deactivate", None), (f"/staff/{me}", {"role": "staff"})):
        r = send(admin_client, "POST" if body is None else "PUT", path, body, admin_client.csrf)
        assert r.status_code == 409 and r.json["error"]["code"] == "cannot_change_self"
    taken = send(admin_client, "POST", "/staff", {"login": "li", "name": "又一个"},
                 admin_client.csrf)
    assert taken.status_code == 409 and taken.json["error"]["code"] == "login_taken"
    unknown = send(admin_client, "POST", "/staff/9999/unlock", None, admin_client.csrf)
    assert unknown.status_code == 404


@pytest.mark.parametrize("path", ["/admin/staff", "/admin/settings", "/admin/audit"])
def test_the_people_pages_are_for_admins_only(app, admin_client, login_as, path):
    anonymous = app.test_client().get(path)
    assert anonymous.status_code == 200 and b'id="login-form"' in anonymous.data
    supervisor = login_as("wang", "supervisor", "Wang")
    assert supervisor.get(path).status_code == 403
    page = admin_client.get(path)
    assert page.status_code == 200
    script = path.rsplit("/", 1)[1] + ".js"
    assert script.encode() in page.data and b"<script>" not in page.data
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_admin_adds_an_account_sees_its_password_once_and_finds_it_in_the_log(
        live_hall, ctx, browser, artifacts):
    from playwright.sync_api import expect

    server, _tokens, _post = live_hall
    page, errors = signed_in_page(browser, ctx, f"{server.url}/admin/staff?lang=en",
                                  role="admin", login="boss", name="管理员", width=1440,
                                  height=900)
    expect(page.locator("#nav-staff")).to_have_class("active")
    expect(page.locator("#staff tr[data-login=boss] .login")).to_contain_text("boss")
    page.fill("#new-login", "zhou")
    page.fill("#new-name", "周敏")
    page.fill("#new-number", "GA07")
    page.select_option("#new-role", "supervisor")
    page.click("#new-submit")

    dialog = page.locator("#password-dialog")
    expect(dialog).to_be_visible(timeout=SEEN)
    expect(page.locator("#password-login")).to_have_text("周敏 (zhou)")
    password = page.locator("#password-value").inner_text().strip()
    assert len(password) >= 16
    page.screenshot(path=artifacts / "staff-one-time-password.png", full_page=True)
    signin = requests.post(f"{server.url}/api/v1/auth/login", timeout=5,
                           json={"login": "zhou", "password": password})
    assert signin.status_code == 200 and signin.json()["staff"]["role"] == "supervisor"
    page.click("#password-close")
    expect(dialog).to_be_hidden()
    assert page.locator("#password-value").inner_text() == ""  # shown once, then gone
    row = page.locator("#staff tr[data-login=zhou]")
    expect(row.locator(".role")).to_have_text("Supervisor")
    expect(row.locator(".number")).to_have_text("GA07")
    page.screenshot(path=artifacts / "staff-en.png", full_page=True)

    page.click("#nav-audit")
    # (the server's first start made its own admin: that is in the log too)
    created = page.locator("#audit tr.entity-staff.action-create", has_text="zhou")
    expect(created).to_have_count(1, timeout=SEEN)
    expect(created.locator(".action")).to_have_text("Created")
    expect(created.locator(".subject")).to_contain_text("zhou")
    expect(created.locator(".changes")).to_contain_text(re.compile(r"role\s*Supervisor"))
    expect(created.locator(".changes")).to_contain_text("••••••")
    expect(created.locator(".actor")).to_contain_text("管理员")
    assert password not in page.content()
    page.select_option("#filter-entity", "hall")
    page.click("#filter-submit")
    expect(page.locator("#audit-empty")).to_be_visible(timeout=SEEN)
    page.goto(f"{server.url}/admin/audit?lang=zh_CN")
    expect(page.locator("#audit tr.entity-staff.action-create", has_text="zhou")
           ).to_have_count(1, timeout=SEEN)
    page.screenshot(path=artifacts / "audit-zh.png", full_page=True)
    assert errors == []


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_admin_edits_settings_and_notices_and_imports_a_layout_after_a_preview(
        live_hall, ctx, browser, artifacts, tmp_path):
    from playwright.sync_api import expect

    from hall.services.config.layout import exchange as layout

    server, _tokens, _post = live_hall
    page, errors = signed_in_page(browser, ctx, f"{server.url}/admin/settings?lang=en",
                                  role="admin", login="boss", name="管理员", width=1440,
                                  height=900)
    expect(page.locator("#f-code")).to_have_value("test", timeout=SEEN)
    expect(page.locator("#f-pause_reasons")).to_have_value("午休\n业务咨询\n系统故障")
    page.fill("#f-target_wait_minutes", "12")
    page.fill("#f-holidays", "2026-12-31\n")
    page.fill("#f-alerts-idle_minutes", "8")
    page.fill("#f-complaint_days", "3")  # issue 19's settings: complaints and ratings
    page.fill("#f-rating_dimensions", "礼仪\n效率\n")
    page.click("#hall-save")
    expect(page.locator("#ppl-message")).to_have_text("Saved", timeout=SEEN)
    settings = layout.export_layout(ctx, 1).hall
    assert settings.target_wait_minutes == 12 and str(settings.holidays[0]) == "2026-12-31"
    assert (settings.complaint_days, settings.rating_dimensions) == (3, ["礼仪", "效率"])
    assert settings.late_rating_days is None and settings.haocha_user_type is None  # blank
    assert settings.alerts.model_dump(exclude_none=True) == {"idle_minutes": 8}
    page.fill("#f-holidays", "31/12/2026")  # refused, and the field says so
    page.click("#hall-save")
    expect(page.locator("#hall-error")).to_contain_text("extra closed days", timeout=SEEN)
    expect(page.locator("#f-holidays")).to_have_attribute("aria-invalid", "true")

    page.click("#notice-add")
    page.locator("#notices textarea").last.fill("今日下午系统升级，暂停取号")
    with page.expect_response(lambda r: r.url.startswith(f"{server.url}{API}/notices")
                              and r.request.method == "PUT") as saved:
        page.click("#notices-save")
    assert saved.value.status == 200
    assert [n.text for n in layout.export_layout(ctx, 1).notices] == ["今日下午系统升级，暂停取号"]

    with page.expect_download() as download:
        page.click("#layout-export")
    exported = download.value.path().read_text(encoding="utf-8")
    assert download.value.suggested_filename == "test-layout.toml"
    assert layout.parse_toml(exported) == layout.export_layout(ctx, 1)
    changed = tmp_path / "changed.toml"
    changed.write_text(exported.replace('name = "税务申报"', 'name = "税务申报（综合）"'),
                       encoding="utf-8")
    page.set_input_files("#layout-file", str(changed))
    page.click("#layout-preview")
    services = page.locator("#layout-result [data-section=services]")
    expect(services.locator(".ppl-change")).to_contain_text("税务申报（综合）", timeout=SEEN)
    expect(page.locator("#layout-apply")).to_be_visible()
    page.screenshot(path=artifacts / "settings-preview-en.png", full_page=True)
    assert layout.export_layout(ctx, 1).services[2].name == "税务申报"  # a preview only
    page.click("#layout-apply")
    expect(page.locator("#layout-result")).to_have_attribute("data-dry-run", "false",
                                                             timeout=SEEN)
    expect(page.locator("#layout-apply")).to_be_hidden()
    assert layout.export_layout(ctx, 1).services[2].name == "税务申报（综合）"
    page.goto(f"{server.url}/admin/settings?lang=zh_CN")
    expect(page.locator("#f-target_wait_minutes")).to_have_value("12", timeout=SEEN)
    page.screenshot(path=artifacts / "settings-zh.png", full_page=True)
    assert errors == []


@pytest.mark.browser
@SQLITE_ONLY
def test_the_staff_page_sets_a_department_and_a_photo_and_leaves_others_as_they_are(
        live_hall, ctx, browser, artifacts):
    """Issue 20 §1 and §6 on the console: an admin moves 李娜 to 税务局 and gives her a
    photo; editing 王强 (no department yet) afterwards shows and keeps his own (none), not
    the department last chosen in the dialog; a photo that is no image is refused, naming
    it; the photo is removed again."""
    import io

    from PIL import Image
    from playwright.sync_api import expect
    from sqlalchemy import text

    server, _tokens, _post = live_hall
    page, errors = signed_in_page(browser, ctx, f"{server.url}/admin/staff", role="admin",
                                  login="boss", name="管理员", width=1440, height=900)
    li, wang = page.locator("#staff tr[data-login=li]"), page.locator("#staff tr[data-login=wang]")
    expect(li.locator(".department")).to_have_text("", timeout=SEEN)

    def departments() -> dict[str, str | None]:
        with ctx.engine.connect() as conn:
            return dict(conn.execute(text(
                "SELECT s.login, d.code FROM staff s LEFT JOIN departments d "
                "ON d.id = s.department_id WHERE s.login IN ('li', 'wang')")).all())

    png = io.BytesIO()
    Image.new("RGB", (300, 400), (20, 120, 200)).save(png, "PNG")
    li.locator("button.edit").click()
    page.select_option("#edit-department", "swj")
    page.set_input_files("#edit-photo-file", files=[
        {"name": "li.png", "mimeType": "image/png", "buffer": png.getvalue()}])
    page.click("#edit-form button[type=submit]")
    expect(page.locator("#edit-dialog")).to_be_hidden(timeout=SEEN)
    expect(li.locator(".department")).to_have_text("税务局", timeout=SEEN)
    assert departments() == {"li": "swj", "wang": None}

    wang.locator("button.edit").click()
    expect(page.locator("#edit-department")).to_have_value("")
    page.fill("#edit-name", "王强强")
    page.click("#edit-form button[type=submit]")
    expect(wang.locator(".name")).to_have_text("王强强", timeout=SEEN)
    assert departments() == {"li": "swj", "wang": None}

    li.locator("button.edit").click()
    expect(page.locator("#edit-department")).to_have_value("swj")
    expect(page.locator("#edit-photo")).to_be_visible()
    page.set_input_files("#edit-photo-file", files=[
        {"name": "li.png", "mimeType": "image/png", "buffer": b"<html>not a photo</html>"}])
    page.click("#edit-form button[type=submit]")
    expect(page.locator("#edit-error")).to_contain_text("JPEG", timeout=SEEN)
    page.screenshot(path=artifacts / "staff-edit-photo-refused.png")
    page.set_input_files("#edit-photo-file", files=[])
    page.click("#edit-photo-remove")
    expect(page.locator("#edit-photo")).to_be_hidden(timeout=SEEN)
    with ctx.engine.connect() as conn:
        assert conn.execute(text("SELECT photo FROM staff WHERE login = 'li'")).scalar() is None
    assert errors == []


@pytest.mark.browser
@SQLITE_ONLY
def test_the_settings_page_sets_the_rota_shifts_and_the_grace_period(live_hall, ctx, browser):
    """Issue 20 §2: the rota's shifts are the hall's own times, set on the settings page
    (one a line: code, name, start-end) with the minutes of grace before late and 缺岗."""
    from playwright.sync_api import expect

    from hall.services.config.layout import exchange as layout

    server, _tokens, _post = live_hall
    page, errors = signed_in_page(browser, ctx, f"{server.url}/admin/settings", role="admin",
                                  login="boss", name="管理员", width=1440, height=900)
    shifts = page.locator("#f-shifts")
    expect(page.locator("#f-code")).to_have_value("test", timeout=SEEN)
    expect(shifts).to_have_value("")
    assert "am 上午 09:00-12:00" in shifts.get_attribute("placeholder")  # the defaults
    shifts.fill("am 上午 8:30-12:00\npm 下午 14:00–17:30\n")
    page.fill("#f-attendance_grace_minutes", "10")
    page.click("#hall-save")
    expect(page.locator("#ppl-message")).to_have_text("已保存", timeout=SEEN)
    hall = layout.export_layout(ctx, 1).hall
    assert [(s.code, s.name, s.start, s.end) for s in hall.shifts] == [
        ("am", "上午", "08:30", "12:00"), ("pm", "下午", "14:00", "17:30")]
    assert hall.attendance_grace_minutes == 10
    page.reload()
    expect(shifts).to_have_value("am 上午 08:30-12:00\npm 下午 14:00-17:30", timeout=SEEN)

    shifts.fill("am 上午 12:00-09:00")  # ends before it starts: refused, the field marked
    page.click("#hall-save")
    expect(page.locator("#hall-error")).not_to_be_empty(timeout=SEEN)
    expect(shifts).to_have_attribute("aria-invalid", "true")
    shifts.fill("")  # empty: the defaults again
    page.click("#hall-save")
    expect(page.locator("#ppl-message")).to_have_text("已保存", timeout=SEEN)
    assert layout.export_layout(ctx, 1).hall.shifts is None
    assert errors == []
