"""Counter blueprint (叫号器): the staff terminal."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("counter", __name__, template_folder="templates", static_folder="static",
               static_url_path="/counter/static")

from counter import views  # noqa: E402,F401 - routes register on import
