"""Administration (admins): staff accounts and roles, hall settings, the audit log, layout
import and export."""
from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from hall.api.schemas import ErrorResponse

api = APIBlueprint("admin_api", __name__, url_prefix="/api/v1/admin", abp_tags=[Tag(name="admin")],
                   abp_responses={"401": ErrorResponse, "403": ErrorResponse,
                                  "422": ErrorResponse})
