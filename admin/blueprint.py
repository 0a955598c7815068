"""The admin blueprint object, apart from the modules that add routes to it (they import
it from here, so the package imports them without an import circle)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates",
               static_folder="static", static_url_path="/static")
