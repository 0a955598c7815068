"""The visit time-limit alert's key (限时办结), shared by the rule that raises it
(watch_rules.visit_limits) and the commands that end a visit and clear it at once (finish,
transfer, hold, sign-out): apart from the rules so that those commands need not import the
watch's rules, which import them back through the sweeps."""
from __future__ import annotations

from hall.services.context import UnitOfWork
from hall.services.supervision import alerts

VISIT_PREFIX = "visit_limit:"


def visit_key(ticket_id: int) -> str:
    return f"{VISIT_PREFIX}{ticket_id}"


def end_visit(uow: UnitOfWork, hall_id: int, ticket_id: int) -> None:
    """A visit left service (finish, transfer, hold): its time-limit alert ends with it."""
    alerts.clear_alert(uow, hall_id, visit_key(ticket_id))
