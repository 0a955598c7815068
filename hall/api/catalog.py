"""The region's catalog and scheme in this hall (admins; DESIGN.md §8, issue 23 item 3):
what was received and adopted, what adopting the newest version would do, adopting it, the
fields where the hall's value and the region's differ (choose the region's or keep the
hall's), and adding a 事项 of the catalog as a service (closed, at no window)."""
from __future__ import annotations

from typing import Any, Literal

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from hall.api.schemas import ErrorResponse, Generic, Strict
from hall.services.config.layout.spec import CODE
from hall.services.region import adopt, adoption_view
from hall.web.auth import admins_only, current_actor
from hall.web.context import hall_context

api = APIBlueprint("catalog", __name__, url_prefix="/api/v1/catalog",
                   abp_tags=[Tag(name="catalog")],
                   abp_responses={"401": ErrorResponse, "403": ErrorResponse,
                                  "422": ErrorResponse})
api.before_request(admins_only)
SECURED = [{"session": []}]
REFUSALS = {"404": ErrorResponse, "409": ErrorResponse}


class AdoptBody(Strict):
    kind: Literal["catalog", "scheme"] = Field(description="the service catalog (事项) or "
                                                           "the assessment scheme")


class DecideBody(Strict):
    choice: Literal["region", "local"] = Field(description="take the region's value, or keep "
                                                           "the hall's")


class AddBody(Strict):
    code: str = Field(pattern=CODE, description="the 事项 code in the adopted catalog")
    prefix: str = Field(pattern=r"^[A-Z]{1,2}$", description="ticket letter(s), e.g. G")
    expected_visit_minutes: int = Field(default=10, ge=1, le=480)
    time_limit_minutes: int = Field(default=20, ge=1, le=480)


class ConflictPath(BaseModel):
    conflict_id: int = Field(ge=1, le=2**31 - 1)


class StatusOut(Generic):
    """Per kind (``catalog``, ``scheme``): ``received`` and ``adopted`` versions, ``pending``
    (what adopting the newest would do: ``updates``, ``conflicts``, ``new_services``), the open
    ``conflicts`` (id, entity, field, region, local) and the ``addable`` 事项."""


class AdoptOut(BaseModel):
    kind: str
    version: int
    updated: list[dict[str, Any]] = Field(description="(entity, field) taken from the region")
    conflicts: int = Field(description="fields waiting for the admin's choice")
    new_services: list[str] = Field(description="事项 the hall has no service for")


class DecisionOut(BaseModel):
    id: int
    kind: str
    entity: str
    field: str
    region: Any = None
    local: Any = None
    choice: str


class AddedOut(BaseModel):
    id: int
    code: str
    active: bool


@api.get("", responses={"200": StatusOut}, security=SECURED)
def status():
    return adoption_view.status(hall_context(), actor=current_actor())


@api.post("/adopt", responses={"200": AdoptOut, **REFUSALS}, security=SECURED)
def adopt_newest(body: AdoptBody):
    actor = current_actor()
    return adopt.adopt(hall_context(), actor=actor, hall_id=actor.hall_id, kind=body.kind).value


@api.post("/conflicts/<int:conflict_id>", responses={"200": DecisionOut, **REFUSALS},
          security=SECURED)
def decide(path: ConflictPath, body: DecideBody):
    return adopt.decide(hall_context(), actor=current_actor(), conflict_id=path.conflict_id,
                        choice=body.choice).value


@api.post("/services", responses={"201": AddedOut, **REFUSALS}, security=SECURED)
def add_service(body: AddBody):
    return adopt.add_service(hall_context(), actor=current_actor(), code=body.code,
                             prefix=body.prefix,
                             expected_visit_minutes=body.expected_visit_minutes,
                             time_limit_minutes=body.time_limit_minutes).value, 201
