"""Devices report their health; supervisors read every device's last report."""
from __future__ import annotations

from typing import Any, Literal

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ConfigDict, Field

from hall.api.identity import current_actor
from hall.api.schemas import ErrorResponse, Generic
from hall.app import hall_context
from hall.domain.errors import DomainError, Forbidden
from hall.domain.i18n import N_
from hall.services import devices

api = APIBlueprint("devices", __name__, url_prefix="/api/v1/devices",
                   abp_tags=[Tag(name="devices")],
                   abp_responses={"401": ErrorResponse, "403": ErrorResponse,
                                  "404": ErrorResponse, "422": ErrorResponse})
SECURED = [{"device": []}, {"session": []}]


class HealthBody(BaseModel):
    """A device's (or its agent's) report; unknown device-specific keys are kept."""

    model_config = ConfigDict(extra="allow")
    online: bool = True
    paper: Literal["ok", "near_end", "out", "unknown"] | None = None
    cover_open: bool | None = None
    errors: int | None = Field(default=None, ge=0)
    error: str | None = Field(default=None, max_length=200)
    device_id: int | None = Field(default=None, ge=1,
                                  description="an agent reporting for a device it runs")


@api.post("/me/health", responses={"200": Generic}, security=[{"device": []}])
def report(body: HealthBody):
    actor = current_actor()
    if actor.kind != "device":
        raise DomainError("device_only", N_("Only a device reports its health"),
                          "authorization")
    target = body.device_id or actor.id
    if target != actor.id and actor.role != "agent":
        raise Forbidden(N_("A device reports only its own health"), "device_id")
    health: dict[str, Any] = body.model_dump(exclude={"device_id"}, exclude_none=True)
    return devices.report_health(hall_context(), device_id=target, health=health).value


@api.get("/me", responses={"200": Generic}, security=[{"device": []}])
def me():
    """Who this token is: agents and bridges learn their device id, hall and counter."""
    actor = current_actor()
    if actor.kind != "device":
        raise DomainError("device_only", N_("Only a device reports its health"),
                          "authorization")
    return {"id": actor.id, "kind": actor.role, "hall_id": actor.hall_id,
            "counter_id": actor.counter_id, "name": actor.label}


@api.get("", responses={"200": Generic}, security=SECURED)
def board():
    actor = current_actor()
    if not (actor.is_staff and actor.role in ("supervisor", "admin")):
        raise Forbidden(N_("Only supervisors see device health"), "authorization")
    return {"devices": devices.health_board(hall_context(), actor.hall_id)}
