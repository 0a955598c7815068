"""Bad-review follow-ups (差评整改) for supervisors: list, read, assign, record, close.

Staff session + CSRF header (X-CSRFToken) on writes; the service layer refuses anyone but a
supervisor or admin (an owner may also record actions).
"""
from __future__ import annotations

from typing import Literal

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from hall.api.schemas import BigId, ErrorResponse, Id, Strict
from hall.services.ratings import followups
from hall.web.auth import current_actor
from hall.web.context import hall_context

api = APIBlueprint("followups", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="followups")],
                   abp_responses={"401": ErrorResponse, "403": ErrorResponse,
                                  "404": ErrorResponse, "409": ErrorResponse,
                                  "422": ErrorResponse})
SECURED = [{"session": []}]


class FollowUpPath(BaseModel):
    followup_id: BigId


class FollowUpQuery(BaseModel):
    state: Literal["active", "all", "open", "assigned", "closed"] = "active"
    overdue: bool | None = None
    limit: int = Field(default=200, ge=1, le=1000)


class AssignBody(Strict):
    owner_id: Id


class ActionBody(Strict):
    text: str = Field(min_length=1, max_length=2000)


RevisitAnswer = Literal["satisfied", "unsatisfied", "unreachable"]


class CloseBody(Strict):
    result: str = Field(min_length=1, max_length=2000)
    revisit: RevisitAnswer | None = Field(
        default=None, description="the visitor's answer at the revisit (回访), unless one is "
        "on record already: a follow-up closes only with a revisit")
    revisit_note: str | None = Field(default=None, max_length=2000)


class RevisitBody(Strict):
    answer: RevisitAnswer
    note: str | None = Field(default=None, max_length=2000,
                             description="what the visitor was told and said")


class FollowUpOut(BaseModel):
    id: int
    hall_id: int
    ticket_id: int
    ticket_number: str | None
    counter_id: int | None
    counter_number: int | None
    counter_name: str | None
    staff_id: int | None
    staff_name: str | None
    staff_number: str
    level: int = Field(description="the rating that opened it")
    reason: str | None
    comment: str | None
    rated_at: str | None
    owner_id: int | None
    owner_name: str | None
    opened_at: str
    due_date: str
    state: Literal["open", "assigned", "closed"]
    overdue: bool
    actions: list[dict] = Field(description="what was done, oldest first")
    result: str | None
    closed_at: str | None
    closed_by: int | None
    closed_by_name: str | None
    revisit: dict | None = Field(description="回访: answer, note, at, by")


class FollowUpsOut(BaseModel):
    today: str
    state: str = Field(description="the filter applied")
    last_seq: int
    followups: list[FollowUpOut]


class Owner(BaseModel):
    id: int
    name: str
    number: str | None
    role: str


class OwnersOut(BaseModel):
    owners: list[Owner]


@api.get("/followups", responses={"200": FollowUpsOut}, security=SECURED)
def index(query: FollowUpQuery):
    return followups.list_followups(hall_context(), actor=current_actor(), state=query.state,
                                    overdue=query.overdue, limit=query.limit)


@api.get("/followups/owners", responses={"200": OwnersOut}, security=SECURED)
def owner_choices():
    return {"owners": followups.owners(hall_context(), actor=current_actor())}


@api.get("/followups/<int:followup_id>", responses={"200": FollowUpOut},
         security=SECURED)
def show(path: FollowUpPath):
    return followups.get_followup(hall_context(), actor=current_actor(),
                                  followup_id=path.followup_id)


@api.post("/followups/<int:followup_id>/assign", responses={"200": FollowUpOut},
          security=SECURED)
def assign(path: FollowUpPath, body: AssignBody):
    return followups.assign(
        hall_context(), actor=current_actor(), followup_id=path.followup_id,
        owner_id=body.owner_id).value


@api.post("/followups/<int:followup_id>/actions", responses={"200": FollowUpOut},
          security=SECURED)
def record_action(path: FollowUpPath, body: ActionBody):
    return followups.record_action(
        hall_context(), actor=current_actor(), followup_id=path.followup_id,
        text=body.text).value


@api.post("/followups/<int:followup_id>/revisit", responses={"200": FollowUpOut},
          security=SECURED)
def revisit(path: FollowUpPath, body: RevisitBody):
    return followups.record_revisit(
        hall_context(), actor=current_actor(), followup_id=path.followup_id,
        answer=body.answer, note=body.note).value


@api.post("/followups/<int:followup_id>/close", responses={"200": FollowUpOut},
          security=SECURED)
def close(path: FollowUpPath, body: CloseBody):
    return followups.close(
        hall_context(), actor=current_actor(), followup_id=path.followup_id,
        result=body.result, revisit=body.revisit, revisit_note=body.revisit_note).value

