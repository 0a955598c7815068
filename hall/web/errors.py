"""Every error as ``{"error": {"code", "message", "field"}}`` with the right status; an
address no page has, asked for by a person's browser, gets the page ``web/not_found.html``
instead (``/api/v1`` and page scripts keep the JSON)."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from hall.domain.errors import DomainError, Forbidden, IllegalTransition, NotFound
from hall.domain.labels import LABELS
from hall.web.pages import page_context

log = logging.getLogger(__name__)

CONFLICT = {"illegal_transition", "counter_state", "counter_busy", "target_closed",
            "already_rated",
            "not_finished", "conflict", "quota_exceeded", "service_closed",
            "service_closed_today", "service_outside_hours", "counter_taken", "recall_limit",
            "appointment_used", "appointment_too_early", "rating_closed", "no_current_ticket",
            "illegal_case_transition", "locked", "slot_full", "already_booked",
            "person_limit_reached", "appointment_expired", "job_finished",
            "ticket_not_printable", "already_acknowledged", "followup_closed",
            "counter_inactive",
            # a visit's paper: none for this outcome, or no printer at its window
            "no_document", "printer_required",
            # configuration (admin console): the hall's current state refuses the change
            "already_exists", "department_in_use", "key_changed", "login_taken",
            "cannot_change_self", "last_admin",
            # pairing: the request was already decided, claimed, or has run out
            "pairing_decided", "pairing_expired", "pairing_rejected", "pairing_claimed"}
TOO_MANY = {"pairing_busy"}
FORBIDDEN = {"password_change_required"}  # besides Forbidden itself
UNAUTHORIZED = {"bad_credentials", "unauthenticated"}


def error_response(status: int, code: str, message: str, field: str | None = None, **extra):
    body = {"error": {"code": code, "message": message, "field": field, **extra}}
    return jsonify(body), status


def status_of(err: DomainError) -> int:
    if isinstance(err, Forbidden) or err.code in FORBIDDEN:
        return 403
    if isinstance(err, NotFound) or err.code.endswith("_not_found"):
        return 404
    if isinstance(err, IllegalTransition) or err.code in CONFLICT:
        return 409
    if err.code in UNAUTHORIZED:
        return 401
    if err.code in TOO_MANY:
        return 429
    return 422


def translate(err: DomainError) -> str:
    params = {k: gettext(LABELS[v]) if isinstance(v, str) and v in LABELS else v
              for k, v in err.params.items()}
    return gettext(err.message) % params if params else gettext(err.message)


_TYPE_TAGS = {"str", "int", "float", "bool", "dict", "list", "none", "literal"}


def field_path(loc: tuple) -> str:
    """``('service', 'constrained-str')`` → ``service``: pydantic adds union member tags to
    the location; a client wants the field it sent."""
    parts = []
    for p in loc:
        if isinstance(p, str) and ("-" in p or "[" in p or p in _TYPE_TAGS):
            break
        parts.append(str(p))
    return ".".join(parts) or "body"


def validation_response(err: ValidationError):
    """First problem named by its field path; all of them listed for forms to show."""
    problems = err.errors(include_url=False, include_context=False, include_input=False)
    first = problems[0]
    field = field_path(first["loc"])
    details = [{"field": field_path(e["loc"]), "message": e["msg"]}
               for e in problems]
    response, status = error_response(
        422, "invalid", gettext("Invalid value for %(field)s: %(problem)s", field=field,
                                problem=first["msg"]), field, details=details)
    response.status_code = status
    return response


def wants_page() -> bool:
    """A person's browser asking for a page: anything outside /api/ whose request does not
    prefer JSON (page scripts send ``Accept: application/json``)."""
    if request.path.startswith("/api/"):
        return False
    accept = request.accept_mimetypes
    return accept.quality("text/html") >= accept.quality("application/json")


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(err: DomainError):
        return error_response(status_of(err), err.code, translate(err), err.field)

    @app.errorhandler(CSRFError)
    def _csrf(err: CSRFError):
        return error_response(403, "csrf", gettext("Missing or invalid CSRF token"),
                              "X-CSRFToken")

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        if err.response is not None and err.response.mimetype == "application/json":
            return err.response  # already one of ours (validation)
        if err.code == 404 and wants_page():
            return render_template("web/not_found.html", **page_context()), 404
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large",
                415: "unsupported_media_type", 400: "bad_request"}.get(err.code or 500, "http")
        field = "body" if err.code in (400, 413, 415) else None
        messages = {413: gettext("Request body too large"),
                    404: gettext("No such resource"),
                    405: gettext("Method not allowed")}
        return error_response(err.code or 500, code,
                              messages.get(err.code, err.description or code), field)

    @app.errorhandler(Exception)
    def _crash(err: Exception):  # never a stack trace to a client
        log.exception("unhandled error")
        return error_response(500, "internal", gettext("Internal error; it has been logged"))
