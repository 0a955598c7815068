"""Devices report their health; supervisors read every device's last report; admins revoke
a device's token (its live connections drop at once, hall/realtime/live.py)."""
from __future__ import annotations

from typing import Any, Literal

from flask import current_app, request
from flask_babel import gettext
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ConfigDict, Field

from hall.api.schemas import ErrorResponse, Id, Strict
from hall.domain.errors import Forbidden
from hall.domain.i18n import N_
from hall.services.config import accounts
from hall.services.devices import health as devices
from hall.services.devices import transport
from hall.web.auth import current_actor, require_staff
from hall.web.context import hall_context

api = APIBlueprint("devices", __name__, url_prefix="/api/v1/devices",
                   abp_tags=[Tag(name="devices")],
                   abp_responses={"401": ErrorResponse, "403": ErrorResponse,
                                  "404": ErrorResponse, "422": ErrorResponse})
SECURED = [{"device": []}, {"session": []}]


class HealthBody(Strict):
    """A device's (or its agent's) report; unknown device-specific keys are kept."""

    model_config = ConfigDict(**Strict.model_config | {"extra": "allow"})
    online: bool = True
    paper: Literal["ok", "near_end", "out", "unknown"] | None = None
    cover_open: bool | None = None
    errors: int | None = Field(default=None, ge=0)
    error: str | None = Field(default=None, max_length=200,
                              description="the last error; null clears it")
    page_version: str | None = Field(default=None, max_length=40,
                                     description="a page device's code version")
    device_id: Id | None = Field(default=None,
                                 description="an agent reporting for a device it runs")


class DeviceHealth(BaseModel):
    id: int
    kind: str
    name: str
    counter_id: int | None
    last_seen: str | None
    health: dict = Field(description="the last report, merged with earlier ones")


class DeviceMe(BaseModel):
    id: int
    kind: str
    hall_id: int
    counter_id: int | None
    name: str
    url: str | None = Field(default=None, description="the address saved in the console "
                            "(/admin/devices): a bridge uses it over its own table's")


class DeviceListed(DeviceHealth):
    url: str | None = Field(description="its printer's address, when the server drives it")


class DevicesOut(BaseModel):
    devices: list[DeviceListed]


@api.post("/me/health", responses={"200": DeviceHealth}, security=[{"device": []}])
def report(body: HealthBody):
    actor = current_actor()
    if actor.kind != "device":
        raise Forbidden(N_("Only a device reports its health"), "authorization")
    target = body.device_id or actor.id
    if target != actor.id and actor.role != "agent":
        raise Forbidden(N_("A device reports only its own health"), "device_id")
    # a field sent as null clears what was reported before (an error that is over); a
    # field left out keeps it; every report says the device is online unless it says not
    health: dict[str, Any] = body.model_dump(exclude={"device_id"}, exclude_unset=True)
    health["online"] = body.online
    return devices.report_health(hall_context(), device_id=target, health=health).value


@api.get("/me", responses={"200": DeviceMe}, security=[{"device": []}])
def me():
    """Who this token is: agents and bridges learn their device id, hall and counter."""
    actor = current_actor()
    if actor.kind != "device":
        raise Forbidden(N_("Only a device reports its health"), "authorization")
    return {"id": actor.id, "kind": actor.role, "hall_id": actor.hall_id,
            "counter_id": actor.counter_id, "name": actor.label,
            "url": transport.saved_url(hall_context(), actor.id)}


@api.get("", responses={"200": DevicesOut}, security=SECURED)
def board():
    actor = current_actor()
    if not (actor.is_staff and actor.role in ("supervisor", "admin")):
        raise Forbidden(N_("Only supervisors see device health"), "authorization")
    return {"devices": devices.health_board(hall_context(), actor.hall_id)}


class DevicePath(BaseModel):
    device_id: int = Field(ge=1, le=2**31 - 1)


class Revoked(BaseModel):
    id: int
    revoked: Literal[True]
    revoked_at: str


@api.post("/<int:device_id>/revoke", responses={"200": Revoked}, security=[{"session": []}])
def revoke(path: DevicePath):
    """Admins: the device's token stops working now and its live connections are dropped."""
    actor = require_staff("admin")
    return accounts.revoke_device(hall_context(), path.device_id, actor=actor,
                                  ip=request.remote_addr).value


class UrlBody(BaseModel):
    url: str | None = Field(default=None, max_length=300,
                            description="the device's transport, e.g. escpos+tcp://HOST:9100; "
                                        "null or empty: none (an agent drives it)")


class DeviceUrl(BaseModel):
    id: int
    kind: str
    name: str
    url: str | None


@api.put("/<int:device_id>/url", responses={"200": DeviceUrl}, security=[{"session": []}])
def set_url(path: DevicePath, body: UrlBody):
    """Admins: where the server reaches the device (a kiosk's or window's printer, an LED
    bus with the sign's address, a keypad bus); checked, audited, used from the next job."""
    actor = require_staff("admin")
    return transport.set_url(hall_context(), device_id=path.device_id, url=body.url,
                             actor=actor, check=current_app.extensions.get("hall.device_url"),
                             ip=request.remote_addr).value


class DeviceTested(BaseModel):
    id: int
    state: Literal["ok", "failed", "sent"] = Field(
        description="ok / failed: the server drove the device itself; sent: its agent's "
                    "bridge answers as the device's health ``test``")
    error: str | None = Field(description="why the test failed, in the page's language")
    message: str
    health: dict | None = None


@api.post("/<int:device_id>/test", responses={"200": DeviceTested},
          security=[{"session": []}])
def test(path: DevicePath):
    """Admins: a test slip on a printer, a test text on a sign, a beep on a keypad."""
    actor = require_staff("admin")
    return transport.test_device(hall_context(), device_id=path.device_id, actor=actor,
                                 printer=current_app.extensions.get("hall.printer"),
                                 translate=gettext,
                                 timeout=current_app.config.get("PRINT_TIMEOUT"))
