"""What every server-rendered page is given, and where phones reach this server."""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, make_response, request
from flask_babel import get_locale

from hall.services.config import settings, zone
from hall.web.context import hall_context


def page_context(hall_id: int | None = None) -> dict[str, Any]:
    """The page's language (``lang`` for <html>, ``locale`` for the catalogs) and the zone
    its times are shown in: the hall's own when the page knows its hall (``hall_id``), the
    app's default only for a page that knows none (sign-in, pairing)."""
    locale = str(get_locale() or "zh_CN")
    tz = (zone.timezone(hall_context(), hall_id) if hall_id is not None
          else current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))
    return {"lang": "en" if locale.startswith("en") else "zh-CN", "locale": locale, "tz": tz,
            "page_version": page_version(),
            "heartbeat_s": current_app.config.get("DEVICE_HEARTBEAT_SECONDS", 30)}


def page_version() -> str:
    """The version of the pages' code a device runs: the package's version and a digest of
    every blueprint's scripts and styles, so /admin/devices tells a screen still showing
    an old page after an upgrade (its heartbeat reports this)."""
    folders = tuple(sorted({bp.static_folder for bp in current_app.blueprints.values()
                            if bp.static_folder}))
    return _digest(folders)


@lru_cache(maxsize=4)
def _digest(folders: tuple[str, ...]) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        release = version("hall")
    except PackageNotFoundError:
        release = "0"
    h = hashlib.sha1()
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.suffix in (".js", ".css") and path.is_file():
                h.update(path.name.encode())
                h.update(path.read_bytes())
    return f"{release}+{h.hexdigest()[:8]}"


def base_url(hall_id: int | None = None) -> str:
    """Where phones reach this server — the QR codes on tickets and papers, and the one
    answer for anything that checks where a request should come from: the hall's
    ``public_url`` setting (/admin/settings, the layout's ``[hall]``), else
    ``HALL_PUBLIC_URL``, else the address this request came to."""
    return (settings.public_url(hall_context(), hall_id)
            or configured_base_url(current_app) or request.host_url).rstrip("/")


def configured_base_url(app: Flask) -> str:
    """The server's public base URL as configured (``HALL_PUBLIC_URL``), or ""."""
    return (app.config.get("PUBLIC_URL") or os.environ.get("HALL_PUBLIC_URL") or "").rstrip("/")


def origin_allowed(app: Flask, origin: str | None, environ: dict[str, Any]) -> bool:
    """Whether a Socket.IO handshake may come from a page of ``origin``: the request's own
    scheme and host (the page came from here), the configured public base URL, or a hall's
    ``public_url``. Anything else — a page on another port or host — is refused, so it
    cannot open a socket with a supervisor's cookie. Clients that send no Origin (devices,
    agents) are not browsers and are not asked (python-engineio checks only a sent one).
    Called by python-engineio outside any request, hence ``app``."""
    if not origin:
        return False
    own = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
    halls = settings.public_urls(hall_context(app))
    trusted = {_origin(url) for url in (own, configured_base_url(app), *halls) if url}
    return _origin(origin) in trusted


def _origin(url: str) -> str:
    """scheme://host[:port], lower case, default ports left out (as browsers send it)."""
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if ":" in host:  # IPv6
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        return ""
    if port is None or (scheme, port) in (("http", 80), ("https", 443)):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def fresh(body: Any, status: int = 200) -> Response:
    """A page whose content changes or is someone's own (a case, a pairing code, the
    console): never kept by a browser or a proxy. Its Content-Security-Policy and the other
    security headers are added to every response in one place (hall/web/security.py)."""
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response
