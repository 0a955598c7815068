"""Domain errors: a stable machine code, a translatable message and the field at fault.

The web layer maps each code to an HTTP status (see hall/web/errors.py); messages are
``N_``-marked format strings rendered with ``params`` after translation.
"""
from __future__ import annotations

from hall.domain.i18n import N_


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, code: str, message: str, field: str | None = None, **params: object):
        super().__init__(message % params if params else message)
        self.code = code
        self.message = message
        self.field = field
        self.params = params


class NotFound(DomainError):
    def __init__(self, what: str, field: str | None = None, **params: object):
        super().__init__(f"{what}_not_found", N_("Not found: %(what)s"), field, what=what, **params)


class IllegalTransition(DomainError):
    """An action that the ticket life cycle does not allow from the current state."""

    def __init__(self, state: str, action: str):
        super().__init__(
            "illegal_transition",
            N_("Cannot %(action)s a ticket that is %(state)s"),
            "state",
            state=state,
            action=action,
        )
        self.state = state
        self.action = action


class CounterStateError(DomainError):
    def __init__(self, state: str, action: str):
        super().__init__(
            "counter_state",
            N_("Cannot %(action)s while the counter is %(state)s"),
            "counter",
            state=state,
            action=action,
        )
        self.state = state
        self.action = action


class ServiceUnavailable(DomainError):
    """Service closed, outside its hours or over today's quota: the visitor is told why."""

    def __init__(self, code: str, message: str, **params: object):
        super().__init__(code, message, "service", **params)


class Forbidden(DomainError):
    def __init__(self, message: str = N_("Not allowed"), field: str | None = None,
                 **params: object):
        super().__init__("forbidden", message, field, **params)
