"""Kiosk blueprint (取号机): touch pages, take a number, print the ticket."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("kiosk", __name__, template_folder="templates", static_folder="static",
               static_url_path="/kiosk/static")

from kiosk import views  # noqa: E402,F401 - routes register on import
