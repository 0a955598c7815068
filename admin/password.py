"""修改密码 /admin/password: any signed-in staff member changes their own password (the
header's link). The same form replaces every console page while the session signed in with
a one-time password (admin/pages.py); the script is the shared /web/static/password.js."""
from __future__ import annotations

from admin.blueprint import bp
from admin.pages import password_form, remember_language, render
from hall.web.auth import session_staff


@bp.get("/password")
def password_page():
    remember_language()
    actor = session_staff()
    if actor is None:
        return render("admin/login.html", actor=None)
    return password_form(actor)
