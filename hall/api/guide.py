"""The public service guide (政务公开): ``GET /api/v1/guide``, read-only, no token, no personal
data; the page ``/guide`` (kiosk/guide.py) shows the same."""
from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from hall.api.schemas import CodeOrId, ErrorResponse
from hall.services.queue import guide
from hall.web.context import hall_context

api = APIBlueprint("guide", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="guide")],
                   abp_responses={"404": ErrorResponse, "422": ErrorResponse})


class GuideQuery(BaseModel):
    hall: CodeOrId | None = Field(default=None, description="hall code or id; default: the first")
    q: str = Field(default="", max_length=50,
                   description="name, department or keyword; or pinyin initials (hkdj)")


class Material(BaseModel):
    text: str
    original: bool = Field(description="the original is to be shown (原件)")
    copies: int = Field(description="copies to hand in (复印件), 0 for none")


class GuideService(BaseModel):
    id: int
    code: str
    name: str
    name_en: str
    kind: str = Field(description="instant (即办件) or promised (承诺件)")
    legal_days: int
    promised_days: int
    hours: list[str]
    windows: list[int] = Field(description="the numbers of the windows that serve it")
    bookable: bool
    materials: list[Material]
    steps: list[str]
    basis: str
    conditions: str
    fee: str
    fee_basis: str
    notes: str
    initials: str = Field(description="pinyin initials of the name")


class GuideDepartment(BaseModel):
    code: str
    name: str
    name_en: str
    services: list[GuideService]


class GuideOut(BaseModel):
    hall: dict
    query: str
    total: int = Field(description="active services of the hall")
    found: int = Field(description="services matching the query")
    departments: list[GuideDepartment]


@api.get("/guide", responses={"200": GuideOut})
def service_guide(query: GuideQuery):
    """Every active service with its whole guide (办事指南), by department; ``q`` filters."""
    return guide.guide(hall_context(), query.hall, query.q)
