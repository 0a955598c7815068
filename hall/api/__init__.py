"""The /api/v1 JSON API. flask-openapi3 validates requests with the pydantic schemas in
``schemas.py`` and generates /api/v1/openapi.json from the same schemas."""
from __future__ import annotations

from flask import request
from flask_babel import gettext
from flask_openapi3 import Info, OpenAPI

from hall.api import errors
from hall.api.errors import error_response

PREFIX = "/api/v1"
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def create_api(import_name: str) -> OpenAPI:
    app = OpenAPI(
        import_name,
        info=Info(title="Hall API", version="1"),
        security_schemes={"device": {"type": "http", "scheme": "bearer"},
                          "session": {"type": "apiKey", "in": "cookie", "name": "session"}},
        validation_error_status=422,
        validation_error_callback=errors.validation_response,
        doc_prefix=PREFIX, doc_url="/openapi.json",
    )
    from hall.api import admin as admin_api
    from hall.api import (
        alerts,
        appointments,
        auth,
        board,
        cases,
        config,
        counters,
        devices,
        feed,
        followups,
        pairing,
        printing,
        reports,
        tickets,
    )

    for module in (auth, tickets, counters, feed, appointments, printing, devices, alerts,
                   followups, reports, cases, board, config, admin_api, pairing):
        app.register_api(module.api)
    app.before_request(_check_json_body)
    errors.register(app)
    return app


def _check_json_body():
    """Malformed or non-JSON bodies get a clear 400/415 before any validation."""
    if request.method not in WRITES or not request.path.startswith(PREFIX):
        return None
    if not request.content_length and not request.data:
        return None
    if not request.is_json:
        return error_response(415, "unsupported_media_type",
                              gettext("Send JSON (Content-Type: application/json)"), "body")
    if request.get_json(silent=True) is None:
        return error_response(400, "malformed_json", gettext("The body is not valid JSON"),
                              "body")
    return None
