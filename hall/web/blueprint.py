"""The web floor's blueprint: what every room shares — the page template they extend
(``web/page.html``), the API wrapper their scripts import (``/web/static/api.js``), the form
for changing one's own password (``web/password_form.html`` with ``/web/static/password.js``)
— and the two pages that belong to no room: the start page ``/``, which links the rooms,
and the page an unknown address gets (``web/not_found.html``, rendered by ``errors.py``)."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, render_template
from werkzeug.wrappers import Response

from hall.services.staff import photos
from hall.web.pages import page_context

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/web/static")


@bp.get("/")
def start():
    """Where each room starts; no token in it (a device gets its own by pairing)."""
    return render_template("web/start.html", **page_context())


@bp.get("/photos/<name>")
def staff_photo(name: str):
    """A 值班牌 photo for the window screen and the rating pad: its random name (new with
    each upload) is its only key; the file is one Hall re-encoded, never the upload."""
    found = photos.photo_file(photos.folder_of(current_app.config["INSTANCE"]), name)
    if found is None:
        abort(404)
    return photo_response(found)


def photo_response(found: Path) -> Response:
    """A stored photo (a few dozen kB, read whole): a JPEG, shown inline, never sniffed as
    anything else, cached a day (a new photo has a new name)."""
    return Response(found.read_bytes(), mimetype="image/jpeg", headers={
        "Content-Disposition": "inline", "Content-Security-Policy": "default-src 'none'",
        "Cache-Control": "private, max-age=86400"})
