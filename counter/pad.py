"""Rating pad page (评价器): filled in by issue 6."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("pad", __name__, template_folder="templates", static_folder="static",
               static_url_path="/pad/static")
