"""投诉建议 over HTTP (issue 19): filing from the ticket's or case's phone page and the
kiosk (public, rate-limited: hall/web/security.py ``complaint``), staff entry, the
complainant's page (their token) with their answer to the reply, and the supervisors'
handling (session + CSRF)."""
from __future__ import annotations

from typing import Literal

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from hall.api.schemas import BigId, ErrorResponse, Id, Strict
from hall.services.complaints import handling, intake
from hall.web.auth import current_actor
from hall.web.context import hall_context

api = APIBlueprint("complaints", __name__, url_prefix="/api/v1",
                   abp_tags=[Tag(name="complaints")],
                   abp_responses={"401": ErrorResponse, "403": ErrorResponse,
                                  "404": ErrorResponse, "409": ErrorResponse,
                                  "422": ErrorResponse})
SESSION = [{"session": []}]
DEVICE = [{"device": []}]

Category = Literal["attitude", "efficiency", "discipline", "fees", "environment", "other"]
Source = Literal["phone_call", "comment_book", "hotline_12345"]
State = Literal["received", "handling", "replied", "closed"]


class VisitorComplaint(Strict):
    text: str = Field(max_length=2000, description="what happened (required)")
    category: Category = "other"
    phone: str | None = Field(default=None, max_length=20,
                              description="for the reply; kept masked plus a keyed hash")
    anonymous: bool = False


class KioskComplaint(VisitorComplaint):
    counter_id: Id | None = None
    staff_id: Id | None = None
    department_id: Id | None = None
    service_id: Id | None = None


class StaffComplaint(KioskComplaint):
    source: Source
    work_order: str | None = Field(default=None, max_length=40,
                                   description="the 12345 work order number")


class ComplaintTokenPath(BaseModel):
    token: str = Field(min_length=8, max_length=40)


class ComplaintCasePath(BaseModel):
    number: str = Field(min_length=3, max_length=40)


class CaseCodeQuery(BaseModel):
    code: str = Field(min_length=1, max_length=20,
                      description="the case's look-up code (查询码, on its receipt)")


class ComplaintPath(BaseModel):
    complaint_id: BigId


class ComplaintQuery(BaseModel):
    state: Literal["active", "all", "received", "handling", "replied", "closed"] = "active"
    overdue: bool | None = None
    limit: int = Field(default=200, ge=1, le=1000)


class ComplaintNote(Strict):
    note: str | None = Field(default=None, max_length=2000)


class ComplaintReply(Strict):
    text: str = Field(max_length=4000)
    upheld: bool | None = Field(default=None, description="属实: the complaint is founded")


class ComplaintClose(ComplaintNote):
    upheld: bool | None = None


class ComplaintAnswer(ComplaintNote):
    satisfied: bool


class PublicComplaint(BaseModel):
    number: str
    token: str = Field(description="the complainant's page: /complaint/<token>")
    category: Category
    text: str
    state: State
    received_at: str
    due_date: str
    reply: str | None
    replied_at: str | None
    satisfied: bool | None
    reopened: int
    can_answer: bool


class PublicComplaints(BaseModel):
    complaints: list[PublicComplaint]


class ComplaintOut(BaseModel):
    id: int
    number: str
    source: str
    work_order: str | None
    category: Category
    text: str
    ticket_number: str | None
    case_number: str | None
    counter_id: int | None
    counter_number: int | None
    staff_id: int | None
    staff_name: str | None
    department_id: int | None
    department_name: str | None
    service_id: int | None
    service_name: str | None
    anonymous: bool
    phone: str | None = Field(description="masked")
    state: State
    handler_id: int | None
    handler_name: str | None
    received_at: str
    due_date: str
    overdue: bool
    reply: str | None
    replied_at: str | None
    satisfied: bool | None
    reopened: int
    upheld: bool | None
    admonished: int = Field(description="效能告诫 issued on this complaint (not withdrawn)")
    closed_at: str | None
    history: list[dict]


class ComplaintsOut(BaseModel):
    today: str
    state: str
    complaints: list[ComplaintOut]


def _target(body: KioskComplaint) -> intake.Target:
    return intake.Target(body.counter_id, body.staff_id, body.department_id, body.service_id)


# --- filing ---------------------------------------------------------------------------------

@api.post("/complaints/by-ticket/<token>", responses={"201": PublicComplaint})
def file_from_ticket(path: ComplaintTokenPath, body: VisitorComplaint):
    """From the ticket's phone page: the ticket's window, staff and service are the target."""
    return intake.from_ticket(hall_context(), token=path.token, text=body.text,
                              category=body.category, phone=body.phone,
                              anonymous=body.anonymous).value, 201


@api.get("/complaints/by-ticket/<token>", responses={"200": PublicComplaints})
def of_ticket(path: ComplaintTokenPath):
    """The complaints filed from this ticket's page, each with its reply."""
    return {"complaints": handling.of_ticket(hall_context(), token=path.token)}


@api.post("/complaints/by-case/<number>", responses={"201": PublicComplaint})
def file_from_case(path: ComplaintCasePath, query: CaseCodeQuery, body: VisitorComplaint):
    """From the case's page: its accepting window, staff and service are the target. The
    look-up code is asked as on the case's page: the number alone opens nothing."""
    return intake.from_case(hall_context(), number=path.number, code=query.code,
                            text=body.text,
                            category=body.category, phone=body.phone,
                            anonymous=body.anonymous).value, 201


@api.post("/complaints/kiosk", responses={"201": PublicComplaint}, security=DEVICE)
def file_at_kiosk(body: KioskComplaint):
    """The kiosk's 我要投诉建议 button."""
    return intake.at_kiosk(hall_context(), actor=current_actor(), text=body.text,
                           category=body.category, phone=body.phone,
                           anonymous=body.anonymous, target=_target(body)).value, 201


@api.post("/complaints", responses={"201": ComplaintOut}, security=SESSION)
def enter(body: StaffComplaint):
    """Staff enter a complaint received by phone, in the 意见簿 or as a 12345 work order."""
    actor = current_actor()
    made = intake.by_staff(hall_context(), actor=actor, source=body.source, text=body.text,
                           category=body.category, phone=body.phone,
                           anonymous=body.anonymous, work_order=body.work_order,
                           target=_target(body)).value
    if actor.role in handling.SUPERVISORS:
        return handling.get_complaint(hall_context(), actor=actor,
                                      complaint_id=made["id"]), 201
    return made, 201


# --- the complainant ----------------------------------------------------------------------

@api.get("/complaints/public/<token>", responses={"200": PublicComplaint})
def public(path: ComplaintTokenPath):
    return handling.for_complainant(hall_context(), token=path.token)


@api.post("/complaints/public/<token>/answer", responses={"200": PublicComplaint})
def answer(path: ComplaintTokenPath, body: ComplaintAnswer):
    """Satisfied with the reply, or not (the first "not" reopens it)."""
    return handling.answer(hall_context(), token=path.token, satisfied=body.satisfied,
                           note=body.note).value


# --- supervisors --------------------------------------------------------------------------

@api.get("/complaints", responses={"200": ComplaintsOut}, security=SESSION)
def index(query: ComplaintQuery):
    return handling.list_complaints(hall_context(), actor=current_actor(), state=query.state,
                                    overdue=query.overdue, limit=query.limit)


@api.get("/complaints/<int:complaint_id>", responses={"200": ComplaintOut}, security=SESSION)
def show(path: ComplaintPath):
    return handling.get_complaint(hall_context(), actor=current_actor(),
                                  complaint_id=path.complaint_id)


@api.post("/complaints/<int:complaint_id>/take", responses={"200": ComplaintOut},
          security=SESSION)
def take(path: ComplaintPath, body: ComplaintNote):
    return handling.take(hall_context(), actor=current_actor(),
                         complaint_id=path.complaint_id, note=body.note).value


@api.post("/complaints/<int:complaint_id>/reply", responses={"200": ComplaintOut},
          security=SESSION)
def reply(path: ComplaintPath, body: ComplaintReply):
    return handling.reply(hall_context(), actor=current_actor(),
                          complaint_id=path.complaint_id, text=body.text,
                          upheld=body.upheld).value


@api.post("/complaints/<int:complaint_id>/close", responses={"200": ComplaintOut},
          security=SESSION)
def close(path: ComplaintPath, body: ComplaintClose):
    return handling.close(hall_context(), actor=current_actor(),
                          complaint_id=path.complaint_id, note=body.note,
                          upheld=body.upheld).value
