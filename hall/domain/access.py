"""Who may do what: one table for staff roles and device kinds (DESIGN.md §3, issue 9).

A staff member acts only at the counter they are signed in at; supervisors and admins may
act at any counter of their hall. A keypad or pad token acts only for its own counter; a
window's printer (``printer``, bound to its counter) only prints what is sent to it. No one
but the system reaches another hall's things (hall/services/repo.owned), and a window acts
only on its own visitors (``require_ticket_here``).
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from hall.domain.errors import Forbidden
from hall.domain.i18n import N_

COUNTER_ACTIONS = frozenset({"call", "recall", "skip", "reinstate", "hold", "unhold", "start",
                             "finish", "transfer"})
COUNTER_STATE_ACTIONS = frozenset({"open", "pause", "resume", "close"})

# device kind → actions it may take (counter-bound kinds only at their own counter)
DEVICE_ACTIONS: dict[str, frozenset[str]] = {
    "kiosk": frozenset({"issue"}),
    "keypad": COUNTER_ACTIONS | COUNTER_STATE_ACTIONS,
    "pad": frozenset({"rate"}),
    "screen": frozenset(),
    "sign": frozenset(),  # LED window sign or hall strip: listens only
    "printer": frozenset(),  # a window's printer: prints the jobs sent to it, nothing else
    "agent": frozenset({"issue", "rate"}) | COUNTER_ACTIONS | COUNTER_STATE_ACTIONS,
}
STAFF_ROLES = ("staff", "supervisor", "admin")
COUNTER_BOUND = ("keypad", "pad", "printer")  # device kinds that belong to one window


@dataclass(frozen=True, slots=True)
class Actor:
    kind: str  # staff | device | visitor | system
    id: int | None = None
    hall_id: int | None = None
    role: str | None = None  # staff role or device kind
    counter_id: int | None = None  # where a staff member is signed in / a device is bound
    label: str = ""
    # a staff member signed in with a one-time password: they may only replace it
    must_change_password: bool = False

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"

    def audit(self) -> str:
        return f"{self.kind}:{self.role}:{self.id}" if self.id is not None else self.kind


SYSTEM = Actor(kind="system", label="system")


def require(actor: Actor, action: str, counter_id: int | None = None) -> None:
    """Raise Forbidden unless ``actor`` may take ``action`` (at ``counter_id``)."""
    if actor.kind == "system":
        return
    if actor.kind == "staff":
        if actor.role in ("supervisor", "admin"):
            return
        if action == "issue":  # reception staff issue tickets, e.g. green-channel ones
            return
        if counter_id is not None and counter_id == actor.counter_id:
            return
        raise Forbidden(N_("Staff may act only at the counter they are signed in at"), "counter")
    if actor.kind == "device":
        allowed = DEVICE_ACTIONS.get(actor.role or "", frozenset())
        bound = actor.role in ("keypad", "pad")
        at_own_counter = actor.counter_id is not None and counter_id == actor.counter_id
        if action in allowed and (not bound or at_own_counter):
            return
        raise Forbidden(N_("This device may not %(action)s here"), "authorization", action=action)
    raise Forbidden(N_("Sign in first"), "authorization")


def require_ticket_here(counter_id: int, counter_number: int, served: Collection[int], *,
                        number: str, service_id: int, target_counter_id: int | None,
                        missed_here: bool = False, field: str = "ticket_id") -> None:
    """A window acts only on its own visitors (issue 16), whoever presses the key — its
    keypad, its staff, a supervisor at its terminal, an agent: a ticket sent to a window by
    name (held there, transferred there) is that window's alone; any other is the windows'
    that serve its service, or (``missed_here``) the window where it was missed."""
    if target_counter_id is not None:
        here = target_counter_id == counter_id
    else:
        here = missed_here or service_id in served
    if not here:
        raise Forbidden(N_("Ticket %(number)s is not for window %(window)s"), field,
                        number=number, window=counter_number)
