"""Hall configuration (admins): departments, services and their guides, counters and the
services each serves."""
from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from hall.api.schemas import ErrorResponse

api = APIBlueprint("config", __name__, url_prefix="/api/v1/config", abp_tags=[Tag(name="config")],
                   abp_responses={"401": ErrorResponse, "403": ErrorResponse,
                                  "422": ErrorResponse})
