"""What every server-rendered page is given, and where phones reach this server."""
from __future__ import annotations

import os
from typing import Any

from flask import Response, current_app, make_response, request
from flask_babel import get_locale

from hall.services.config import zone
from hall.web.context import hall_context


def page_context(hall_id: int | None = None) -> dict[str, Any]:
    """The page's language (``lang`` for <html>, ``locale`` for the catalogs) and the zone
    its times are shown in: the hall's own when the page knows its hall (``hall_id``), the
    app's default only for a page that knows none (sign-in, pairing)."""
    locale = str(get_locale() or "zh_CN")
    tz = (zone.timezone(hall_context(), hall_id) if hall_id is not None
          else current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))
    return {"lang": "en" if locale.startswith("en") else "zh-CN", "locale": locale, "tz": tz}


def base_url() -> str:
    """Where phones reach this server, for the QR code (a hall's ``public_url`` setting
    overrides it in the service layer)."""
    return (current_app.config.get("PUBLIC_URL") or os.environ.get("HALL_PUBLIC_URL")
            or request.host_url).rstrip("/")


def fresh(body: Any, status: int = 200) -> Response:
    """A page whose content changes or is someone's own (a case, a pairing code, the
    console): never kept by a browser or a proxy. Its Content-Security-Policy and the other
    security headers are added to every response in one place (hall/web/security.py)."""
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response
