"""Admin blueprint: device health, follow-ups, (later) supervision board and reports."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates",
               static_folder="static", static_url_path="/static")

from admin import (  # noqa: E402,F401 - routes register on import
    board,
    cases,
    console,
    devices,
    followups,
    people,
    reports,
)
