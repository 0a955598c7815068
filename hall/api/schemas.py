"""Request and response schemas: they validate requests and generate /api/v1/openapi.json."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Text = Field(default=None, max_length=500)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ErrorBody(BaseModel):
    code: str = Field(description="stable machine code, e.g. quota_exceeded")
    message: str = Field(description="translated message for people")
    field: str | None = Field(description="the request field at fault, if any")


class ErrorResponse(BaseModel):
    error: ErrorBody


class LoginBody(Strict):
    login: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class IssueBody(Strict):
    service: str | int = Field(description="service code (e.g. hj-qr) or id")
    kind: Literal["normal", "priority", "appointment"] = "normal"
    priority_reason: str | None = Field(default=None, max_length=50)
    appointment_code: str | None = Field(default=None, max_length=16)
    id_number: str | None = Field(
        default=None, min_length=1, max_length=18,
        description="resident ID number (18 characters, checksum verified); required by "
                    "services with a per-person daily limit; kept only as a keyed hash")


class TokenPath(BaseModel):
    token: str = Field(min_length=8, max_length=32)


class TicketIdPath(BaseModel):
    ticket_id: int = Field(ge=1)


class CounterPath(BaseModel):
    counter_id: int = Field(ge=1)


class CasePath(BaseModel):
    number: str = Field(min_length=3, max_length=40)


class CallBody(Strict):
    number: str = Field(min_length=2, max_length=12, pattern=r"^[A-Za-z]{1,2}\d{1,5}$")


class TicketRef(Strict):
    ticket_id: int = Field(ge=1)


class PauseBody(Strict):
    reason: str = Field(min_length=1, max_length=100)


class HoldBody(Strict):
    note: str | None = Text


class FinishBody(Strict):
    outcome: Literal["done", "accepted", "correction", "refused", "inquiry"]
    note: str | None = Field(default=None, max_length=2000)
    fee_cents: int = Field(default=0, ge=0, le=10_000_000)
    applicant: str | None = Field(default=None, max_length=60)


class TransferBody(Strict):
    to_service: str | int | None = None
    to_counter: int | None = Field(default=None, ge=1)
    note: str | None = Text


class RatingBody(Strict):
    level: int = Field(ge=1, le=5)
    reason: str | None = Field(default=None, max_length=100)
    comment: str | None = Field(default=None, max_length=1000)


class EventsQuery(BaseModel):
    after: int = Field(default=0, ge=0)
    limit: int = Field(default=500, ge=1, le=1000)


class HallQuery(BaseModel):
    hall: int | None = Field(default=None, ge=1)


class Estimate(BaseModel):
    min_s: int
    max_s: int


class ServiceRef(BaseModel):
    id: int
    code: str
    name: str
    name_en: str
    prefix: str


class TicketOut(BaseModel):
    id: int
    hall_id: int
    number: str
    token: str
    kind: str
    priority_reason: str | None
    state: str
    service: ServiceRef
    issued_at: str | None
    called_at: str | None
    counter_id: int | None
    parent_id: int | None
    ahead: int | None = None
    estimated_wait: Estimate | None = None
    appointment: dict | None = Field(
        default=None, description="set when the ticket checks in an appointment: slot_start, "
                                  "slot_end, late (then a normal ticket), message")


class QueueOut(BaseModel):
    service_id: int
    code: str
    name: str
    name_en: str
    prefix: str
    waiting: int
    open_counters: int
    estimated_wait: Estimate


class QueuesOut(BaseModel):
    hall_id: int
    at: str
    services: list[QueueOut]


class EventsOut(BaseModel):
    events: list[dict]
    last_seq: int
    more: bool


class CallOut(BaseModel):
    ticket: dict | None
    message: str | None = None


class Generic(BaseModel):
    model_config = ConfigDict(extra="allow")
