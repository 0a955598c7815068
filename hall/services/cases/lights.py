"""The case's 红黄灯: its amber/red alert, judged again whenever its clock or state moves
(an extension, a suspension, a part of a case in parts)."""
from __future__ import annotations

from hall.domain import cases as domain
from hall.services import repo
from hall.services.context import UnitOfWork
from hall.services.supervision import alerts


def today(uow: UnitOfWork, hall_id: int):
    return repo.hall_config(uow, hall_id).settings.local(uow.now).date()


def rejudge(uow: UnitOfWork, hall_id: int, case_id: int, number: str,
            counter_id: int | None, state: str, due, warning) -> None:
    """Raise, escalate or clear the case's amber/red alert for its clock now."""
    level = domain.urgency(today(uow, hall_id), due, warning, state)
    key = f"case:{case_id}"
    if level == domain.Urgency.NORMAL:
        alerts.clear_alert(uow, hall_id, key)
        return
    red = level == domain.Urgency.RED
    current = alerts.open_level(uow, hall_id, key)
    if current == "critical" and not red:  # an extension took it back to amber
        alerts.clear_alert(uow, hall_id, key)
    alerts.raise_alert(uow, hall_id, key, "case_overdue" if red else "case_warning",
                       "critical" if red else "warning", counter_id=counter_id,
                       case_number=number, due_date=due.isoformat())
