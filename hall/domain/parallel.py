"""并联审批 and 绿色通道: a case in parts, one per department, and the fast-track promise.

A case accepted at one window (一窗受理) may run in parallel parts, one per department, each
with its own promised working days, owner, state and clock (extension and suspension apply
to the part alone: hall/domain/cases.py's life cycle and clock, part by part). The case
itself is what the applicant was promised, so it is derived from its parts:

- its due date is the latest of its parts' due dates, its warning date the latest of their
  warning dates (so the case turns amber and red once, by its own promise; a late part is
  late for its department, counted per department in department reports);
- its state follows its parts: in progress while any part runs; suspended only while every
  open part is suspended (nothing is moving); accepted while no part has moved yet;
  done when every part is done.
- A part a department refuses (退回, its 不予受理/不予许可) does not stop the others: each
  department's decision is its own and the applicant may need the others' results anyway
  (a licence already issued stands). The joint application cannot be granted as a whole,
  so once every part is concluded the case is returned (已退回), not done; it is concluded
  the day its last part is, and on time if that is on or before its due date.

A fast-track (绿色通道) case is promised the service's shortened working days
(``fast_track_days``); in parts, no part is promised more than that.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from hall.domain.cases import FINISHED, CaseState
from hall.domain.errors import DomainError
from hall.domain.i18n import N_

MIN_PARTS, MAX_PARTS = 2, 10


@dataclass(frozen=True, slots=True)
class PartSpec:
    """A part asked for at acceptance: the department, its promise, who handles it."""

    department_id: int
    promised_days: int
    staff_id: int | None = None


@dataclass(frozen=True, slots=True)
class PartClock:
    """A part as its case sees it."""

    state: str
    due: date
    warning: date
    done_on: date | None = None
    done_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Parent:
    """What a case in parts is, from its parts."""

    state: CaseState
    due: date
    warning: date
    done_on: date | None
    done_at: datetime | None


def check_parts(parts: Sequence[PartSpec]) -> None:
    """2..MAX_PARTS parts, one per department, each promised at least one working day."""
    if not MIN_PARTS <= len(parts) <= MAX_PARTS:
        raise DomainError("parts_count", N_("A case in parts has %(least)s to %(most)s parts"),
                          "parts", least=MIN_PARTS, most=MAX_PARTS)
    seen: set[int] = set()
    for i, part in enumerate(parts):
        if part.department_id in seen:
            raise DomainError("part_department_twice",
                              N_("A department has one part of a case"),
                              f"parts.{i}.department_id")
        seen.add(part.department_id)
        if part.promised_days < 1:
            raise DomainError("part_days", N_("A part is promised at least one working day"),
                              f"parts.{i}.promised_days")


def promised_days(service_days: int, fast_track_days: int | None, fast_track: bool,
                  asked: int | None = None) -> int:
    """The working days a case (or a part asking ``asked``) is promised: the service's, or,
    registered as fast-track, never more than the service's shortened days."""
    days = service_days if asked is None else asked
    if not fast_track:
        return days
    if fast_track_days is None:
        raise DomainError("no_fast_track", N_("This service has no fast track (绿色通道)"),
                          "fast_track")
    return min(days, fast_track_days)


def parent_of(parts: Iterable[PartClock]) -> Parent:
    """The case a set of parts makes (see the module's rules)."""
    parts = list(parts)
    if not parts:
        raise ValueError("a case in parts has parts")
    states = [CaseState(p.state) for p in parts]
    open_ = [s for s in states if s not in FINISHED]
    done_on = done_at = None
    if not open_:
        state = CaseState.DONE if all(s == CaseState.DONE for s in states) \
            else CaseState.RETURNED
        done_on = max(p.done_on for p in parts if p.done_on is not None)
        done_at = max((p.done_at for p in parts if p.done_at is not None), default=None)
    elif all(s == CaseState.SUSPENDED for s in open_):
        state = CaseState.SUSPENDED
    elif all(s == CaseState.ACCEPTED for s in states):
        state = CaseState.ACCEPTED
    else:
        state = CaseState.IN_PROGRESS
    return Parent(state, max(p.due for p in parts), max(p.warning for p in parts),
                  done_on, done_at)
