"""Appointment booking page (预约), for a visitor's phone: department → service → day → slot
→ phone number → the code to check in with; and "my appointment" (look up, cancel).

The page is a shell rendered with the hall's bookable services; ``static/booking/book.js``
walks the steps through the public JSON API (/api/v1/appointments…). No inline script or
style (the CSP below forbids them); fonts come from the npm install under /display/vendor/.
``/book`` serves the server's first hall, ``/book/<hall code>`` a given one.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template
from flask_babel import get_locale, gettext

from hall.domain.errors import DomainError
from hall.services.queue import booking_catalog
from hall.web.context import hall_context

bp = Blueprint("booking", __name__, template_folder="templates", static_folder="static",
               static_url_path="/book/static")



def _page_context(tz: str | None = None) -> dict[str, Any]:
    """Language and zone; ``tz`` is the hall's own once the page knows its hall."""
    locale = str(get_locale() or "zh_CN")
    return {"lang": "en" if locale.startswith("en") else "zh-CN",
            "tz": tz or current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")}


@bp.get("/book")
@bp.get("/book/<hall_code>")
def book_page(hall_code: str | None = None):
    try:
        catalog = booking_catalog.catalog(hall_context(), hall_code)
    except DomainError:
        html = render_template("booking/missing.html", **_page_context(),
                               title=gettext("No such hall"),
                               detail=gettext("Check the address, or ask the hall for the "
                                              "booking link."))
        return html, 404
    html = render_template("booking/book.html", catalog=catalog, hall=catalog["hall"],
                           **_page_context(catalog["hall"]["timezone"]))
    return html, 200
