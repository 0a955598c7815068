"""Supervisor page for bad-review follow-ups (差评整改): /admin/followups.

The page is a shell; its script reads and changes follow-ups through /api/v1/followups with
the staff session and the CSRF token in a meta tag, and reloads the list when a
``followup.*`` event arrives in the hall's room. Without a session it shows a sign-in form;
a staff member who is not a supervisor is refused.
"""
from __future__ import annotations

from flask import make_response, render_template, session
from flask_babel import gettext

from admin import bp
from display.views import page_context
from hall.app import hall_context
from hall.services import accounts, ratings

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self' ws: wss:; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
SUPERVISORS = ("supervisor", "admin")


def _secure(response, status: int = 200):
    response = make_response(response, status)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/followups")
def followups_page():
    staff_id = session.get("staff_id")
    actor = accounts.staff_actor(hall_context(), staff_id) if staff_id is not None else None
    if actor is None:
        return _secure(render_template("admin/followups_login.html", **page_context()))
    if actor.role not in SUPERVISORS:
        return _secure(render_template(
            "admin/followups_error.html", title=gettext("Supervisors only"),
            detail=gettext("Bad-review follow-ups are handled by supervisors. Sign in with "
                           "a supervisor account."), **page_context()), 403)
    levels = {level: gettext(label) for level, label in ratings.LEVELS.items()}
    return _secure(render_template("admin/followups.html", actor=actor, levels=levels,
                                   **page_context()))
