"""Who is calling: a device (Bearer token) or a staff member (session cookie + CSRF).

CSRF applies to cookie-authenticated state changes only: a bearer token is not sent by
browsers on their own, so it cannot be forged cross-site.
"""
from __future__ import annotations

from flask import g, request, session

from hall.app import hall_context
from hall.domain.access import Actor
from hall.domain.errors import DomainError
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
