"""Appointment booking page (预约), phone-friendly: filled in by issue 5."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("booking", __name__, template_folder="templates", static_folder="static",
               static_url_path="/book/static")
