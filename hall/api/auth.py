"""Staff sign-in and sign-out (session cookie; the CSRF token is returned for writes)."""
from __future__ import annotations

from flask import session
from flask_openapi3 import APIBlueprint, Tag
from flask_wtf.csrf import generate_csrf

from hall.api.identity import current_actor
from hall.api.schemas import ErrorResponse, Generic, LoginBody
from hall.app import hall_context
from hall.services import accounts

api = APIBlueprint("auth", __name__, url_prefix="/api/v1/auth",
                   abp_tags=[Tag(name="auth")], abp_responses={"401": ErrorResponse})


@api.post("/login", responses={"200": Generic})
def login(body: LoginBody):
    actor = accounts.authenticate(hall_context(), body.login, body.password)
    session.clear()
    session.permanent = True
    session["staff_id"] = actor.id
    return {"staff": {"id": actor.id, "name": actor.label, "role": actor.role},
            "csrf_token": generate_csrf()}


@api.post("/logout", responses={"200": Generic})
def logout():
    current_actor(required=False)  # CSRF-checks a cookie session before ending it
    session.clear()
    return {"ok": True}


@api.get("/me", responses={"200": Generic}, security=[{"session": []}, {"device": []}])
def me():
    actor = current_actor()
    return {"kind": actor.kind, "id": actor.id, "role": actor.role, "name": actor.label,
            "counter_id": actor.counter_id, "hall_id": actor.hall_id,
            "csrf_token": generate_csrf() if actor.is_staff else None}
