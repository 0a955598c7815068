"""The /api/v1 JSON API. flask-openapi3 validates requests with the pydantic schemas in
``schemas.py`` and generates /api/v1/openapi.json from the same schemas."""
from __future__ import annotations

from flask import request
from flask_babel import gettext
from flask_openapi3 import Info, OpenAPI

from hall.api.schemas import ErrorResponse
from hall.web import errors, inputs
from hall.web.auth import password_gate
from hall.web.errors import error_response
from hall.web.routing import LazyBuilderRule

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
WRITE = {"403": "Forbidden", "413": "Content Too Large", "415": "Unsupported Media Type"}
# Any request: a control character in a path value, a query field or a body's text, a body
# nested too deep or not JSON (hall/web/inputs.py).
BAD_REQUEST = ("Bad Request: a control character in a path, query or body value (code "
               "control_character), a body nested too deep (too_deep) or not JSON "
               "(malformed_json)")


class HallAPI(OpenAPI):
    url_rule_class = LazyBuilderRule  # hall/web/routing.py: ~0.08 s less per app

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
                responses["400"] = {"description": BAD_REQUEST, **ERROR}
                common = {**(WITH_PATH if "{" in rule else {}),
                          **(WRITE if method.upper() in WRITES else {})}
                for status, description in common.items():
                    responses.setdefault(status, {"description": description, **ERROR})
                if (any("session" in s for s in operation.get("security", []))
                        and not rule.startswith(f"{PREFIX}/auth/")):
                    forbidden = responses.setdefault("403", {**ERROR})
                    if forbidden.get("description", "Forbidden") == "Forbidden":
                        forbidden["description"] = PASSWORD_DUE
        _text_only(self.spec_json)


JSON_TEXT = "JsonText"


def _text_only(spec: dict) -> None:
    """Every string a request sends is stated as text without control characters
    (``inputs.TEXT_PATTERN``), as hall/web/inputs.py enforces for every path, query and body
    value; one with its own pattern, format or choices says more already."""
    components = spec.setdefault("components", {}).setdefault("schemas", {})
    text = {"type": "string", "pattern": inputs.TEXT_PATTERN}
    # any JSON value whose text (keys too) is text: what a free-form object may hold
    components[JSON_TEXT] = {"anyOf": [
        text, {"type": "number"}, {"type": "boolean"}, {"type": "null"},
        {"type": "array", "items": {"$ref": f"#/components/schemas/{JSON_TEXT}"}},
        {"type": "object", "propertyNames": text,
         "additionalProperties": {"$ref": f"#/components/schemas/{JSON_TEXT}"}}]}
    seen: set[str] = {f"#/components/schemas/{JSON_TEXT}"}

    def walk(node: object) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        if not isinstance(node, dict):
            return
        ref = node.get("$ref", "")
        if ref.startswith("#/components/schemas/") and ref not in seen:
            seen.add(ref)
            walk(components.get(ref.rsplit("/", 1)[-1]))
        if (node.get("type") == "string"
                and not {"pattern", "format", "enum", "const"} & node.keys()):
            node["pattern"] = inputs.TEXT_PATTERN
        if node.get("type") == "object":
            node.setdefault("propertyNames", text)
            if node.get("additionalProperties", True) is True:
                node["additionalProperties"] = {"$ref": f"#/components/schemas/{JSON_TEXT}"}
        for key in ("properties", "additionalProperties", "items", "anyOf", "allOf",
                    "oneOf", "prefixItems"):
            value = node.get(key)
            walk(list(value.values()) if key == "properties" and isinstance(value, dict)
                 else value)

    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                walk(parameter.get("schema"))
            for media in operation.get("requestBody", {}).get("content", {}).values():
                walk(media.get("schema"))


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
        assessment,
        auth,
        board,
        cases,
        catalog,
        complaints,
        config,
        counters,
        devices,
        duty,
        exchange,
        feed,
        followups,
        guide,
        messages,
        pairing,
        printing,
        reports,
        supervision,
        tickets,
    )

    for module in (auth, tickets, counters, feed, appointments, printing, devices, alerts,
                   followups, complaints, exchange, reports, cases, board, config, admin_api,
                   pairing, supervision, duty, guide, catalog, assessment, messages):
        app.register_api(module.api)
    app.before_request(inputs.check_request)  # path, query and form: no control characters
    app.before_request(_check_json_body)  # before any caller is looked up
    app.before_request(password_gate)  # a one-time password allows nothing else
    errors.register(app)
    return app


def _check_json_body():
    """Malformed, too deeply nested or non-JSON bodies, and text in them with a control
    character (hall/web/inputs.py), get a clear 400/415 before any validation — and before
    the caller is looked up or counted against a rate limit."""
    if request.method not in WRITES or not request.path.startswith(PREFIX):
        return None
    if not request.content_length and not request.data:
        return None
    if not request.is_json:
        return error_response(415, "unsupported_media_type",
                              gettext("Send JSON (Content-Type: application/json)"), "body")
    if inputs.nests_too_deep(request.get_data()):
        return inputs.too_deep()
    body = request.get_json(silent=True)
    if body is None:
        return error_response(400, "malformed_json", gettext("The body is not valid JSON"),
                              "body")
    field = inputs.control_field(body) if inputs.may_hold_control(request.get_data()) else None
    return None if field is None else inputs.has_control(field)
