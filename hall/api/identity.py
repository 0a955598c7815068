"""Who is calling: a device (Bearer token) or a staff member (session cookie + CSRF).

CSRF applies to cookie-authenticated state changes only: a bearer token is not sent by
browsers on their own, so it cannot be forged cross-site.
"""
from __future__ import annotations

from flask import g, request, session

from hall.app import hall_context
from hall.domain.access import Actor
from hall.domain.errors import DomainError, Forbidden
from hall.domain.i18n import N_
from hall.extensions import csrf
from hall.services import accounts

SAFE = ("GET", "HEAD", "OPTIONS")


def current_actor(required: bool = True) -> Actor | None:
    if "actor" in g:
        return g.actor
    actor = _resolve()
    if actor is None and required:
        raise DomainError("unauthenticated", N_("Sign in or present a device token"),
                          "authorization")
    g.actor = actor
    return actor


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
    staff_id = session.get("staff_id")
    if staff_id is None:
        return None
    if request.method not in SAFE:
        csrf.protect()
    return accounts.staff_actor(ctx, staff_id)


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
