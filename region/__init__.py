"""The region's web app (DESIGN.md §8, issue 23): the region board, reports and 月通报 over
the halls under a region account's place, on the region's database, served by
``hall region serve``. Built by ``create_app`` in the hall's factory style: config from the
environment and overrides, Babel, CSRF, the blueprints, the hall's security headers and
error answers. Every page and API call reads through ``region.auth``, the one fence: an
account sees the halls of its place and below (hall/services/region/tree.py ``covered``)."""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from typing import Any

from flask import Flask, request, session

from hall.extensions import babel, csrf
from hall.services.context import Clock, SystemClock
from hall.services.wiring import make_context
from hall.store.db import make_engine

LANGUAGES = ("zh_CN", "en")


def _locale() -> str:
    wanted = request.args.get("lang") or session.get("lang")
    if wanted in LANGUAGES:
        return wanted
    return request.accept_languages.best_match(LANGUAGES, default="zh_CN") or "zh_CN"


def create_app(database_url: str, overrides: dict[str, Any] | None = None,
               clock: Clock | None = None) -> Flask:
    from hall.web import errors, pdf, security
    from region import api, pages

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("HALL_SECRET_KEY") or secrets.token_hex(32),
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="region_session",
        SESSION_COOKIE_SECURE=os.environ.get("HALL_HSTS") == "1",
        HSTS=os.environ.get("HALL_HSTS") == "1",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8), LANGUAGES=list(LANGUAGES),
        WTF_CSRF_TIME_LIMIT=None, DATABASE_URL=database_url)
    app.config.update(overrides or {})
    app.json.ensure_ascii = False
    app.extensions["region"] = make_context(make_engine(database_url),
                                            clock=clock or SystemClock(), secret=b"region")
    babel.init_app(app, locale_selector=_locale,
                   default_translation_directories=str(
                       os.path.join(os.path.dirname(__file__), "..", "hall", "translations")))
    csrf.init_app(app)
    errors.register(app)
    app.after_request(security.add_headers)
    app.register_blueprint(pages.bp)
    app.register_blueprint(pdf.templates)
    app.register_blueprint(api.bp)
    return app
