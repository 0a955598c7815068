"""催办 and 效能告诫 over HTTP (supervisors issue; the window's staff answer theirs):
``/api/v1/urgings`` and ``/api/v1/admonitions``."""
from __future__ import annotations

from typing import Literal

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from hall.api.schemas import BigId, ErrorResponse, Id, Strict
from hall.services.supervision import admonitions, urging
from hall.web.auth import current_actor
from hall.web.context import hall_context

api = APIBlueprint("supervision", __name__, url_prefix="/api/v1",
                   abp_tags=[Tag(name="supervision")], abp_security=[{"session": []}],
                   abp_responses={"401": ErrorResponse, "403": ErrorResponse,
                                  "404": ErrorResponse, "409": ErrorResponse,
                                  "422": ErrorResponse})
Text = Field(default="", max_length=1000)


class UrgeBody(Strict):
    case_number: str | None = Field(default=None, min_length=3, max_length=40)
    counter_id: Id | None = Field(default=None, description="a window, when no case")
    note: str = Text


class UrgingsQuery(BaseModel):
    counter: Id | None = Field(default=None, description="only this window's")
    all: bool = Field(default=False, description="answered ones too")


class UrgingPath(BaseModel):
    urging_id: BigId


class AnswerBody(Strict):
    answer: str = Text


class UrgingOut(BaseModel):
    id: int
    counter_id: int
    case_number: str | None
    staff_id: int | None
    note: str
    by_id: int
    at: str
    acked_at: str | None
    acked_by: int | None
    answer: str | None


class UrgingsOut(BaseModel):
    urgings: list[UrgingOut]


class AdmonishBody(Strict):
    level: Literal["reminder", "admonition", "criticism"] = Field(
        description="提醒, 告诫, 通报批评")
    reason: str = Text
    staff_id: Id | None = None
    department_id: Id | None = None
    evidence_kind: Literal["alert", "rating", "case", "complaint"] | None = None
    evidence_ref: str | None = Field(default=None, max_length=64,
                                     description="the alert id, ticket id, case number …")


class AdmonitionsQuery(BaseModel):
    mine: bool = False


class AdmonitionPath(BaseModel):
    admonition_id: BigId


class WithdrawBody(Strict):
    reason: str = Text


class AdmonitionOut(BaseModel):
    id: int
    level: str
    staff_id: int | None
    department_id: int | None
    reason: str
    evidence_kind: str | None
    evidence_ref: str | None
    issued_by: int
    issued_at: str
    acked_at: str | None
    withdrawn_at: str | None
    withdraw_reason: str | None


class AdmonitionsOut(BaseModel):
    admonitions: list[AdmonitionOut]


@api.post("/urgings", responses={"200": UrgingOut})
def urge(body: UrgeBody):
    """催办 a case (to the window that accepted it) or a window."""
    return urging.urge(hall_context(), actor=current_actor(), note=body.note,
                       counter_id=body.counter_id, case_number=body.case_number).value


@api.get("/urgings", responses={"200": UrgingsOut})
def urgings(query: UrgingsQuery):
    """Open urgings, newest first: a window's own, or any for supervisors."""
    return {"urgings": urging.urgings(hall_context(), actor=current_actor(),
                                      counter_id=query.counter, open_only=not query.all)}


@api.post("/urgings/<int:urging_id>/ack", responses={"200": UrgingOut})
def answer(path: UrgingPath, body: AnswerBody):
    return urging.acknowledge(hall_context(), urging_id=path.urging_id,
                              actor=current_actor(), answer=body.answer).value


@api.post("/admonitions", responses={"200": AdmonitionOut})
def admonish(body: AdmonishBody):
    """效能告诫 against a staff member or a department, with reason and evidence."""
    return admonitions.issue(hall_context(), actor=current_actor(),
                             **body.model_dump()).value


@api.get("/admonitions", responses={"200": AdmonitionsOut})
def index(query: AdmonitionsQuery):
    return {"admonitions": admonitions.admonitions(hall_context(), actor=current_actor(),
                                                   mine=query.mine)}


@api.post("/admonitions/<int:admonition_id>/ack", responses={"200": AdmonitionOut})
def acknowledge(path: AdmonitionPath):
    """The person it is against has read it."""
    return admonitions.acknowledge(hall_context(), admonition_id=path.admonition_id,
                                   actor=current_actor()).value


@api.post("/admonitions/<int:admonition_id>/withdraw", responses={"200": AdmonitionOut})
def withdraw(path: AdmonitionPath, body: WithdrawBody):
    return admonitions.withdraw(hall_context(), admonition_id=path.admonition_id,
                                actor=current_actor(), reason=body.reason).value
