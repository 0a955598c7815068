"""Supervisor page for bad-review follow-ups (差评整改): /admin/followups.

The page is a shell; its script reads and changes follow-ups through /api/v1/followups with
the staff session and the CSRF token in a meta tag, and reloads the list when a
``followup.*`` event arrives in the hall's room. The admin shell (admin/pages.py) shows
the sign-in form without a session and refuses staff who are not supervisors.
"""
from __future__ import annotations

from flask_babel import gettext

from admin.blueprint import bp
from admin.pages import render, supervisor_page
from hall.services.ratings import rating as ratings


@bp.get("/followups")
def followups_page():
    actor, refusal = supervisor_page()
    if refusal is not None:
        return refusal
    levels = {level: gettext(label) for level, label in ratings.LEVELS.items()}
    return render("admin/followups.html", actor=actor, active="followups", levels=levels)
