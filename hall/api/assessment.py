"""The hall's 日考核 scheme over HTTP (supervisors and admins): the points in force and each
version, and a new version from a day on (today by default, never a past day, so scores
already published never change). The scores themselves are in the reports (grouped by
staff or window) and the 月通报."""
from __future__ import annotations

from datetime import date

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from hall.api.schemas import Day, ErrorResponse, Strict
from hall.domain.errors import Forbidden
from hall.domain.i18n import N_
from hall.services.supervision import assessment
from hall.web.auth import current_actor
from hall.web.context import hall_context

api = APIBlueprint("assessment", __name__, url_prefix="/api/v1/assessment",
                   abp_tags=[Tag(name="assessment")], abp_security=[{"session": []}],
                   abp_responses={"401": ErrorResponse, "403": ErrorResponse,
                                  "422": ErrorResponse})


class SchemeBody(Strict):
    rules: dict[str, int | float] = Field(description=(
        "points per item (base, late, absent, overdue_case, visit_over_limit, bad_review, "
        "complaint_upheld, admonition_reminder, admonition_admonition, "
        "admonition_criticism, satisfaction_credit, onsite_credit); those left out keep "
        "the default"))
    valid_from: Day | None = Field(default=None, description="today or later; default today")


class SchemeVersion(BaseModel):
    version: int
    valid_from: str


class SchemeOut(BaseModel):
    version: int = Field(description="the version in force today (0: the default)")
    rules: dict[str, int | float]
    items: list[str]
    versions: list[SchemeVersion]


class SchemeSet(BaseModel):
    version: int
    valid_from: str
    rules: dict[str, int | float]


def _supervisor():
    actor = current_actor()
    if not (actor.is_staff and actor.role in ("supervisor", "admin")):
        raise Forbidden(N_("Only supervisors set the assessment scheme"), "authorization")
    return actor


@api.get("/scheme", responses={"200": SchemeOut})
def scheme():
    return assessment.current_scheme(hall_context(), _supervisor().hall_id)


@api.post("/scheme", responses={"200": SchemeSet})
def set_scheme(body: SchemeBody):
    """A new version of the scheme: the points given, the rest as the default."""
    actor = _supervisor()
    valid_from: date | None = body.valid_from
    return assessment.set_scheme(hall_context(), actor=actor, hall_id=actor.hall_id,
                                 rules=body.rules, valid_from=valid_from).value
