"""A hall's cases (办件) as the region rebuilds them from the hall's ``case.*`` events, so
that 按时办结率 and 超期件数 are the hall's own (``measures.case_figures``) for the same
events. Each event carries what the hall's case row took in the same transaction:

- ``case.accepted`` (number, service_id, due_date): opened at the event's local day;
- ``case.updated`` (case_number, state, action; due_date when the case clock moved it):
  done or returned → concluded on the event's local day (the hall's ``done_on``); suspend
  → the clock stopped that day; resume → running again (the due day it carries is pushed
  by the suspended working days, which the hall counted with its own calendar).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo
from typing import Any

from hall.domain.measures import CONCLUDED, CaseRecord


@dataclass(slots=True)
class Case:
    number: str
    service_id: int | None
    accepted_on: date
    due_date: date
    state: str
    done_on: date | None = None
    suspended_on: date | None = None

    def copy(self) -> Case:
        return replace(self)

    def record(self) -> CaseRecord:
        return CaseRecord(self.due_date, self.done_on, self.state, self.suspended_on)


def accepted(at: datetime, payload: dict[str, Any], tz: tzinfo) -> Case:
    return Case(number=payload["number"], service_id=payload.get("service_id"),
                accepted_on=at.astimezone(tz).date(),
                due_date=date.fromisoformat(payload["due_date"]), state="accepted")


def updated(case: Case, at: datetime, payload: dict[str, Any], tz: tzinfo) -> None:
    """Move ``case`` by a ``case.updated`` event."""
    day = at.astimezone(tz).date()
    state = payload.get("state") or case.state
    if payload.get("due_date"):
        case.due_date = date.fromisoformat(payload["due_date"])
    if state in CONCLUDED and case.state not in CONCLUDED:
        case.done_on = day
    if state == "suspended" and case.state != "suspended":
        case.suspended_on = day
    elif state != "suspended":
        case.suspended_on = None
    case.state = state
