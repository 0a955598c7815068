"""The web floor's blueprint: what every room shares — the page template they extend
(``web/page.html``), the API wrapper their scripts import (``/web/static/api.js``), the form
for changing one's own password (``web/password_form.html`` with ``/web/static/password.js``)
— and the two pages that belong to no room: the start page ``/``, which links the rooms,
and the page an unknown address gets (``web/not_found.html``, rendered by ``errors.py``)."""
from __future__ import annotations

from flask import Blueprint, render_template

from hall.web.pages import page_context

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/web/static")


@bp.get("/")
def start():
    """Where each room starts; no token in it (a device gets its own by pairing)."""
    return render_template("web/start.html", **page_context())
