"""Every error as ``{"error": {"code", "message", "field"}}`` with the right status; an
address no page has, asked for by a person's browser, gets the page ``web/not_found.html``
instead (``/api/v1`` and page scripts keep the JSON)."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import get_locale, gettext
from flask_wtf.csrf import CSRFError
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from hall.domain.errors import DomainError, Forbidden, IllegalTransition, NotFound
from hall.domain.fields import FIELD_LABELS
from hall.domain.i18n import N_
from hall.domain.labels import LABELS
from hall.web.pages import page_context
from hall.web.security import BODY_FIELDS

log = logging.getLogger(__name__)

CONFLICT = {"illegal_transition", "counter_state", "counter_busy", "target_closed",
            "already_rated", "nothing_to_adopt", "conflict_decided", "case_in_parts",
            "not_finished", "conflict", "quota_exceeded", "service_closed",
            "service_closed_today", "service_outside_hours", "counter_taken", "recall_limit",
            "appointment_used", "appointment_too_early", "rating_closed", "no_current_ticket",
            "illegal_case_transition", "locked", "slot_full", "already_booked",
            "person_limit_reached", "appointment_expired", "job_finished",
            "ticket_not_printable", "already_acknowledged", "followup_closed",
            "counter_inactive", "case_concluded",
            # complaints (issue 19): its state refuses the step
            "complaint_closed", "complaint_replied", "complaint_not_replied",
            "complaint_not_received", "complaint_answered", "case_not_done",
            # the case clock: extended once already, or resumed without a suspension;
            # an urging or admonition already answered, acknowledged or withdrawn
            "already_extended", "not_suspended", "already_answered", "withdrawn",
            # staff on duty: a leave request already decided (or no longer open)
            "leave_decided",
            # the 好差评 exchange: only a failed record is sent again
            "record_not_failed",
            # messages to visitors (issue 21): likewise, only a failed message
            "message_not_failed",
            # a visit's paper: none for this outcome, or no printer at its window
            "no_document", "printer_required",
            # configuration (admin console): the hall's current state refuses the change
            "already_exists", "department_in_use", "key_changed", "login_taken",
            "cannot_change_self", "last_admin",
            # pairing: the request was already decided, claimed, or has run out
            "pairing_decided", "pairing_expired", "pairing_rejected", "pairing_claimed"}
TOO_MANY = {"pairing_busy", "notify_rate_limited"}
BAD_REQUEST = {"control_character"}  # text that is not text (a layout file's escapes)
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
    if err.code in BAD_REQUEST:
        return 400
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


# pydantic's error types → a sentence naming the field in words; its own English ``msg``
# never reaches a person (``ctx`` supplies the limits)
PROBLEMS = {
    "missing": N_("%(field)s is required"),
    "string_too_short": N_("%(field)s needs at least %(min_length)s characters"),
    "string_too_long": N_("%(field)s takes at most %(max_length)s characters"),
    "too_short": N_("%(field)s needs at least %(min_length)s entries"),
    "too_long": N_("%(field)s takes at most %(max_length)s entries"),
    "greater_than_equal": N_("%(field)s must be at least %(ge)s"),
    "greater_than": N_("%(field)s must be more than %(gt)s"),
    "less_than_equal": N_("%(field)s must be at most %(le)s"),
    "less_than": N_("%(field)s must be less than %(lt)s"),
    "int_parsing": N_("%(field)s must be a whole number"),
    "int_type": N_("%(field)s must be a whole number"),
    "int_from_float": N_("%(field)s must be a whole number"),
    "float_parsing": N_("%(field)s must be a number"),
    "float_type": N_("%(field)s must be a number"),
    "finite_number": N_("%(field)s must be a number"),
    "bool_parsing": N_("%(field)s must be yes or no"),
    "bool_type": N_("%(field)s must be yes or no"),
    "string_type": N_("%(field)s must be text"),
    "literal_error": N_("%(field)s is not one of the choices offered"),
    "enum": N_("%(field)s is not one of the choices offered"),
    "extra_forbidden": N_("%(field)s is not something this form takes"),
    "string_pattern_mismatch": N_("%(field)s is not written in the expected form"),
    "date_parsing": N_("%(field)s must be a date, e.g. 2026-10-01"),
    "date_from_datetime_parsing": N_("%(field)s must be a date, e.g. 2026-10-01"),
    "date_from_datetime_inexact": N_("%(field)s must be a date, e.g. 2026-10-01"),
    "date_type": N_("%(field)s must be a date, e.g. 2026-10-01"),
    "datetime_parsing": N_("%(field)s must be a date and time"),
    "datetime_from_date_parsing": N_("%(field)s must be a date and time"),
    "datetime_type": N_("%(field)s must be a date and time"),
    "timezone_aware": N_("%(field)s must say its time zone"),
    "list_type": N_("%(field)s must be a list"),
    "dict_type": N_("%(field)s must be a table of values"),
    "model_type": N_("%(field)s must be a table of values"),
    "model_attributes_type": N_("%(field)s must be a table of values"),
    "json_invalid": N_("The request is not readable (invalid JSON)"),
    "json_type": N_("The request is not readable (invalid JSON)"),
}
EMPTY = N_("%(field)s must not be empty")
INVALID = N_("Invalid value for %(field)s")
EXPLAINED = N_("%(field)s: %(problem)s")


def field_label(path: str) -> str:
    """``materials.3`` → 材料; a field with no label keeps its name (add it to
    hall/domain/fields.py)."""
    names = [p for p in path.split(".") if not p.isdigit()] or ["body"]
    known = [FIELD_LABELS[n] for n in reversed(names) if n in FIELD_LABELS]
    return gettext(known[0]) if known else names[-1]


def problem_detail(problem: dict, path: str) -> dict[str, str]:
    """One of pydantic's problems as ``{"field", "message"}``; a check across fields
    ("warning_minutes must be below …", reported for the whole model) is given to the field
    its sentence starts with."""
    kind, ctx = problem["type"], problem.get("ctx") or {}
    if kind in ("value_error", "assertion_error"):
        said = problem["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        first = said.split(" ", 1)[0]
        if first in FIELD_LABELS and not path.endswith(first):
            path = first if path == "body" else f"{path}.{first}"
        if get_locale().language == "en":
            return {"field": path, "message": said}
        words = gettext(said)
        label = field_label(path)
        message = (gettext(EXPLAINED, field=label, problem=words) if words != said
                   else gettext(INVALID, field=label))
        return {"field": path, "message": message}
    values = {k: v for k, v in ctx.items() if isinstance(v, (int, float, str))}
    said = PROBLEMS.get(kind, INVALID)
    if kind in ("string_too_short", "too_short") and values.get("min_length") == 1:
        said = EMPTY
    try:
        message = gettext(said, **values, field=field_label(path))
    except (KeyError, TypeError, ValueError):  # a limit ctx did not carry
        message = gettext(INVALID, field=field_label(path))
    return {"field": path, "message": message}


def validation_response(err: ValidationError):
    """First problem named by its field path; all of them listed for forms to show, each
    a sentence in the caller's language naming the field in words (``problem_detail``)."""
    problems = err.errors(include_url=False, include_input=False)
    details = [problem_detail(e, field_path(e["loc"])) for e in problems]
    first = details[0]
    response, status = error_response(422, "invalid", first["message"], first["field"],
                                      details=details)
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
        if err.code == 413 and request.url_rule is not None:
            field = BODY_FIELDS.get(request.url_rule.rule, field)
        messages = {413: gettext("Request body too large"),
                    404: gettext("No such resource"),
                    405: gettext("Method not allowed")}
        response, status = error_response(err.code or 500, code,
                                          messages.get(err.code, err.description or code),
                                          field)
        # a 405 says what the address does take (RFC 9110), as werkzeug's own answer would
        response.headers.extend((name, value) for name, value in err.get_headers()
                                if name.lower() == "allow")
        return response, status

    @app.errorhandler(Exception)
    def _crash(err: Exception):  # never a stack trace to a client
        log.exception("unhandled error")
        return error_response(500, "internal", gettext("Internal error; it has been logged"))
