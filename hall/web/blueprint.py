"""The web floor's blueprint: no routes of its own, only what every room shares: the page
template they extend (``web/page.html``), the API wrapper their scripts import
(``/web/static/api.js``), and the form for changing one's own password
(``web/password_form.html`` with ``/web/static/password.js``)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/web/static")
