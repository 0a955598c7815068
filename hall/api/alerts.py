"""Placeholder: filled in by its issue's work."""
from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

api = APIBlueprint("alerts", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="alerts")])
