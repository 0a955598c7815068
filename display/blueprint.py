"""The display blueprint object, apart from the modules that add routes to it (they import
it from here, so the package imports them without an import circle)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("display", __name__, template_folder="templates", static_folder="static",
               static_url_path="/display/static")
