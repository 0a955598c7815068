"""The shell shared by the supervision pages (board, reports, bulletin, cases): who may see
them, the navigation, the security headers, the language switch.

Pages are thin: ``supervisor_page()`` gives the signed-in supervisor or admin, or the page
to show instead (a sign-in form without a session, the form replacing a one-time password
while the session signed in with one, a 403 page for other staff); ``render``
adds the shell's values and headers. Scripts are static files that read their data from
``data-*`` attributes and the JSON API, so the Content-Security-Policy allows no inline
script at all.
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, render_template, request, session, url_for
from flask_babel import gettext, lazy_gettext

from hall.domain.access import Actor
from hall.domain.passwords import MIN_LENGTH
from hall.services.config import accounts
from hall.web.context import hall_context
from hall.web.pages import fresh, page_context

SUPERVISORS = ("supervisor", "admin")
ADMINS = ("admin",)
STAFF = ("staff", "supervisor", "admin")
# (key, path, label, roles): the pages of the admin area, in the order of the navigation
# bar; a page is listed only for the roles that may open it
NAV = (
    ("board", "/admin/board", lazy_gettext("Board"), SUPERVISORS),
    ("reports", "/admin/reports", lazy_gettext("Reports"), SUPERVISORS),
    ("bulletin", "/admin/reports/bulletin", lazy_gettext("Monthly bulletin"), SUPERVISORS),
    ("cases", "/admin/cases", lazy_gettext("Cases"), SUPERVISORS),
    ("followups", "/admin/followups", lazy_gettext("Follow-ups"), SUPERVISORS),
    ("complaints", "/admin/complaints", lazy_gettext("Complaints"), SUPERVISORS),
    ("exchange", "/admin/exchange", lazy_gettext("Rating exchange"), SUPERVISORS),
    ("devices", "/admin/devices", lazy_gettext("Devices"), SUPERVISORS),
    ("rota", "/admin/rota", lazy_gettext("Rota"), SUPERVISORS),
    ("leave", "/admin/leave", lazy_gettext("Leave"), SUPERVISORS),
    ("attendance", "/admin/attendance", lazy_gettext("Attendance"), SUPERVISORS),
    ("desk", "/admin/desk", lazy_gettext("First-contact desk"), STAFF),
    ("console", "/admin/", lazy_gettext("Configuration"), ADMINS),
    ("staff", "/admin/staff", lazy_gettext("Staff"), ADMINS),
    ("settings", "/admin/settings", lazy_gettext("Hall settings"), ADMINS),
    ("catalog", "/admin/catalog", lazy_gettext("Region catalog"), ADMINS),
    ("audit", "/admin/audit", lazy_gettext("Audit log"), ADMINS),
)


def secure(response, status: int = 200):
    return fresh(response, status)


def remember_language() -> None:
    """``?lang=en`` on any admin page sticks for the session, so the navigation keeps it."""
    wanted = request.args.get("lang")
    if wanted and wanted in current_app.config["LANGUAGES"]:
        session["lang"] = wanted


def render(template: str, *, actor: Actor | None, active: str = "", status: int = 200,
           **values):
    context = page_context(actor.hall_id if actor is not None else None)
    other = "zh_CN" if context["locale"].startswith("en") else "en"
    switch = urlencode({**request.args.to_dict(), "lang": other})
    nav = [(key, path, label) for key, path, label, roles in NAV
           if actor is not None and actor.role in roles and not actor.must_change_password]
    return secure(render_template(template, actor=actor, active=active, nav=nav,
                                  switch_url=f"{request.path}?{switch}", switch_to=other,
                                  **context, **values), status)


def supervisor_page() -> tuple[Actor | None, object | None]:
    """(actor, None) for a signed-in supervisor or admin; else (None, the page to show)."""
    return _page_for(SUPERVISORS, gettext("Supervisors only"),
                     gettext("These pages are for supervisors. Sign in with a supervisor "
                             "account."))


def staff_page() -> tuple[Actor | None, object | None]:
    """(actor, None) for any signed-in staff member (the first-contact desk); else (None,
    the sign-in form or the form replacing a one-time password)."""
    return _page_for(STAFF, gettext("Staff only"), gettext("Sign in with a staff account."))


def admin_page() -> tuple[Actor | None, object | None]:
    """(actor, None) for a signed-in admin; else (None, the page to show): the hall's
    configuration is for admins only, supervisors included are refused."""
    return _page_for(ADMINS, gettext("Administrators only"),
                     gettext("These pages change the hall's configuration. Sign in with an "
                             "administrator account."))


def _page_for(roles: tuple[str, ...], title: str, detail: str
              ) -> tuple[Actor | None, object | None]:
    remember_language()
    staff_id = session.get("staff_id")
    actor = accounts.staff_actor(hall_context(), staff_id) if staff_id is not None else None
    if actor is None:
        return None, render("admin/login.html", actor=None, status=200)
    if actor.must_change_password:
        return None, password_form(actor)
    if actor.role not in roles:
        return None, error_page(actor, 403, title, detail)
    return actor, None


def password_form(actor: Actor):
    """The change-password form: asked for from the header's link, or shown instead of any
    console page while the session's password is a one-time one (the page itself is shown
    once it is replaced)."""
    forced = actor.must_change_password
    asked = url_for(request.endpoint, **request.view_args, **request.args) if forced else ""
    return render("admin/password.html", actor=actor, active="password", forced=forced,
                  min_length=MIN_LENGTH, next_url=asked)


def error_page(actor: Actor | None, status: int, title: str, detail: str):
    return render("admin/error.html", actor=actor, status=status, title=title, detail=detail)
