"""Appointments (预约): what can be booked, slots, book, cancel, look up, kiosk check-in.

Booking, cancelling and looking up are public (no token): a visitor books from their phone,
within the per-address rate limits of hall/web/security.py. Check-in needs a kiosk token (or a
staff session) and answers exactly as POST /tickets does.
"""
from __future__ import annotations

from typing import Any, Literal

from flask_babel import gettext
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from hall.api.schemas import CodeOrId, Day, ErrorResponse, Id, Moment, Strict, TicketOut
from hall.services.queue import appointments, booking_catalog
from hall.web.auth import current_actor
from hall.web.context import hall_context

api = APIBlueprint("appointments", __name__, url_prefix="/api/v1",
                   abp_tags=[Tag(name="appointments")],
                   abp_responses={"401": ErrorResponse, "403": ErrorResponse,
                                  "404": ErrorResponse, "409": ErrorResponse,
                                  "422": ErrorResponse})
SECURED = [{"device": []}, {"session": []}]

Code = Field(min_length=4, max_length=16, description="the appointment code, e.g. K7M2P9QX")
Phone = Field(min_length=5, max_length=20, description="mainland mobile number")
IdNumber = Field(default=None, min_length=1, max_length=18,
                 description="resident ID number; kept only as a keyed hash")
HallRef = Field(default=None, description="hall code or id; default: the first")


class CatalogQuery(BaseModel):
    hall: CodeOrId | None = HallRef


class SlotsQuery(BaseModel):
    service: CodeOrId = Field(description="service code or id")
    day: Day
    hall: CodeOrId | None = HallRef


class BookBody(Strict):
    service: str | Id = Field(description="service code or id")
    start: Moment = Field(description="a slot's start as listed by /appointments/slots")
    phone: str = Phone
    id_number: str | None = IdNumber
    hall: CodeOrId | None = HallRef
    name: str | None = Field(default=None, min_length=1, max_length=20,
                             description="the visitor's name (optional), kept only masked "
                             "(张*) for a hall that calls by name")
    title: Literal["先生", "女士"] | None = Field(default=None,
                                                description="先生 or 女士 after the name")
    notify: bool = Field(default=False, description="text this phone when few are ahead "
                         "(the number is kept until check-in, then erased once the visit "
                         "starts)")


class CancelBody(Strict):
    code: str = Code
    phone: str | None = Field(default=None, min_length=5, max_length=20,
                              description="the phone booked with (staff may leave it out)")


class CheckInBody(Strict):
    code: str | None = Field(default=None, min_length=4, max_length=16)
    phone: str | None = Field(default=None, min_length=5, max_length=20)
    id_number: str | None = IdNumber


class CodePath(BaseModel):
    code: str = Code


class ServiceBrief(BaseModel):
    id: int
    code: str
    name: str
    name_en: str


class BookableService(ServiceBrief):
    slot_minutes: int
    capacity: int
    days_ahead: int
    needs_id_number: bool
    days: list[str]


class CatalogDepartment(BaseModel):
    code: str
    name: str
    name_en: str
    services: list[BookableService]


class CatalogOut(BaseModel):
    hall: dict
    today: str
    check_in: dict = Field(description="early_minutes, late_minutes around a slot's start")
    departments: list[CatalogDepartment]


class SlotOut(BaseModel):
    start: str
    end: str
    capacity: int
    remaining: int


class SlotsOut(BaseModel):
    service: ServiceBrief
    day: str
    timezone: str
    slot_minutes: int
    slots: list[SlotOut]


class CheckInWindow(BaseModel):
    from_: str = Field(alias="from")
    until: str


class AppointmentOut(BaseModel):
    code: str
    state: str = Field(description="booked | checked_in | cancelled")
    hall: dict
    service: ServiceBrief
    start: str
    end: str
    phone: str = Field(description="masked, e.g. 138****1234")
    holder: str | None = Field(default=None, description="the name given, masked (张*女士)")
    check_in: CheckInWindow
    ticket: dict | None


def with_check_in_note(view: dict[str, Any]) -> dict[str, Any]:
    """Tell the visitor what their check-in gave them, in their language."""
    note = view.get("appointment")
    if note is not None:
        at = note["slot_start"][11:16]  # HH:MM of the ISO time, already in the hall's zone
        note["message"] = (
            gettext("You are late for your %(time)s appointment: this is a normal ticket in "
                    "the walk-in queue", time=at) if note["late"] else
            gettext("Checked in for your %(time)s appointment", time=at))
    return view


@api.get("/appointments/services", responses={"200": CatalogOut})
def bookable_services(query: CatalogQuery):
    """Departments and their services that take appointments, with the bookable days."""
    return booking_catalog.catalog(hall_context(), query.hall)


@api.get("/appointments/slots", responses={"200": SlotsOut})
def slots(query: SlotsQuery):
    """A day's slots not yet begun, each with its capacity and the places left."""
    return booking_catalog.slots(hall_context(), service=query.service, day=query.day,
                                 hall=query.hall)


@api.post("/appointments", responses={"201": AppointmentOut})
def book(body: BookBody):
    """Book a slot (public). Answers with the code to check in with at the kiosk."""
    result = appointments.book(hall_context(), service=body.service, start=body.start,
                               phone=body.phone, id_number=body.id_number, hall=body.hall,
                               notify=body.notify, name=body.name, title=body.title or "")
    return result.value, 201


@api.post("/appointments/cancel", responses={"200": AppointmentOut})
def cancel(body: CancelBody):
    """Cancel by code and the phone booked with (visitor), or by code alone (staff)."""
    actor = None if body.phone else current_actor(required=False)
    return appointments.cancel(hall_context(), code=body.code, phone=body.phone,
                               actor=actor).value


@api.post("/appointments/check-in", responses={"201": TicketOut}, security=SECURED)
def check_in(body: CheckInBody):
    """At the kiosk, by code or by phone: issues the ticket as POST /tickets does.
    On time → an appointment ticket; late the same day → a normal ticket (``late``)."""
    actor = current_actor()
    result = appointments.check_in(hall_context(), hall_id=actor.hall_id, actor=actor,
                                   code=body.code, phone=body.phone,
                                   id_number=body.id_number)
    return with_check_in_note(result.value), 201


@api.get("/appointments/<code>", responses={"200": AppointmentOut})
def show(path: CodePath):
    """The visitor's view of an appointment (phone masked)."""
    return appointments.by_code(hall_context(), path.code)
