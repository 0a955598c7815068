"""Alerts (电子监察): the open ones, and acknowledging one with a note.

Supervisors see and acknowledge every alert of their hall; a counter's staff see and
acknowledge their own counter's open alerts (e.g. their visit running over its limit).
"""
from __future__ import annotations

from typing import Literal

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from hall.api.schemas import BigId, ErrorResponse, Id, Strict
from hall.domain.access import Actor
from hall.domain.errors import Forbidden, NotFound
from hall.domain.i18n import N_
from hall.services.supervision import alerts
from hall.web.auth import current_actor
from hall.web.context import hall_context

api = APIBlueprint("alerts", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="alerts")],
                   abp_security=[{"session": []}],
                   abp_responses={"401": ErrorResponse, "403": ErrorResponse,
                                  "404": ErrorResponse, "409": ErrorResponse,
                                  "422": ErrorResponse})


class AlertPath(BaseModel):
    alert_id: BigId


class AlertsQuery(BaseModel):
    counter: Id | None = Field(default=None, description="only this counter's")


class AckBody(Strict):
    note: str = Field(default="", max_length=500)


class AlertOut(BaseModel):
    id: int
    key: str = Field(description="the condition, e.g. visit_over:123")
    kind: str
    level: Literal["warning", "critical"]
    counter_id: int | None
    ticket_id: int | None
    device_id: int | None
    payload: dict
    raised_at: str
    cleared_at: str | None
    acked_at: str | None
    ack_note: str | None


class AlertsOut(BaseModel):
    alerts: list[AlertOut]


def _staff(refusal: str) -> Actor:
    actor = current_actor()
    if not actor.is_staff:
        raise Forbidden(refusal, "authorization")
    return actor


def _supervises(actor: Actor) -> bool:
    return actor.role in ("supervisor", "admin")


def _visible(actor: Actor, counter: int | None = None) -> list[dict]:
    found = alerts.open_alerts(hall_context(), actor.hall_id)
    if not _supervises(actor):
        counter = actor.counter_id
        if counter is None:
            return []
    if counter is not None:
        found = [a for a in found if a["counter_id"] == counter]
    return found


@api.get("/alerts", responses={"200": AlertsOut})
def index(query: AlertsQuery):
    """Open alerts, newest first: all of the hall for supervisors, else the own counter's."""
    actor = _staff(N_("Only staff see alerts"))
    return {"alerts": _visible(actor, query.counter)}


@api.post("/alerts/<int:alert_id>/ack", responses={"200": AlertOut})
def ack(path: AlertPath, body: AckBody):
    actor = _staff(N_("Only staff acknowledge alerts"))
    if not _supervises(actor) and path.alert_id not in {a["id"] for a in _visible(actor)}:
        raise NotFound("alert", "alert_id")  # not theirs: as if it did not exist
    return alerts.acknowledge(hall_context(), alert_id=path.alert_id, actor=actor,
                              note=body.note).value
