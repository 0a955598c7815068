"""What every server-rendered page is given, and where phones reach this server."""
from __future__ import annotations

import os
from typing import Any

from flask import Response, current_app, make_response, request
from flask_babel import get_locale


def page_context() -> dict[str, Any]:
    """The page's language (``lang`` for <html>, ``locale`` for the catalogs) and the zone
    its clock starts in (a page that knows its hall shows the hall's own zone instead)."""
    locale = str(get_locale() or "zh_CN")
    return {"lang": "en" if locale.startswith("en") else "zh-CN", "locale": locale,
            "tz": current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")}


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
