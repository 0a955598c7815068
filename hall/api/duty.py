"""Staff on duty (issue 20): the rota (排班, AB岗), attendance (考勤), leave (请销假) and the
first-contact desk (首问). Staff session + CSRF header on writes; the services decide who
may do what (supervisors change the rota and decide leave; staff read their own week,
request leave and log inquiries)."""
from __future__ import annotations

from datetime import date
from typing import Any, Literal

from flask import Response
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ConfigDict, Field

from hall.api.schemas import Day, ErrorResponse, Generic, Id, Moment, Strict
from hall.domain.duty import LEAVE_KINDS
from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.services.config import zone
from hall.services.staff import attendance, first_contact, leave, roster, rota, rota_file
from hall.services.staff.week import week_of
from hall.web.auth import current_actor
from hall.web.context import hall_context

api = APIBlueprint("duty", __name__, url_prefix="/api/v1/duty", abp_tags=[Tag(name="duty")],
                   abp_responses={"401": ErrorResponse, "403": ErrorResponse,
                                  "404": ErrorResponse, "409": ErrorResponse,
                                  "422": ErrorResponse})
SECURED = [{"session": []}]
Shift = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,15}$", description="a shift code of the hall")


class WeekQuery(BaseModel):
    day: Day | None = Field(default=None, description="a day of the week (default today)")
    mine: bool = Field(default=False, description="only my posts (my week)")


class PostBody(Strict):
    counter: int = Field(ge=1, le=9999, description="the window's number")
    day: Day
    shift: str = Shift
    post: Literal["A", "B"]
    staff_id: Id | None = Field(description="who; null clears the post")


class CopyBody(Strict):
    source: Day = Field(description="a day of the template week")
    target: Day = Field(description="a day of the first week to fill")
    weeks: int = Field(default=1, ge=1, le=12)


class PostRow(Strict):
    counter: int = Field(ge=1, le=9999)
    day: Day
    shift: str = Shift
    post: Literal["A", "B"]
    login: str = Field(min_length=1, max_length=64)


class ExportQuery(WeekQuery):
    format: Literal["json", "csv"] = "json"


class ImportBody(Strict):
    """``posts`` or ``csv``, one of the two (refused as ``posts_or_csv`` otherwise)."""

    posts: list[PostRow] | None = Field(default=None, max_length=2000)
    csv: str | None = Field(default=None, max_length=200_000,
                            description="the rota file (as the CSV export gives it)")


class RotaFile(Generic):
    """The week's posts; ``format=csv`` answers the rota file (UTF-8 with BOM)."""

    model_config = ConfigDict(extra="allow", openapi_extra={"content": {
        "text/csv": {"schema": {"type": "string"}}}})


class AttendanceQuery(BaseModel):
    day: Day | None = Field(default=None, description="default today")
    end: Day | None = None
    department_id: Id | None = None


class LeaveBody(Strict):
    kind: Literal[LEAVE_KINDS] = Field(  # type: ignore[valid-type]
        description="personal 事假, sick 病假, annual 年休假, business 公差, other")
    start: Moment
    end: Moment
    reason: str = Field(min_length=1, max_length=500)


class LeavePath(BaseModel):
    leave_id: Id


class LeaveQuery(BaseModel):
    mine: bool = False
    state: Literal["pending", "approved", "refused", "returned", "cancelled"] | None = None


class DecisionBody(Strict):
    note: str | None = Field(default=None, max_length=500)


class InquiryBody(Strict):
    question: str = Field(min_length=1, max_length=1000)
    answer: str = Field(default="", max_length=2000)
    service: str | None = Field(default=None, max_length=32, description="a service code")
    counter: int | None = Field(default=None, ge=1, le=9999, description="window handed to")
    take_ticket: bool = Field(default=False, description="代取号: take a number of service")


class CountsQuery(BaseModel):
    start: Day | None = Field(default=None, description="default today")
    end: Day | None = Field(default=None, description="default start")


def _today() -> date:
    return zone.today(hall_context(), current_actor().hall_id)


# --- rota -------------------------------------------------------------------------------

@api.get("/rota", responses={"200": Generic}, security=SECURED)
def rota_week(query: WeekQuery):
    return week_of(hall_context(), current_actor(), query.day or _today(), mine=query.mine)


@api.put("/rota", responses={"200": Generic}, security=SECURED)
def rota_post(body: PostBody):
    return rota.assign(hall_context(), current_actor(), **body.model_dump()).value


@api.post("/rota/copy", responses={"200": Generic}, security=SECURED)
def rota_copy(body: CopyBody):
    return rota.copy_week(hall_context(), current_actor(), **body.model_dump()).value


@api.get("/rota/export", responses={"200": RotaFile}, security=SECURED)
def rota_export(query: ExportQuery):
    day = query.day or _today()
    posts = rota.export_week(hall_context(), current_actor(), day)
    if query.format == "json":
        return {"posts": posts}
    name = f"rota-{rota.monday_of(day).isoformat()}.csv"
    return Response(rota_file.to_csv(posts).encode("utf-8"),
                    mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@api.post("/rota/import", responses={"200": Generic}, security=SECURED)
def rota_import(body: ImportBody):
    actor = current_actor()
    rota.require_supervisor(actor)  # before the body says anything to a refused caller
    # a rule the schema does not state, so not the schema's "invalid" (the API fuzz checks)
    if (body.posts is None) == (body.csv is None):
        raise DomainError("posts_or_csv", N_("Give the posts or the rota file, one of the two"),
                          "csv")
    rows: list[dict[str, Any]] = (rota_file.from_csv(body.csv) if body.csv is not None
                                  else [p.model_dump() for p in body.posts or []])
    return rota.import_posts(hall_context(), actor, rows).value


@api.get("/roster", responses={"200": Generic}, security=SECURED)
def duty_roster():
    """The windows, active staff and departments the duty pages choose from (supervisors)."""
    return roster.roster(hall_context(), current_actor())


# --- attendance ---------------------------------------------------------------------------

@api.get("/attendance", responses={"200": Generic}, security=SECURED)
def attendance_table(query: AttendanceQuery):
    actor = current_actor()
    rota.require_supervisor(actor)
    day = query.day or _today()
    return {"records": attendance.records(hall_context(), actor.hall_id, day, query.end,
                                          department_id=query.department_id)}


# --- leave --------------------------------------------------------------------------------

@api.post("/leave", responses={"201": Generic}, security=SECURED)
def leave_request(body: LeaveBody):
    return leave.request(hall_context(), current_actor(), **body.model_dump()).value, 201


@api.get("/leave", responses={"200": Generic}, security=SECURED)
def leave_index(query: LeaveQuery):
    return {"leave": leave.list_leave(hall_context(), current_actor(), mine=query.mine,
                                      state=query.state)}


@api.post("/leave/<int:leave_id>/approve", responses={"200": Generic}, security=SECURED)
def leave_approve(path: LeavePath, body: DecisionBody):
    return leave.decide(hall_context(), current_actor(), path.leave_id, approve=True,
                        note=body.note).value


@api.post("/leave/<int:leave_id>/refuse", responses={"200": Generic}, security=SECURED)
def leave_refuse(path: LeavePath, body: DecisionBody):
    return leave.decide(hall_context(), current_actor(), path.leave_id, approve=False,
                        note=body.note).value


@api.post("/leave/<int:leave_id>/return", responses={"200": Generic}, security=SECURED)
def leave_return(path: LeavePath):
    """销假 (or withdrawing a request not yet decided)."""
    return leave.return_from(hall_context(), current_actor(), path.leave_id).value


# --- the first-contact desk -----------------------------------------------------------------

@api.post("/inquiries", responses={"201": Generic}, security=SECURED)
def inquiry_log(body: InquiryBody):
    return first_contact.log(hall_context(), current_actor(), **body.model_dump()).value, 201


@api.get("/inquiries", responses={"200": Generic}, security=SECURED)
def inquiry_index():
    return {"inquiries": first_contact.recent(hall_context(), current_actor())}


@api.get("/inquiries/counts", responses={"200": Generic}, security=SECURED)
def inquiry_counts(query: CountsQuery):
    actor = current_actor()
    rota.require_supervisor(actor)
    start = query.start or _today()
    return {"staff": first_contact.counts(hall_context(), actor.hall_id, start,
                                          query.end or start)}
