"""办件 management for staff: list by service/state/urgency, start, finish or return, and
the case clock (延期, 中止, 恢复); a case in parts (并联审批) is acted on part by part, with
the same actions under ``/<number>/parts/<part>/``. And one public call: the applicant's
rating from the case's page (``/<number>/rating?code=``, its look-up code the proof)."""
from __future__ import annotations

from typing import Literal

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from hall.api.schemas import (
    BIG_ID_MAX,
    CaseState,
    ErrorResponse,
    Id,
    Rated,
    RatingBody,
    Strict,
    Urgency,
)
from hall.domain.parallel import MAX_PARTS
from hall.services.cases import clock
from hall.services.cases import workflow as cases
from hall.services.ratings import late
from hall.web.auth import require_staff
from hall.web.context import hall_context

api = APIBlueprint("cases", __name__, url_prefix="/api/v1/cases", abp_tags=[Tag(name="cases")],
                   abp_responses={"401": ErrorResponse, "403": ErrorResponse,
                                  "404": ErrorResponse, "409": ErrorResponse,
                                  "422": ErrorResponse})
SESSION = [{"session": []}]


class CaseListQuery(BaseModel):
    service_id: Id | None = None
    state: CaseState | None = None
    urgency: Urgency | None = None
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=BIG_ID_MAX)


class CaseActionPath(BaseModel):
    number: str = Field(min_length=3, max_length=40)
    action: Literal["start", "finish", "return"]


class CaseActionBody(Strict):
    note: str | None = Field(default=None, max_length=500)


class ExtendBody(Strict):
    days: int = Field(ge=1, le=60, description="working days; at most the hall's limit (10)")
    reason: str = Field(min_length=1, max_length=500)


class SuspendBody(Strict):
    reason: Literal["hearing", "inspection", "testing", "appraisal", "expert_review",
                    "correction"] = Field(description="听证, 检验, 检测, 鉴定, 专家评审, 补正")
    note: str | None = Field(default=None, max_length=500)


class NumberPath(BaseModel):
    number: str = Field(min_length=3, max_length=40)


class CaseCodeQuery(BaseModel):
    code: str = Field(min_length=1, max_length=20,
                      description="the case's look-up code (查询码, on its receipt)")


class PartPath(NumberPath):
    part: int = Field(ge=1, le=MAX_PARTS, description="the part's number, 1, 2, …")


class PartActionPath(PartPath):
    action: Literal["start", "finish", "return"]


class ClockMoved(BaseModel):
    number: str
    state: CaseState
    due_date: str
    warning_date: str
    due_before: str
    days: int = Field(description="working days added to the due date")
    part: int | None = Field(default=None, description="the part whose clock moved")
    case_state: CaseState | None = Field(default=None, description="the case, from its parts")
    case_due_date: str | None = None


class CasePartRow(BaseModel):
    part: int
    department_id: int
    department: str
    staff_id: int | None
    promised_days: int
    state: CaseState
    due_date: str
    warning_date: str
    done_on: str | None
    extension_days: int
    suspended_days: int
    suspended_on: str | None
    suspend_reason: str | None
    urgency: Urgency


class CaseRow(BaseModel):
    number: str
    service: str
    service_id: int
    state: CaseState
    applicant: str
    accepted_on: str
    due_date: str
    warning_date: str
    done_on: str | None
    counter_id: int | None
    staff_id: int | None
    extension_days: int = 0
    suspended_days: int = 0
    suspended_on: str | None = None
    suspend_reason: str | None = None
    fast_track: bool = Field(default=False, description="绿色通道")
    promised_days: int | None = Field(default=None, description="承诺时限 accepted with")
    urgency: Urgency
    parts: list[CasePartRow] = Field(default_factory=list, description=(
        "并联审批: the case is due on its latest part and its state follows them"))


class CaseList(BaseModel):
    total: int = Field(description="all that match, for paging")
    today: str
    cases: list[CaseRow]


class CaseActed(BaseModel):
    number: str
    state: CaseState
    done_on: str | None
    on_time: bool | None = Field(description="set when the case is done")
    part: int | None = Field(default=None, description="the part acted on")
    case_state: CaseState | None = Field(default=None, description="the case, from its parts")
    case_due_date: str | None = None


def _staff():
    """办件 management is the supervisors' (issue 9): windows open cases by finishing a
    visit with 受理, and the visitor's look-up is public; listing and acting are not."""
    return require_staff("supervisor", "admin")


@api.get("", responses={"200": CaseList}, security=SESSION)
def list_cases(query: CaseListQuery):
    actor = _staff()
    return cases.list_cases(hall_context(), hall_id=actor.hall_id, **query.model_dump())


@api.post("/<number>/rating", responses={"201": Rated})
def rate(path: NumberPath, query: CaseCodeQuery, body: RatingBody):
    """From the case's page (issue 19): its 受理 visit if not rated yet, else its 办结 once
    concluded, within the hall's days; once each, whatever the channel."""
    return late.rate_by_case(hall_context(), number=path.number, code=query.code,
                             level=body.level, reason=body.reason, comment=body.comment,
                             dimensions=body.dimensions).value, 201


@api.post("/<number>/<action>", responses={"200": CaseActed}, security=SESSION)
def act(path: CaseActionPath, body: CaseActionBody):
    actor = _staff()
    return cases.act(hall_context(), hall_id=actor.hall_id, number=path.number,
                     action=path.action, actor=actor, note=body.note).value


@api.post("/<number>/extend", responses={"200": ClockMoved}, security=SESSION)
def extend(path: NumberPath, body: ExtendBody):
    """延期: once, with a reason; the supervisor who records it approves it."""
    actor = _staff()
    return clock.extend(hall_context(), hall_id=actor.hall_id, number=path.number,
                        days=body.days, reason=body.reason, actor=actor).value


@api.post("/<number>/suspend", responses={"200": ClockMoved}, security=SESSION)
def suspend(path: NumberPath, body: SuspendBody):
    """中止: the case clock stops until it is resumed."""
    actor = _staff()
    return clock.suspend(hall_context(), hall_id=actor.hall_id, number=path.number,
                         reason=body.reason, note=body.note, actor=actor).value


@api.post("/<number>/resume", responses={"200": ClockMoved}, security=SESSION)
def resume(path: NumberPath, body: CaseActionBody):
    """恢复: the working days spent suspended push the due date."""
    actor = _staff()
    return clock.resume(hall_context(), hall_id=actor.hall_id, number=path.number,
                        note=body.note, actor=actor).value


@api.post("/<number>/parts/<int:part>/<action>", responses={"200": CaseActed},
          security=SESSION)
def act_part(path: PartActionPath, body: CaseActionBody):
    """Start, finish or return one department's part; the case follows its parts."""
    actor = _staff()
    return cases.act(hall_context(), hall_id=actor.hall_id, number=path.number,
                     action=path.action, actor=actor, note=body.note, part=path.part).value


@api.post("/<number>/parts/<int:part>/extend", responses={"200": ClockMoved},
          security=SESSION)
def extend_part(path: PartPath, body: ExtendBody):
    """延期 of one part: the case is due on its latest part."""
    actor = _staff()
    return clock.extend(hall_context(), hall_id=actor.hall_id, number=path.number,
                        days=body.days, reason=body.reason, actor=actor, part=path.part).value


@api.post("/<number>/parts/<int:part>/suspend", responses={"200": ClockMoved},
          security=SESSION)
def suspend_part(path: PartPath, body: SuspendBody):
    """中止 of one part: its clock stops, the other parts' run on."""
    actor = _staff()
    return clock.suspend(hall_context(), hall_id=actor.hall_id, number=path.number,
                         reason=body.reason, note=body.note, actor=actor,
                         part=path.part).value


@api.post("/<number>/parts/<int:part>/resume", responses={"200": ClockMoved},
          security=SESSION)
def resume_part(path: PartPath, body: CaseActionBody):
    """恢复 of one part: its suspended working days push its due date."""
    actor = _staff()
    return clock.resume(hall_context(), hall_id=actor.hall_id, number=path.number,
                        note=body.note, actor=actor, part=path.part).value
