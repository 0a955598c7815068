"""Bad-review follow-ups (差评整改) for supervisors: list, read, assign, record, close.

Staff session + CSRF header (X-CSRFToken) on writes; the service layer refuses anyone but a
supervisor or admin (an owner may also record actions).
"""
from __future__ import annotations

from typing import Literal

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ConfigDict, Field

from hall.api.errors import error_response, translate
from hall.api.identity import current_actor
from hall.api.schemas import ErrorResponse, Generic
from hall.app import hall_context
from hall.domain.errors import DomainError
from hall.services import followups

api = APIBlueprint("followups", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="followups")],
                   abp_responses={"401": ErrorResponse, "403": ErrorResponse,
                                  "404": ErrorResponse, "409": ErrorResponse,
                                  "422": ErrorResponse})
SECURED = [{"session": []}]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FollowUpPath(BaseModel):
    followup_id: int = Field(ge=1)


class FollowUpQuery(BaseModel):
    state: Literal["active", "all", "open", "assigned", "closed"] = "active"
    overdue: bool | None = None
    limit: int = Field(default=200, ge=1, le=1000)


class AssignBody(Strict):
    owner_id: int = Field(ge=1)


class ActionBody(Strict):
    text: str = Field(min_length=1, max_length=2000)


class CloseBody(Strict):
    result: str = Field(min_length=1, max_length=2000)


def _closed_is_conflict(fn):
    """A closed follow-up refuses changes with 409 (like a rated ticket)."""
    try:
        return fn()
    except DomainError as err:
        if err.code == "followup_closed":
            return error_response(409, err.code, translate(err), err.field)
        raise


@api.get("/followups", responses={"200": Generic}, security=SECURED)
def index(query: FollowUpQuery):
    return followups.list_followups(hall_context(), actor=current_actor(), state=query.state,
                                    overdue=query.overdue, limit=query.limit)


@api.get("/followups/owners", responses={"200": Generic}, security=SECURED)
def owner_choices():
    return {"owners": followups.owners(hall_context(), actor=current_actor())}


@api.get("/followups/<int:followup_id>", responses={"200": Generic}, security=SECURED)
def show(path: FollowUpPath):
    return followups.get_followup(hall_context(), actor=current_actor(),
                                  followup_id=path.followup_id)


@api.post("/followups/<int:followup_id>/assign", responses={"200": Generic}, security=SECURED)
def assign(path: FollowUpPath, body: AssignBody):
    return _closed_is_conflict(lambda: followups.assign(
        hall_context(), actor=current_actor(), followup_id=path.followup_id,
        owner_id=body.owner_id).value)


@api.post("/followups/<int:followup_id>/actions", responses={"200": Generic}, security=SECURED)
def record_action(path: FollowUpPath, body: ActionBody):
    return _closed_is_conflict(lambda: followups.record_action(
        hall_context(), actor=current_actor(), followup_id=path.followup_id,
        text=body.text).value)


@api.post("/followups/<int:followup_id>/close", responses={"200": Generic}, security=SECURED)
def close(path: FollowUpPath, body: CloseBody):
    return _closed_is_conflict(lambda: followups.close(
        hall_context(), actor=current_actor(), followup_id=path.followup_id,
        result=body.result).value)

