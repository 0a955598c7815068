"""The /api/v1 JSON API. flask-openapi3 validates requests with the pydantic schemas in
``schemas.py`` and generates /api/v1/openapi.json from the same schemas."""
from __future__ import annotations

from flask import request
from flask_babel import gettext
from flask_openapi3 import Info, OpenAPI

from hall.api.schemas import ErrorResponse
from hall.web import errors
from hall.web.auth import password_gate
from hall.web.errors import error_response

PREFIX = "/api/v1"
WRITES = ("POST", "PUT", "PATCH", "DELETE")
ERROR = {"content": {"application/json": {
    "schema": {"$ref": f"#/components/schemas/{ErrorResponse.__name__}"}}}}
# Answers an operation may give whatever its blueprint declares: a path value its route does
# not match; a write's body that is not JSON, too large, or sent without the CSRF token.
WITH_PATH = {"404": "Not Found"}
# A session signed in with a one-time password is refused everything but replacing it.
PASSWORD_DUE = ("Forbidden (also password_change_required: a session signed in with a "
                "one-time password may only replace it, POST /auth/password)")
WRITE = {"400": "Bad Request", "403": "Forbidden", "413": "Content Too Large",
         "415": "Unsupported Media Type"}


class HallAPI(OpenAPI):
    def register_api(self, api, **options) -> None:
        """Schemas are named by their class: two different ones of one name would silently
        give one of them the other's contract."""
        for name, schema in api.components_schemas.items():
            known = self.components_schemas.get(name)
            if known is not None and known != schema:
                raise TypeError(f"{api.name}: another schema is already named {name}")
        super().register_api(api, **options)

    def generate_spec_json(self) -> None:
        super().generate_spec_json()
        for rule, path_item in self.spec_json["paths"].items():
            for method, operation in path_item.items():
                responses = operation.setdefault("responses", {})
                # invalid input, answered by errors.validation_response (not the list
                # flask-openapi3 documents by default)
                responses["422"] = {"description": "Unprocessable Content", **ERROR}
                common = {**(WITH_PATH if "{" in rule else {}),
                          **(WRITE if method.upper() in WRITES else {})}
                for status, description in common.items():
                    responses.setdefault(status, {"description": description, **ERROR})
                if (any("session" in s for s in operation.get("security", []))
                        and not rule.startswith(f"{PREFIX}/auth/")):
                    forbidden = responses.setdefault("403", {**ERROR})
                    if forbidden.get("description", "Forbidden") == "Forbidden":
                        forbidden["description"] = PASSWORD_DUE


def create_api(import_name: str) -> OpenAPI:
    app = HallAPI(
        import_name,
        info=Info(title="Hall API", version="1"),
        security_schemes={"device": {"type": "http", "scheme": "bearer"},
                          "session": {"type": "apiKey", "in": "cookie", "name": "session"}},
        validation_error_status=422,
        validation_error_model=ErrorResponse,
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
        complaints,
        config,
        counters,
        devices,
        duty,
        feed,
        followups,
        guide,
        pairing,
        printing,
        reports,
        supervision,
        tickets,
    )

    for module in (auth, tickets, counters, feed, appointments, printing, devices, alerts,
                   followups, complaints, reports, cases, board, config, admin_api,
                   pairing, supervision, duty, guide):
        app.register_api(module.api)
    app.before_request(password_gate)  # a one-time password allows nothing else
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
