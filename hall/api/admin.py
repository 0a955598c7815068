"""Administration (admins): staff accounts and roles, hall settings and notices, the audit
log, layout export (TOML download) and import (preview, then apply).

Every route is for admins only (``admins_only`` runs before the body is read; a cookie
session also needs its CSRF header on writes). Views validate, call one service with the
caller and their address (for the audit log), and return JSON.
"""
from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from flask import Response, current_app, request
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field, create_model
from pydantic.fields import FieldInfo

from hall.api.schemas import ErrorResponse, Moment, Strict
from hall.domain.errors import DomainError, NotFound
from hall.domain.i18n import N_
from hall.services.config import audit, staff_admin
from hall.services.config import settings as hall_settings
from hall.services.config.layout import exchange as layout
from hall.services.config.layout.spec import HallSpec, NoticeSpec, StaffSpec
from hall.services.staff import photos
from hall.web.auth import admins_only, current_actor
from hall.web.blueprint import photo_response
from hall.web.context import hall_context
from hall.web.security import LAYOUT_CHARS, PHOTO_BODY

api = APIBlueprint("admin_api", __name__, url_prefix="/api/v1/admin", abp_tags=[Tag(name="admin")],
                   abp_responses={"401": ErrorResponse, "403": ErrorResponse,
                                  "422": ErrorResponse})
api.before_request(admins_only)
SECURED = [{"session": []}]
MISSING = {"404": ErrorResponse}
CONFLICT = {"409": ErrorResponse}
# refusals that are about the hall's state, not the request's shape


MAX_ID = 2**31 - 1  # an id the databases' INTEGER columns can hold


class StaffPath(BaseModel):
    staff_id: int = Field(ge=1, le=MAX_ID)


def _optional(spec: type[BaseModel], *names: str) -> dict[str, Any]:
    """Fields of ``spec`` with its own constraints, each optional (None: leave as is)."""
    return {name: (spec.model_fields[name].annotation | None,
                   FieldInfo.merge_field_infos(spec.model_fields[name], default=None))
            for name in names}


# what PUT changes of an account, validated exactly as a layout file's [[staff]] entry
StaffChange = create_model("StaffChange", __base__=Strict,
                           **_optional(StaffSpec, "name", "number", "role", "department"))


class StaffOut(BaseModel):
    id: int
    login: str
    name: str
    number: str
    role: str
    active: bool
    locked: bool = Field(description="sign-ins refused after repeated failures, until unlocked")
    failed_logins: int
    locked_until: datetime | None
    last_login_at: datetime | None
    auth_version: int
    must_change_password: bool = Field(
        description="signed in with a one-time password that is not replaced yet")
    department_id: int | None = Field(default=None, description="the unit seconded from")
    has_photo: bool = False


class StaffList(BaseModel):
    staff: list[StaffOut]


class StaffOne(BaseModel):
    staff: StaffOut


class StaffWithPassword(BaseModel):
    staff: StaffOut
    password: str = Field(description="one-time password: shown once, never stored")


class PhotoBody(Strict):
    # as long as the endpoint's body allows: a file over photos.MAX_BYTES is refused by
    # the service as photo_too_large, saying so, rather than here as a string's length
    photo: str = Field(max_length=PHOTO_BODY,
                       description="the image file (JPEG, PNG or WebP, at most 2 MB), base64")


class PhotoOut(BaseModel):
    photo: str | None = Field(description="the stored file's name (served at /photos/NAME)")


class Notices(Strict):
    notices: list[NoticeSpec] = Field(max_length=50)


class AuditQuery(BaseModel):
    entity: str | None = Field(default=None, max_length=32)
    entity_id: str | None = Field(default=None, max_length=64)
    actor: str | None = Field(default=None, max_length=60, description="e.g. staff:admin:3")
    since: Moment | None = None
    until: Moment | None = None
    before_id: int | None = Field(default=None, ge=1, le=2**63 - 1,
                                  description="the last id of a page")
    limit: int = Field(default=50, ge=1, le=500)


class AuditEntryOut(BaseModel):
    id: int
    hall_id: int | None
    at: str
    actor: str
    actor_name: str
    action: str
    entity: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    ip: str | None


class AuditPage(BaseModel):
    entries: list[AuditEntryOut]
    next_before_id: int | None = Field(description="pass as before_id for the next page")


class LayoutBody(Strict):
    toml: str = Field(min_length=1, max_length=LAYOUT_CHARS, description=(
        f"a layout file's text; the body may take 1 MiB, which holds {LAYOUT_CHARS:,} "
        "characters however they are escaped"))
    dry_run: bool = Field(default=True, description="only say what would change")


class ChangeOut(BaseModel):
    key: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class SectionOut(BaseModel):
    added: list[str]
    changed: list[ChangeOut]
    deactivated: list[str]
    kept: list[str] = Field(description="missing from the file but kept (departments, you)")
    unchanged: int


class ImportOut(BaseModel):
    hall: str
    hall_id: int | None
    dry_run: bool
    changes: dict[str, SectionOut]


TOML_FILE = {"description": "the layout file (hall seed reads it)",
             "content": {"application/toml": {"schema": {"type": "string"}}}}


def _ip() -> str | None:
    return request.remote_addr


def _out(model: type[BaseModel], value: Any) -> dict[str, Any]:
    return model.model_validate(value).model_dump(mode="json")


# --- staff ------------------------------------------------------------------------------

@api.get("/staff", responses={"200": StaffList}, security=SECURED)
def staff_index():
    actor = current_actor()
    return _out(StaffList, {"staff": staff_admin.list_staff(hall_context(), actor.hall_id)})


@api.post("/staff", responses={"201": StaffWithPassword, **CONFLICT}, security=SECURED)
def staff_create(body: StaffSpec):
    value = staff_admin.create(hall_context(), current_actor(), body, ip=_ip()).value
    return _out(StaffWithPassword, value), 201


@api.put("/staff/<int:staff_id>", responses={"200": StaffOne, **MISSING, **CONFLICT},
         security=SECURED)
def staff_update(path: StaffPath, body: StaffChange):
    return _out(StaffOne, staff_admin.change(
        hall_context(), current_actor(), path.staff_id, ip=_ip(),
        **body.model_dump(exclude_none=True)).value)


@api.post("/staff/<int:staff_id>/reset-password",
          responses={"200": StaffWithPassword, **MISSING}, security=SECURED)
def staff_reset_password(path: StaffPath):
    return _out(StaffWithPassword, staff_admin.reset_password(
        hall_context(), current_actor(), path.staff_id, ip=_ip()).value)


@api.post("/staff/<int:staff_id>/deactivate", responses={"200": StaffOne, **MISSING, **CONFLICT},
          security=SECURED)
def staff_deactivate(path: StaffPath):
    return _out(StaffOne, staff_admin.set_active(
        hall_context(), current_actor(), path.staff_id, False, ip=_ip()).value)


@api.post("/staff/<int:staff_id>/activate", responses={"200": StaffOne, **MISSING},
          security=SECURED)
def staff_activate(path: StaffPath):
    return _out(StaffOne, staff_admin.set_active(hall_context(), current_actor(),
                                                 path.staff_id, True, ip=_ip()).value)


@api.post("/staff/<int:staff_id>/unlock", responses={"200": StaffOne, **MISSING},
          security=SECURED)
def staff_unlock(path: StaffPath):
    return _out(StaffOne, staff_admin.unlock(hall_context(), current_actor(), path.staff_id,
                                             ip=_ip()).value)


def _photos():
    return photos.folder_of(current_app.config["INSTANCE"])


@api.put("/staff/<int:staff_id>/photo", responses={"200": PhotoOut, **MISSING},
         security=SECURED)
def staff_photo_upload(path: StaffPath, body: PhotoBody):
    """The 值班牌 photo: decoded with Pillow, re-encoded as JPEG, kept outside the web root."""
    try:
        data = base64.b64decode(body.photo, validate=True)
    except (binascii.Error, ValueError):
        raise DomainError("invalid_photo", N_("Choose a photo (JPEG, PNG or WebP)"),
                          "photo") from None
    return _out(PhotoOut, photos.upload(hall_context(), current_actor(), path.staff_id, data,
                                        _photos(), ip=_ip()))


@api.delete("/staff/<int:staff_id>/photo", responses={"200": PhotoOut, **MISSING},
            security=SECURED)
def staff_photo_remove(path: StaffPath):
    return _out(PhotoOut, photos.remove(hall_context(), current_actor(), path.staff_id,
                                        _photos(), ip=_ip()))


@api.get("/staff/<int:staff_id>/photo", responses={"200": {"description": "image/jpeg"},
                                                    **MISSING}, security=SECURED)
def staff_photo_show(path: StaffPath):
    name = photos.photo_of(hall_context(), current_actor(), path.staff_id)
    found = photos.photo_file(_photos(), name) if name else None
    if found is None:
        raise NotFound("photo", "staff_id")
    return photo_response(found)


# --- settings and notices ---------------------------------------------------------------

@api.get("/settings", responses={"200": HallSpec}, security=SECURED)
def settings_show():
    spec = hall_settings.get_settings(hall_context(), current_actor().hall_id)
    return spec.model_dump(mode="json")


@api.put("/settings", responses={"200": HallSpec}, security=SECURED)
def settings_update(body: HallSpec):
    actor = current_actor()
    return hall_settings.update_settings(hall_context(), actor, actor.hall_id, body,
                                         ip=_ip()).value.model_dump(mode="json")


@api.get("/notices", responses={"200": Notices}, security=SECURED)
def notices_show():
    notices = hall_settings.get_notices(hall_context(), current_actor().hall_id)
    return _out(Notices, {"notices": notices})


@api.put("/notices", responses={"200": Notices}, security=SECURED)
def notices_update(body: Notices):
    actor = current_actor()
    notices = hall_settings.set_notices(hall_context(), actor, actor.hall_id, body.notices,
                                        ip=_ip()).value
    return _out(Notices, {"notices": notices})


# --- audit log --------------------------------------------------------------------------

@api.get("/audit", responses={"200": AuditPage}, security=SECURED)
def audit_log(query: AuditQuery):
    entries = audit.entries(hall_context(), current_actor().hall_id, **query.model_dump())
    more = len(entries) == query.limit
    return _out(AuditPage, {"entries": entries,
                            "next_before_id": entries[-1]["id"] if more else None})


# --- layout -----------------------------------------------------------------------------

@api.get("/layout", responses={"200": TOML_FILE}, security=SECURED)
def layout_export():
    spec = layout.export_layout(hall_context(), current_actor().hall_id)
    return Response(layout.dump_toml(spec), mimetype="application/toml", headers={
        "Content-Disposition": f'attachment; filename="{spec.hall.code}-layout.toml"'})


@api.post("/layout", responses={"200": ImportOut, **CONFLICT}, security=SECURED)
def layout_import(body: LayoutBody):
    spec = layout.parse_toml(body.toml)
    return _out(ImportOut, layout.import_layout(
        hall_context(), current_actor(), spec, body.dry_run, ip=_ip(),
        check=current_app.extensions.get("hall.device_url")).value)
