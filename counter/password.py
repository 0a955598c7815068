"""修改密码 at the window: /counter/password (the terminal header's link), and the same form
instead of the terminal while the session signed in with a one-time password. The form and
its script are the ones every room shares (web/password_form.html, /web/static/password.js).
"""
from __future__ import annotations

from flask import redirect, render_template, request, url_for

from counter.blueprint import bp
from hall.domain.access import Actor
from hall.domain.passwords import MIN_LENGTH
from hall.web.auth import session_staff
from hall.web.pages import fresh, page_context


def password_form(actor: Actor):
    """The change-password page; with a one-time password it leads on to the terminal."""
    forced = actor.must_change_password
    terminal = url_for("counter.terminal", **request.args) if forced else ""
    return fresh(render_template("counter/password.html", actor=actor, forced=forced,
                                 min_length=MIN_LENGTH, next_url=terminal,
                                 **page_context()))


def one_time_password_form():
    """What /counter shows instead of the terminal: the form, while the session signed in
    with a one-time password (its every API call is refused until then); else None."""
    actor = session_staff()
    return password_form(actor) if actor is not None and actor.must_change_password else None


@bp.get("/counter/password")
def password_page():
    actor = session_staff()
    if actor is None:  # the terminal has the sign-in form
        return redirect(url_for("counter.terminal"))
    return password_form(actor)
