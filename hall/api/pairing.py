"""Device pairing: a new device asks with a short code, an admin approves it, the device claims
its own token once."""
from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from hall.api.schemas import ErrorResponse

api = APIBlueprint("pairing", __name__, url_prefix="/api/v1/pairings",
                   abp_tags=[Tag(name="pairing")],
                   abp_responses={"401": ErrorResponse, "403": ErrorResponse,
                                  "422": ErrorResponse})
