"""Who is calling: a device (Bearer token) or a staff member (session cookie + CSRF).

CSRF applies to cookie-authenticated state changes only: a bearer token is not sent by
browsers on their own, so it cannot be forged cross-site.

A staff session (a signed cookie) carries the account's ``auth_version`` at sign-in, a random
id, and when it was signed in and last used. It ends at the absolute lifetime
(PERMANENT_SESSION_LIFETIME), after SESSION_IDLE_MINUTES without a request, at a logout (its
id is remembered as ended, hall/web/security.py), and everywhere at once when the account's
version moves on (password reset, role change, deactivation, "sign out everywhere", a
password change made in another session). A session signed in with a one-time password
may do nothing but replace it (``password_gate``; pages show the form instead).
Times come from the hall's clock, which tests move.

A session that ends closes the window it signed in at (hall/services/counters/signout.py):
a request arriving on an ended session closes it here; the session bound to a window writes
when it was last used (at most once a minute, with the cookie) so that the watch closes the
window of a session that idles out with nobody there to send a request.
"""
from __future__ import annotations

import secrets

from flask import current_app, g, request, session

from hall.domain.access import Actor
from hall.domain.errors import DomainError, Forbidden
from hall.domain.i18n import N_
from hall.extensions import csrf
from hall.services.config import accounts
from hall.services.counters import signout
from hall.web.context import hall_context

SAFE = ("GET", "HEAD", "OPTIONS")
TOUCH_EVERY = 60  # seconds: how stale "last used" may get before the cookie is rewritten
FILES = ("static", ".vendor")  # endpoints that only serve files
# what a session that must replace its one-time password may still call
WHILE_PASSWORD_DUE = frozenset({"auth.login", "auth.logout", "auth.me", "auth.password"})


def current_actor(required: bool = True) -> Actor | None:
    if "actor" not in g:
        g.actor = _resolve()
    if g.actor is None and required:  # nobody, even if an earlier look found it allowed
        raise DomainError("unauthenticated", N_("Sign in or present a device token"),
                          "authorization")
    return g.actor


def _resolve() -> Actor | None:
    ctx = hall_context()
    auth = request.headers.get("Authorization", "")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise DomainError("unauthenticated", N_("Use: Authorization: Bearer <token>"),
                              "authorization")
        actor = accounts.device_actor(ctx, token.strip())
        if actor is None:
            raise DomainError("unauthenticated", N_("Unknown or revoked device token"),
                              "authorization")
        return actor
    if session.get("staff_id") is None:
        return None
    if request.method not in SAFE:
        csrf.protect()
    return session_staff()


def require_staff(*roles: str) -> Actor:
    """The signed-in staff member if their role is one of ``roles``; 401/403 otherwise."""
    actor = current_actor()
    if not (actor.is_staff and actor.role in roles):
        raise Forbidden(N_("Your role may not do this"), "authorization")
    return actor


def admins_only() -> None:
    """``before_request`` of the configuration blueprints: the role is checked (and a
    cookie session's CSRF token) before the body is validated, so a refused caller learns
    nothing about the endpoint's schema."""
    if request.method != "OPTIONS":
        require_staff("admin")


def password_gate() -> None:
    """``before_request`` of the API: a session signed in with a one-time password gets 403
    ``password_change_required`` (field ``password``) from every endpoint but sign-in,
    sign-out, "who am I" and the change itself. A device's token is not a session: it is
    not held back by anyone's password."""
    if (not request.path.startswith("/api/") or request.blueprint == "openapi"
            or request.endpoint in WHILE_PASSWORD_DUE or request.method == "OPTIONS"
            or request.headers.get("Authorization") or session.get("staff_id") is None):
        return
    actor = session_staff()
    if actor is not None and actor.must_change_password:
        raise DomainError("password_change_required",
                          N_("Replace your one-time password first"), "password")


# --- the staff session -------------------------------------------------------------------

def start_session(signed: accounts.SignIn) -> None:
    session.clear()  # nothing of an earlier session (or a planted one) carries over
    session.permanent = True
    now = _now()
    session.update(staff_id=signed.actor.id, auth_version=signed.auth_version,
                   sid=secrets.token_urlsafe(16), signed_in_at=now, seen_at=now)


def renew_session(auth_version: int) -> None:
    """After a password change made in this session: it carries on under the account's new
    version (with a new id), while every other session, still on the old one, has ended."""
    old, new = session.get("sid"), secrets.token_urlsafe(16)
    session.update(auth_version=auth_version, sid=new, seen_at=_now())
    g.pop("session_staff", None)
    staff_id = session.get("staff_id")
    if isinstance(old, str) and isinstance(staff_id, int):
        ctx = hall_context()
        signout.touch(ctx, staff_id=staff_id, sid=old, new_sid=new)  # the window stays
        signout.session_ended(ctx, staff_id=staff_id, other_than=new)  # the others' close


def session_id() -> str | None:
    """The random id of this request's staff session (the window it signs in at is bound
    to it), None without one."""
    sid = session.get("sid")
    return sid if isinstance(sid, str) else None


def end_session() -> None:
    """Log out: forget the cookie here, and remember its id as ended so that a copy of it
    is refused too."""
    sid, signed_in = session.get("sid"), session.get("signed_in_at")
    if isinstance(sid, str) and isinstance(signed_in, (int, float)):
        left = signed_in + _lifetime() - _now()
        if left > 0:
            current_app.extensions["hall_sessions"].end(sid, left)
    session.clear()


def session_staff() -> Actor | None:
    """The staff member of this request's session cookie, or None — and the cookie
    cleared — when the session has expired, idled out, ended, or its account's version
    moved on. Works in HTTP requests and in Socket.IO handlers alike."""
    if "session_staff" not in g:
        g.session_staff = _check_session_cookie()
    return g.session_staff


def check_session() -> None:
    """``before_request``: a stale session is dropped before any view or page reads it
    (files — scripts, styles, fonts — need no account, so no look-up)."""
    if session.get("staff_id") is not None and not (request.endpoint or "").endswith(FILES):
        session_staff()


def _check_session_cookie() -> Actor | None:
    staff_id = session.get("staff_id")
    if staff_id is None:
        return None
    now = _now()
    signed_in, seen = session.get("signed_in_at"), session.get("seen_at")
    version, sid = session.get("auth_version"), session.get("sid")
    actor = None
    if (isinstance(signed_in, (int, float)) and isinstance(seen, (int, float))
            and isinstance(version, int) and isinstance(sid, str)
            and now - signed_in < _lifetime()
            and now - seen < current_app.config["SESSION_IDLE_MINUTES"] * 60
            and not current_app.extensions["hall_sessions"].ended(sid)):
        actor = accounts.staff_actor(hall_context(), staff_id, version)
    if actor is None:
        session.clear()
        if isinstance(sid, str) and isinstance(staff_id, int):
            signout.session_ended(hall_context(), staff_id=staff_id, sid=sid)
        return None
    if now - seen >= TOUCH_EVERY:
        session["seen_at"] = now
        if actor.counter_id is not None:
            signout.touch(hall_context(), staff_id=staff_id, sid=sid)
    return actor


def _now() -> float:
    return hall_context().clock.now().timestamp()


def _lifetime() -> float:
    return current_app.permanent_session_lifetime.total_seconds()
