"""配置管理 /admin/: departments, services and their guides, counters (admins only).

The page is a shell with the forms; its scripts read and change the configuration through
/api/v1/config with the staff session and the CSRF token from the meta tag, and show each
refusal next to the field the API names. The admin shell (admin/pages.py) shows the sign-in
form without a session and refuses anyone who is not an administrator.
"""
from __future__ import annotations

from admin.blueprint import bp
from admin.pages import admin_page, render


@bp.get("/")
def console_page():
    actor, refusal = admin_page()
    if refusal is not None:
        return refusal
    return render("admin/console.html", actor=actor, active="console")
