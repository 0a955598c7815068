"""Device pairing: a new device asks with a short code, an admin approves it, the device claims
its own token once (hall/services/devices/pairing.py).

``POST ""`` and ``POST /claim`` are public: the asking device has no token yet, and what it
gets back (a code to show, then its token) is bound to the claim secret only it holds. The
rest is for admins; their role — and a cookie session's CSRF token — is checked before a
body is validated.
"""
from __future__ import annotations

from typing import Literal

from flask import request, url_for
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ConfigDict, Field

from hall.api.schemas import ErrorResponse, Strict
from hall.domain.text import CONTROL
from hall.services.devices import pairing
from hall.web.auth import admins_only, current_actor
from hall.web.context import hall_context

api = APIBlueprint("pairing", __name__, url_prefix="/api/v1/pairings",
                   abp_tags=[Tag(name="pairing")],
                   abp_responses={"401": ErrorResponse, "403": ErrorResponse,
                                  "422": ErrorResponse})
PUBLIC = frozenset({"ask", "claim"})  # the views a device without a token calls
SECURED = [{"session": []}]
REFUSALS = {"404": ErrorResponse, "409": ErrorResponse}
Kind = Literal["kiosk", "screen", "pad", "agent", "printer"]
MAX_ID = 2**31 - 1


@api.before_request
def _admins_decide():
    if request.endpoint and request.endpoint.rsplit(".", 1)[-1] not in PUBLIC:
        admins_only()


class DeviceInfo(Strict):
    screen: str | None = Field(default=None, pattern=r"^\d{2,5}x\d{2,5}$",
                               description="the device's screen, e.g. 1920x1080")
    host: str | None = Field(default=None, max_length=64, description="an agent's host name")


class AskBody(Strict):
    kind: Kind = Field(description="what the device is")
    name: str = Field(default="", max_length=100, description="a name it suggests")
    info: DeviceInfo | None = None
    hall: str | None = Field(default=None, pattern=r"^[A-Za-z0-9]{1,20}$",
                             description="the hall's code, if the device knows it: only "
                                         "that hall's admins see the request, and it waits "
                                         "in that hall's queue")


class Asked(BaseModel):
    id: int
    code: str = Field(description="show it large: the admin types it to approve")
    secret: str = Field(description="keep it: it claims the token (never show it)")
    expires_at: str
    poll_s: int = Field(description="ask /claim again after this many seconds")


class ClaimBody(Strict):
    model_config = ConfigDict(**Strict.model_config | {"str_strip_whitespace": False})

    id: int = Field(ge=1, le=MAX_ID)
    secret: str = Field(pattern=r"^[A-Za-z0-9_-]{16,64}$",
                        description="the secret /pairings answered (URL-safe Base64)")


class Waiting(BaseModel):
    state: Literal["pending"]
    expires_at: str
    poll_s: int


class Claimed(BaseModel):
    state: Literal["claimed"]
    token: str = Field(description="the device's own token, given this once")
    device_id: int
    kind: str
    name: str
    hall_id: int
    counter_id: int | None
    counter_number: int | None
    page: str | None = Field(description="the device's page here (none for an agent)")


class PendingOut(BaseModel):
    id: int
    kind: str
    name: str
    info: dict = Field(description="what the device said (screen, host) and where it asked "
                                   "from (ip, browser)")
    created_at: str
    expires_at: str


class PendingList(BaseModel):
    pairings: list[PendingOut]


class PairingPath(BaseModel):
    pairing_id: int = Field(ge=1, le=MAX_ID)


class ApproveBody(Strict):
    code: str = Field(pattern=r"^\d{6}$", description="the code the device shows")
    kind: Kind | None = Field(default=None, description="default: what the device asked as")
    name: str | None = Field(default=None, max_length=100)
    counter: int | None = Field(default=None, ge=1, le=999,
                                description="window number: a pad's or a printer's counter, "
                                            "or the window a screen shows (none: the hall "
                                            "screen)")


class ApprovedDevice(BaseModel):
    id: int
    kind: str
    counter_id: int | None


class Approved(BaseModel):
    id: int
    state: Literal["approved"]
    device: ApprovedDevice


class Rejected(BaseModel):
    id: int
    state: Literal["rejected"]


@api.post("", responses={"201": Asked, "404": ErrorResponse, "429": ErrorResponse},
          security=[])
def ask(body: AskBody):
    """A device without a token asks to be paired; show the code, keep the secret."""
    info = body.info.model_dump(exclude_none=True) if body.info else {}
    # a header no body check sees: its control characters dropped (hall/domain/text.py)
    browser = CONTROL.sub("", request.user_agent.string)[:200]
    info |= {"ip": request.remote_addr, "browser": browser}
    return pairing.request_pairing(hall_context(), body.kind, body.name, info,
                                   address=request.remote_addr, hall=body.hall).value, 201


@api.post("/claim", responses={"200": Claimed, "202": Waiting, **REFUSALS}, security=[])
def claim(body: ClaimBody):
    """202 while an admin has not decided; 200 with the token once approved (only once)."""
    value = pairing.claim(hall_context(), body.id, body.secret, ip=request.remote_addr).value
    if value["state"] == "pending":
        return value, 202
    return {**value, "page": device_page(value)}


@api.get("", responses={"200": PendingList}, security=SECURED)
def waiting():
    """Requests waiting for an admin in this hall (codes are never listed)."""
    return {"pairings": pairing.pending(hall_context(), current_actor().hall_id)}


@api.post("/<int:pairing_id>/approve", responses={"200": Approved, **REFUSALS},
          security=SECURED)
def approve(path: PairingPath, body: ApproveBody):
    return pairing.approve(hall_context(), current_actor(), path.pairing_id, body.code,
                           kind=body.kind, name=body.name, counter_number=body.counter,
                           ip=request.remote_addr).value


@api.post("/<int:pairing_id>/reject", responses={"200": Rejected, **REFUSALS},
          security=SECURED)
def reject(path: PairingPath):
    return pairing.reject(hall_context(), current_actor(), path.pairing_id,
                          ip=request.remote_addr).value


def device_page(device: dict) -> str | None:
    """Where a paired device's browser goes; an agent (or the printer bridge it runs) is a
    program and has no page."""
    kind, device_id = device["kind"], device["device_id"]
    if kind == "kiosk":
        return url_for("kiosk.page", device=device_id)
    if kind == "pad":
        return url_for("pad.page", device_id=device_id)
    if kind == "screen" and device["counter_id"] is not None:
        return url_for("display.counter_screen", counter_id=device["counter_id"])
    if kind == "screen":
        return url_for("display.hall_screen", screen=device_id)
    return None
