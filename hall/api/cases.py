"""办件 management for staff: list by service/state/urgency, start, finish or return."""
from __future__ import annotations

from typing import Literal

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from hall.api.identity import current_actor
from hall.api.schemas import ErrorResponse, Generic
from hall.app import hall_context
from hall.domain.errors import Forbidden
from hall.domain.i18n import N_
from hall.services import cases

api = APIBlueprint("cases", __name__, url_prefix="/api/v1/cases", abp_tags=[Tag(name="cases")],
                   abp_responses={"401": ErrorResponse, "403": ErrorResponse,
                                  "404": ErrorResponse, "409": ErrorResponse,
                                  "422": ErrorResponse})
SESSION = [{"session": []}]


class CaseListQuery(BaseModel):
    service_id: int | None = Field(default=None, ge=1)
    state: Literal["accepted", "in_progress", "done", "returned"] | None = None
    urgency: Literal["normal", "yellow", "red"] | None = None
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


class CaseActionPath(BaseModel):
    number: str = Field(min_length=3, max_length=40)
    action: Literal["start", "finish", "return"]


class CaseActionBody(BaseModel):
    note: str | None = Field(default=None, max_length=500)


def _staff():
    actor = current_actor()
    if not actor.is_staff:
        raise Forbidden(N_("Only staff update cases"), "authorization")
    return actor


@api.get("", responses={"200": Generic}, security=SESSION)
def list_cases(query: CaseListQuery):
    actor = _staff()
    return cases.list_cases(hall_context(), hall_id=actor.hall_id, **query.model_dump())


@api.post("/<number>/<action>", responses={"200": Generic}, security=SESSION)
def act(path: CaseActionPath, body: CaseActionBody):
    actor = _staff()
    return cases.act(hall_context(), hall_id=actor.hall_id, number=path.number,
                     action=path.action, actor=actor, note=body.note).value
