"""Hardening that applies across the app, kept in one place (issue 9):

- security headers on every response that has not set its own: a Content-Security-Policy
  (pages: scripts and styles from the app only, never inline; everything else — JSON,
  exports, files — may load nothing at all), frames refused, no MIME sniffing, no referrer,
  no powerful browser features; HSTS when the hall is served over HTTPS (HALL_HSTS=1);
- rate limits, ONE table (``LIMITS``) applied by endpoint name with Flask-Limiter, so no
  view module carries a limit; each can be changed with HALL_RATELIMIT_<NAME>;
- request body limits per endpoint (``BODY_LIMITS``) over the app-wide MAX_CONTENT_LENGTH;
- the client address from trusted proxies only (HALL_TRUSTED_PROXIES), which rate limits
  key on;
- ended sessions (a logout), remembered in the rate limits' store until the cookie would
  have expired anyway, so a copied cookie dies with the logout.

Limits live in the store every process of a hall shares (Redis in production, see
hall/config.py); a limiter is built per app, as its state (store, switches) is per app.
"""
from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from flask import Flask, Request, Response, current_app, jsonify, request
from flask_babel import gettext
from flask_limiter import Limiter, RequestLimit
from limits.storage import Storage, storage_from_string
from werkzeug.middleware.proxy_fix import ProxyFix

log = logging.getLogger(__name__)

PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "font-src 'self'; media-src 'self'; connect-src 'self' ws: wss:; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
DATA_CSP = "default-src 'none'; frame-ancestors 'none'"
HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "accelerometer=(), camera=(), geolocation=(), gyroscope=(), "
                          "magnetometer=(), microphone=(), payment=(), usb=()",
}
HSTS = "max-age=31536000; includeSubDomains"

# request bodies allowed above MAX_CONTENT_LENGTH (64 KiB), by URL rule
LAYOUT_BODY = 1024 * 1024  # a whole hall's layout TOML, in JSON
# the longest layout text any JSON encoding of it fits in LAYOUT_BODY: a character takes at
# most 12 bytes escaped ("\ud83c\udfe2"), 1 KiB is left for the rest of the body
LAYOUT_CHARS = (LAYOUT_BODY - 1024) // 12
PHOTO_RULE = "/api/v1/admin/staff/<int:staff_id>/photo"
PHOTO_BODY = 3 * 1024 * 1024  # a 值班牌 photo of up to 2 MB, base64 in JSON
BODY_LIMITS = {"/api/v1/admin/layout": LAYOUT_BODY, PHOTO_RULE: PHOTO_BODY}
# the field a body over its limit is named by, where the body is one field (else "body")
BODY_FIELDS = {PHOTO_RULE: "photo"}


# --- who a limit counts ------------------------------------------------------------------

def by_ip() -> str:
    return f"ip:{request.remote_addr or '-'}"


def by_device() -> str:
    """The calling device (a kiosk counts on its own however many share an address), else
    the staff member, else the address."""
    from flask_wtf.csrf import CSRFError

    from hall.domain.errors import DomainError
    from hall.web.auth import current_actor

    try:
        actor = current_actor(required=False)
    except (DomainError, CSRFError):  # the view refuses it in a moment, with its own answer
        actor = None
    if actor is None or actor.id is None:
        return by_ip()
    return f"{actor.kind}:{actor.id}"


def by_login() -> str:
    """The login name tried from this address (from another, it counts on its own)."""
    body = request.get_json(silent=True)
    login = body.get("login") if isinstance(body, dict) else None
    if not isinstance(login, str) or not login.strip():
        return by_ip()
    return f"login:{login.strip().lower()[:64]}@{request.remote_addr or '-'}"


@dataclass(frozen=True)
class RateLimit:
    name: str  # HALL_RATELIMIT_<NAME>=… replaces the default
    endpoints: tuple[str, ...]  # endpoint names (fnmatch patterns) sharing one budget
    default: str  # limits' notation: "20/minute", "100/hour;10/minute"
    key: Callable[[], str]
    field: str | None = None  # what the 429 answer points at
    methods: tuple[str, ...] = ("POST",)


LIMITS = (
    # a kiosk issues a ticket every few seconds at the very most, a person takes longer
    RateLimit("issue", ("tickets.issue", "appointments.check_in"), "20/minute", by_device),
    # guessing passwords: per address, and per login from that address (the lock and its
    # backoff, hall/services/config/accounts.py, then stop it for good); never per login
    # from anywhere, which would let anyone lock its owner out
    RateLimit("login_ip", ("auth.login",), "30/minute", by_ip, "login"),
    RateLimit("login_name", ("auth.login",), "10/minute", by_login, "login"),
    # the current password asked again when changing one's own (wrong ones also lock)
    RateLimit("password", ("auth.password",), "10/minute", by_device, "current"),
    # the public booking pages: a person (or a desk booking for visitors) with typos
    RateLimit("booking", ("appointments.book",), "20/minute", by_ip),
    RateLimit("cancel", ("appointments.cancel", "tickets.cancel"), "10/minute", by_ip),
    # a phone left for near-turn messages (and the per-phone daily limit in the service)
    RateLimit("notify", ("tickets.follow",), "10/minute", by_ip),
    RateLimit("lookup", ("appointments.show",), "60/minute", by_ip, "code", ("GET",)),
    # complaints from phones and kiosks (staff entry is not limited): a person writes a few
    RateLimit("complaint", ("complaints.file_*",), "5/minute;50/hour", by_device, "text"),
    # 办件查询: a kiosk counts on its own, anyone else by address; the number and the
    # look-up code together are a million guesses per case
    RateLimit("case_lookup", ("feed.case", "kiosk.case_page"), "20/minute", by_device, "code",
              ("GET",)),
    # the applicant's rating from the case's page: the number and look-up code again
    RateLimit("case_rating", ("cases.rate",), "20/minute", by_device, "code"),
    # devices without a token yet: asking for a code, then polling every few seconds
    RateLimit("pairing", ("pairing.ask",), "10/minute", by_ip),
    RateLimit("pairing_claim", ("pairing.claim",), "120/minute", by_ip),
)


# --- wiring --------------------------------------------------------------------------------

class HallRequest(Request):
    """MAX_CONTENT_LENGTH, raised for the few URL rules in BODY_LIMITS. Read whenever the
    body is, which is after routing, so the rule is known."""

    @property
    def max_content_length(self) -> int | None:
        rule = self.url_rule.rule if self.url_rule is not None else None
        if self._max_content_length is None and rule in BODY_LIMITS:
            return BODY_LIMITS[rule]
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def init_app(app: Flask) -> None:
    """Call once every blueprint is registered (limits attach to their endpoints)."""
    from hall.web import auth as identity

    app.request_class = HallRequest
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    app.after_request(add_headers)
    app.before_request(identity.check_session)
    store = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
    app.extensions["hall_sessions"] = EndedSessions(store, app.config["MESSAGE_CHANNEL"])
    if app.config["RATELIMIT_ENABLED"]:
        app.extensions["hall_limiter"] = _limit(app)
    _document_429(app)


def add_headers(response: Response) -> Response:
    """The same headers on every answer; one a view set itself is kept (setdefault would
    scan the header list once per name: 2 % of the issue path's CPU, measured)."""
    headers = response.headers
    present = {name.lower() for name, _ in headers.items()}
    wanted = [("Content-Security-Policy",
               PAGE_CSP if response.mimetype == "text/html" else DATA_CSP), *HEADERS.items()]
    if request.path.startswith("/api/"):
        wanted.append(("Cache-Control", "no-store"))  # answers may carry personal data
    if current_app.config["HSTS"]:
        wanted.append(("Strict-Transport-Security", HSTS))
    headers.extend([(name, value) for name, value in wanted if name.lower() not in present])
    return response


def _limit(app: Flask) -> Limiter:
    overrides: dict[str, Any] = dict(app.config["RATE_LIMITS"])
    unknown = set(overrides) - {rule.name for rule in LIMITS}
    if unknown:
        raise ValueError(f"HALL_RATELIMIT_*: no rate limit named {sorted(unknown)}; "
                         f"the names are {[rule.name for rule in LIMITS]}")
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)  # Redis down: go on
    # keys named after the hall's channel: two halls sharing a Redis share no limit
    limiter = Limiter(by_ip, app=app, key_prefix=app.config["MESSAGE_CHANNEL"])
    for rule in LIMITS:
        shared = limiter.shared_limit(overrides.get(rule.name, rule.default), scope=rule.name,
                                      key_func=rule.key, methods=list(rule.methods),
                                      on_breach=_too_many(rule))
        for endpoint in [e for e in app.view_functions
                         if any(fnmatchcase(e, p) for p in rule.endpoints)]:
            app.view_functions[endpoint] = shared(app.view_functions[endpoint])
    return limiter


def _limited(endpoint: str, method: str) -> bool:
    return any(method in rule.methods and any(fnmatchcase(endpoint, p) for p in rule.endpoints)
               for rule in LIMITS)


def _document_429(app: Flask) -> None:
    """List the 429 answer in /api/v1/openapi.json for the limited operations (the views
    declare their own answers; this adds the one they owe to the table above)."""
    for url_rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", url_rule.rule)
        item = getattr(app, "paths", {}).get(path)
        for method in url_rule.methods or ():
            operation = getattr(item, method.lower(), None)
            if operation is None or not _limited(url_rule.endpoint, method):
                continue
            errors = [r for r in (operation.responses or {}).values()
                      if "ErrorResponse" in r.model_dump_json()]
            if errors and "429" not in operation.responses:
                operation.responses["429"] = errors[0].model_copy(
                    update={"description": "Too Many Requests (see Retry-After)"})
    app.spec_json = {}  # regenerated with them on the next read


def _too_many(rule: RateLimit) -> Callable[[RequestLimit], Response]:
    def answer(limit: RequestLimit) -> Response:
        wait = max(1, int(limit.reset_at - time.time()))
        log.warning("rate limit %s (%s) reached by %s", rule.name, limit.limit,
                    limit.request_args[-2])
        response = jsonify({"error": {
            "code": "rate_limited", "field": rule.field,
            "message": gettext("Too many requests; try again in %(seconds)s seconds",
                               seconds=wait)}})
        response.status_code = 429
        response.headers["Retry-After"] = str(wait)
        return response

    return answer


class EndedSessions:
    """Sessions ended by a logout, by their random id, until they would have expired."""

    def __init__(self, store: Storage, channel: str):
        self.store = store
        self.prefix = f"{channel}/ended-session/"

    def end(self, sid: str, seconds: float) -> None:
        self.store.incr(self.prefix + sid, max(1, int(seconds)))

    def ended(self, sid: str) -> bool:
        try:
            return self.store.get(self.prefix + sid) > 0
        except Exception:  # an unreachable store must not sign everyone out
            log.exception("cannot read ended sessions; assuming this one is live")
            return False
