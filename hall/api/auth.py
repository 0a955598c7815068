"""Staff sign-in and sign-out (session cookie; the CSRF token is returned for writes).

Sessions and how they end: hall/web/auth.py. Repeated failures lock the login name at the
address they come from with a growing lock (hall/services/config/accounts.py, answered 409
``locked``), never the account for everyone; an unknown login and a wrong password answer
alike (401 ``bad_credentials``). Sign-ins are also rate limited per address and per login
and address (hall/web/security.py, answered 429 ``rate_limited``).
A one-time password must be replaced (``POST /password``) before the session may do
anything else: every other endpoint answers 403 ``password_change_required``.
"""
from __future__ import annotations

from flask import request
from flask_openapi3 import APIBlueprint, Tag
from flask_wtf.csrf import generate_csrf
from pydantic import BaseModel, Field

from hall.api.schemas import ErrorResponse, Generic, LoginBody, LogoutQuery, PasswordBody
from hall.domain.errors import Forbidden
from hall.domain.i18n import N_
from hall.services.config import accounts, passwords
from hall.services.counters import signout
from hall.web.auth import (
    current_actor,
    end_session,
    renew_session,
    session_id,
    start_session,
)
from hall.web.context import hall_context

api = APIBlueprint("auth", __name__, url_prefix="/api/v1/auth",
                   abp_tags=[Tag(name="auth")], abp_responses={"401": ErrorResponse})


class PasswordChanged(BaseModel):
    ok: bool
    must_change_password: bool = Field(description="always false once changed")


@api.post("/login", responses={"200": Generic, "409": ErrorResponse, "429": ErrorResponse})
def login(body: LoginBody):
    signed = accounts.sign_in(hall_context(), body.login, body.password, request.remote_addr)
    start_session(signed)
    actor = signed.actor
    return {"staff": {"id": actor.id, "name": actor.label, "role": actor.role},
            "must_change_password": actor.must_change_password,
            "csrf_token": generate_csrf()}


@api.post("/logout", responses={"200": Generic, "403": ErrorResponse, "409": ErrorResponse})
def logout(query: LogoutQuery):
    """End this session; a copy of its cookie is refused from now on too. The window it
    signed in at closes (the board, screens and LED signs follow). With a visitor called or
    served there: 409 ``counter_busy`` naming the ticket, unless ``?then=`` is ``skip`` or
    ``hold`` (hall/services/counters/signout.py)."""
    actor = current_actor(required=False)  # CSRF-checks a cookie session before ending it
    if actor is not None and actor.is_staff:
        signout.sign_out(hall_context(), actor=actor, sid=session_id(), then=query.then)
    end_session()
    return {"ok": True}


@api.post("/sign-out-everywhere", responses={"200": Generic, "403": ErrorResponse},
          security=[{"session": []}])
def sign_out_everywhere():
    """End every session of the signed-in account, in every browser and terminal (after a
    lost or shared password, say)."""
    actor = current_actor()
    if not actor.is_staff:
        raise Forbidden(N_("Only a signed-in staff member signs out"), "authorization")
    accounts.sign_out_everywhere(hall_context(), actor.id)
    end_session()
    return {"ok": True}


@api.post("/password", security=[{"session": []}], responses={
    "200": PasswordChanged, "403": ErrorResponse, "409": ErrorResponse,
    "422": ErrorResponse, "429": ErrorResponse})
def password(body: PasswordBody):
    """Change one's own password.

    A one-time password must be changed before anything else. The current password is
    asked again; a wrong one (422 ``wrong_password``, field
    ``current``) counts toward the sign-in lock (409 ``locked``). The new one must pass the
    password policy (422, field ``new``, a code per rule). Every other session of the
    account ends; this one stays signed in."""
    actor = current_actor()
    done = passwords.change_own_password(hall_context(), actor, body.current, body.new,
                                         ip=request.remote_addr, session=session_id())
    renew_session(done["auth_version"])
    return {"ok": True, "must_change_password": False}


@api.get("/me", responses={"200": Generic}, security=[{"session": []}, {"device": []}])
def me():
    actor = current_actor()
    return {"kind": actor.kind, "id": actor.id, "role": actor.role, "name": actor.label,
            "counter_id": actor.counter_id, "hall_id": actor.hall_id,
            "must_change_password": actor.must_change_password,
            "csrf_token": generate_csrf() if actor.is_staff else None}
