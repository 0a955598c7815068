"""Request and response schemas: they validate requests and generate /api/v1/openapi.json."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)
from pydantic_core import PydanticCustomError

from hall.domain.passwords import MIN_LENGTH
from hall.services.config.layout import spec

Text = Field(default=None, max_length=500)

# Row ids as the database can hold them: a larger number is refused as invalid (422) instead
# of overflowing the driver (a 500). Halls, services, counters, staff and devices have 32-bit
# ids on PostgreSQL; tickets, jobs, cases, alerts and follow-ups 64-bit ones.
ID_MAX = 2**31 - 1
BIG_ID_MAX = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=ID_MAX)]
BigId = Annotated[int, Field(ge=1, le=BIG_ID_MAX)]


def _digits_to_id(value: object) -> object:
    """``"12"`` names the row with id 12; any other text is a code."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return value


# A hall or service named by code or by id, as query strings and forms send both as text:
# digits alone are an id (``0`` none), so a code has something else in it.
Code = Annotated[str, Field(min_length=1, max_length=32,
                            pattern=r"^(?:[A-Za-z]|[0-9][A-Za-z0-9_-]*[A-Za-z_-])[A-Za-z0-9_-]*$")]
CodeOrId = Annotated[Id | Code, BeforeValidator(_digits_to_id)]
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _iso_moment(value: object) -> object:
    """A moment written as ISO 8601 / RFC 3339 (``2026-10-01T09:00:00+08:00``); pydantic
    alone would also read a number of seconds since 1970 (``until=0.5``)."""
    if isinstance(value, str) and not _ISO_MOMENT.match(value):
        raise PydanticCustomError("datetime_parsing", "Input should be an ISO date and time")
    if not isinstance(value, (str, datetime)):
        raise PydanticCustomError("datetime_type", "Input should be an ISO date and time")
    return value


# a day and a moment with their time zone, in JSON bodies and query strings alike
Day = spec.Day
Moment = Annotated[AwareDatetime, BeforeValidator(_iso_moment), Field(strict=False)]


class Strict(BaseModel):
    """A JSON body: unknown fields refused, and strict types — ``true`` is not the id 1,
    ``0`` is not false, ``"5"`` is not 5 (queries and paths, which are text, convert)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)
    _whole_numbers = model_validator(mode="before")(spec.whole_numbers)  # 3.0 is 3


class ErrorDetail(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    code: str = Field(description="stable machine code, e.g. quota_exceeded")
    message: str = Field(description="translated message for people")
    field: str | None = Field(description="the request field at fault, if any")
    details: list[ErrorDetail] | None = Field(
        default=None, description="every problem of an invalid request (code invalid)")


class ErrorResponse(BaseModel):
    error: ErrorBody


class LoginBody(Strict):
    login: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class LogoutQuery(BaseModel):
    """Signing out closes one's window; with a visitor called or served there it is refused
    (409 ``counter_busy``, naming the ticket) unless ``then`` says what to do first. In the
    query, so a plain sign-out still needs no body."""

    then: Literal["skip", "hold"] | None = Field(default=None, description=(
        "skip (过号) or hold (挂起) the visitor at the window, then sign out"))


class PasswordBody(Strict):
    """Changing one's own password; the policy (hall/domain/passwords.py) answers 422 with
    the field ``new`` and a code saying which rule (``password_too_short`` …)."""

    current: str = Field(min_length=1, max_length=200,
                         description="the password signed in with (a one-time one, too)")
    new: str = Field(min_length=1, max_length=200, description=(
        f"at least {MIN_LENGTH} characters, not the login, not the current password"))


class IssueBody(Strict):
    service: str | Id = Field(description="service code (e.g. hj-qr) or id")
    kind: Literal["normal", "priority", "appointment"] = "normal"
    priority_reason: str | None = Field(default=None, max_length=50)
    appointment_code: str | None = Field(default=None, max_length=16)
    id_number: str | None = Field(
        default=None, min_length=1, max_length=18,
        description="resident ID number (18 characters, checksum verified); required by "
                    "services with a per-person daily limit; kept only as a keyed hash")
    phone: str | None = Field(
        default=None, min_length=1, max_length=20,
        description="mobile number for the near-turn text message (optional); a malformed "
                    "one does not stop the ticket: the answer's notify.error says why")
    card: str | None = Field(
        default=None, min_length=1, max_length=400,
        description="the sealed reading of an ID card laid on the kiosk's reader "
                    "(POST /kiosk/<device>/card): its ID hash counts against the per-person "
                    "limit, its masked name is kept, and elders get 绿色通道")


class NotifyBody(Strict):
    channel: Literal["sms", "wechat"] = "sms"
    phone: str | None = Field(default=None, min_length=1, max_length=20,
                              description="mainland mobile number (channel sms)")
    openid: str | None = Field(default=None, min_length=1, max_length=64,
                               description="the visitor's openid (channel wechat)")


class NotifyOut(BaseModel):
    channel: str
    masked: str = Field(description="the number as kept: 138****1234")
    ahead: int


class TokenPath(BaseModel):
    token: str = Field(min_length=8, max_length=32)


class OutboxQuery(BaseModel):
    """A supervisor's list of what left (or is to leave) through the outbox: texts and
    WeChat messages (GET /api/v1/messages), 好差评 records (GET /api/v1/exchange)."""

    state: Literal["pending", "sent", "failed"] | None = None
    limit: int = Field(default=200, ge=1, le=1000)


class TicketIdPath(BaseModel):
    ticket_id: BigId


class CounterPath(BaseModel):
    counter_id: Id


class CasePath(BaseModel):
    number: str = Field(min_length=3, max_length=40)


class CaseCodeQuery(BaseModel):
    code: str = Field(min_length=1, max_length=20,
                      description="查询码: the look-up code printed on the 受理回执 under the "
                                  "case number (6 digits)")


class CallBody(Strict):
    number: str = Field(min_length=2, max_length=12, pattern=r"^[A-Za-z]{1,2}\d{1,5}$")


class TicketRef(Strict):
    ticket_id: BigId


class PauseBody(Strict):
    reason: str = Field(min_length=1, max_length=100)


class AutoDispatchBody(Strict):
    on: bool = Field(description="let the hall's auto-dispatch call the next visitor here")


class AutoDispatchOut(BaseModel):
    id: int
    number: int
    auto_dispatch: bool


class HoldBody(Strict):
    note: str | None = Text


class PartBody(Strict):
    """并联审批: one department's part of the case the visit opens."""

    department_id: Id
    promised_days: int = Field(ge=1, le=365, description="承诺时限 of the part, working days")
    staff_id: Id | None = Field(default=None, description="who handles it (承办人)")


class FinishBody(Strict):
    outcome: Literal["done", "accepted", "correction", "refused", "inquiry"]
    note: str | None = Field(default=None, max_length=2000)
    fee_cents: int = Field(default=0, ge=0, le=10_000_000)
    applicant: str | None = Field(default=None, max_length=60)
    fast_track: bool = Field(default=False, description=(
        "受理 as fast-track (绿色通道): the service's shortened promise"))
    parts: list[PartBody] = Field(default_factory=list, max_length=10, description=(
        "受理 in parallel parts (并联审批), 2 to 10, one per department"))


class TransferBody(Strict):
    to_service: str | Id | None = None
    to_counter: Id | None = None
    note: str | None = Text
    confirm_closed: bool = Field(default=False, description=(
        "send the visitor to a closed window anyway (otherwise 409 target_closed)"))


class RatingBody(Strict):
    level: int = Field(ge=1, le=5)
    reason: str | None = Field(default=None, max_length=100)
    comment: str | None = Field(default=None, max_length=1000)
    dimensions: dict[str, int] | None = Field(
        default=None, max_length=10,
        description="the hall's optional rating dimensions (礼仪, 效率 …), each 1–5")


class EventsQuery(BaseModel):
    after: int = Field(default=0, ge=0, le=BIG_ID_MAX)
    limit: int = Field(default=500, ge=1, le=1000)


class HallQuery(BaseModel):
    hall: Id | None = None


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
    estimated_wait: Estimate | None = Field(
        description="a newcomer's wait; null when no open window serves the service now")


class QueuesOut(BaseModel):
    hall_id: int
    at: str
    services: list[QueueOut]


class EventsOut(BaseModel):
    events: list[dict]
    last_seq: int
    next_after: int = Field(description="the seq to ask after for the next page")
    more: bool


class CounterName(BaseModel):
    number: int
    name: str


class TicketLink(BaseModel):
    number: str
    token: str


class TicketCase(BaseModel):
    number: str = Field(description="办件编号: look it up on /case/<number>")
    lookup_code: str = Field(description="查询码: the look-up asks for it with the number")
    due_date: str = Field(description="the promised date (ISO)")


class TicketStatus(TicketOut):
    """What the visitor's phone shows: the ticket, where to go, what to bring."""

    guide: dict = Field(description="the service's guide: materials, basis, fee, ...")
    department: str
    counter: CounterName | None = Field(default=None, description="once called")
    transferred_to: TicketLink | None = Field(default=None, description="once transferred")
    case: TicketCase | None = Field(default=None, description="the case a 受理 opened")


DocumentKind = Literal["acceptance", "refusal", "correction"]


class DocumentLineOut(BaseModel):
    kind: Literal["field", "heading", "text", "item", "note"]
    label: str = Field(description="a field's label, an item's number")
    text: str


class DocumentOut(BaseModel):
    """The paper a finished visit produced, worded in the reader's language: the window's
    printer and the print page render this very content
    (drivers.escpos.document.DocumentContent as JSON)."""

    ticket_id: int
    number: str
    kind: DocumentKind = Field(description="受理回执, 不予受理通知书 or 一次性告知书")
    hall_name: str
    title: str
    lines: list[DocumentLineOut]
    qr_url: str = Field(description="what its QR code opens; empty: none")
    qr_caption: str


class TicketChange(BaseModel):
    """A ticket after a step: cancelled, held, waiting again, no-show, serving, ..."""

    id: int
    number: str
    state: str


class Recalled(BaseModel):
    id: int
    number: str
    recalls: int


class CalledByNumber(BaseModel):
    id: int
    number: str
    reason: str


class CalledTicket(BaseModel):
    id: int
    number: str
    service_id: int
    kind: str
    reason: str = Field(description="why this ticket, in English (the policy's sentence)")
    reason_code: str
    reason_message: str
    reason_params: dict
    issued_at: str | None
    called_at: str | None


class CallOut(BaseModel):
    ticket: CalledTicket | None
    message: str | None = None


class OpenedPart(BaseModel):
    part: int
    department_id: int
    promised_days: int
    due_date: str


class CaseOpened(BaseModel):
    number: str
    lookup_code: str = Field(description="查询码, printed on the 受理回执")
    due_date: str
    warning_date: str
    promised_days: int | None
    calendar_covered: bool
    fast_track: bool = False
    parts: list[OpenedPart] = Field(default_factory=list, description="并联审批")


class Finished(TicketChange):
    outcome: str
    case: CaseOpened | None = Field(description="the 办件 the visit opened, if any")
    document: DocumentKind | None = Field(
        default=None, description="the paper for the visitor: print it on the window's "
                                  "printer (POST /print-jobs) or as /counter/documents/<id>")


class NewTicket(BaseModel):
    id: int
    number: str
    token: str
    service_id: int
    to_counter: int | None = Field(description="the counter number it is directed to")


class Transferred(TicketChange):
    new_ticket: NewTicket


class Rated(BaseModel):
    ticket_id: int
    number: str
    level: int
    reason: str | None
    followup: dict | None = Field(description="the follow-up a bad rating opened: id, "
                                              "due_date")
    stage: Literal["acceptance", "completion"] | None = Field(
        default=None, description="from the phone page: the 受理 or 办结 rating (一事多评)")


class CounterChange(BaseModel):
    id: int
    number: int
    state: str
    reason: str | None = Field(description="the pause reason")


class StaffRef(BaseModel):
    id: int
    name: str


class SignedIn(BaseModel):
    id: int
    number: int
    name: str
    state: str
    staff: StaffRef


class ServiceWeight(BaseModel):
    service_id: int
    weight: int


class CounterBrief(BaseModel):
    id: int
    number: int
    name: str
    state: str
    pause_reason: str | None
    staff: str | None = Field(description="the signed-in staff member's name")
    led_address: int | None
    current_ticket_id: int | None
    current_ticket: dict | None = Field(description="number and state while called or "
                                                    "serving")
    services: list[ServiceWeight]


class CounterList(BaseModel):
    counters: list[CounterBrief]


CaseState = Literal["accepted", "in_progress", "suspended", "done", "returned"]
Urgency = Literal["normal", "yellow", "red"]


class PartLookup(BaseModel):
    """One department's part of a case in parts (并联审批), as the public may see it."""

    part: int
    department: str
    state: CaseState
    due_date: str
    done_on: str | None
    urgency: Urgency


class CaseLookup(BaseModel):
    """办件查询: a case as the public may see it (applicant masked)."""

    number: str
    service: str
    service_en: str | None
    state: CaseState
    applicant: str
    accepted_on: str
    due_date: str
    warning_date: str
    done_on: str | None
    urgency: Urgency
    extension_days: int = Field(default=0, description="延期: working days added")
    extension_reason: str | None = None
    suspended_days: int = Field(default=0, description="working days spent suspended (中止)")
    suspended_on: str | None = Field(default=None, description="set while suspended")
    suspend_reason: str | None = None
    fast_track: bool = Field(default=False, description="绿色通道")
    parts: list[PartLookup] = Field(default_factory=list, description=(
        "并联审批: the departments' parts; the case is due on the latest"))


class Generic(BaseModel):
    model_config = ConfigDict(extra="allow")
