"""办件 (cases): what a visit with outcome 受理 opens, and its working-day deadline.

    accepted ──start──▶ in_progress ──finish──▶ done
        │ ╰──────────────finish──────────────▶ done
        ╰──return──▶ returned ◀──return── in_progress
    accepted, in_progress ──suspend──▶ suspended ──resume──▶ in_progress
                                          ╰──return──▶ returned

The case clock by law (DESIGN.md §6): due date = acceptance day + 承诺时限 + an approved
extension (延期, once, at most the hall's limit, default 10 working days) + the working days
spent suspended (中止 for 听证, 检验, 检测, 鉴定, 专家评审, 补正 after acceptance), counted
like the promise itself: a suspension from D to R stops the working days after D up to
and including R (``suspended_days``), as if the case were accepted again on R. The case
turns amber at the warning point (警戒时限, the service's working days before due) and red
once the due day is over; a suspended case's clock is stopped, so it is neither.
"""
from __future__ import annotations

import re
import secrets
from datetime import date
from enum import StrEnum

from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.domain.workdays import WorkCalendar


class CaseState(StrEnum):
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    SUSPENDED = "suspended"  # 中止: the clock is stopped
    DONE = "done"
    RETURNED = "returned"  # 退回: handed back to the applicant without approval


class CaseAction(StrEnum):
    START = "start"
    FINISH = "finish"
    RETURN = "return"
    SUSPEND = "suspend"
    RESUME = "resume"


TRANSITIONS: dict[tuple[CaseState, CaseAction], CaseState] = {
    (CaseState.ACCEPTED, CaseAction.START): CaseState.IN_PROGRESS,
    # Many 承诺件 are approved by the back office without a separate "started" step.
    (CaseState.ACCEPTED, CaseAction.FINISH): CaseState.DONE,
    (CaseState.ACCEPTED, CaseAction.RETURN): CaseState.RETURNED,
    (CaseState.IN_PROGRESS, CaseAction.FINISH): CaseState.DONE,
    (CaseState.IN_PROGRESS, CaseAction.RETURN): CaseState.RETURNED,
    (CaseState.ACCEPTED, CaseAction.SUSPEND): CaseState.SUSPENDED,
    (CaseState.IN_PROGRESS, CaseAction.SUSPEND): CaseState.SUSPENDED,
    (CaseState.SUSPENDED, CaseAction.RESUME): CaseState.IN_PROGRESS,
    (CaseState.SUSPENDED, CaseAction.RETURN): CaseState.RETURNED,
}

# Closed cases no longer run against their deadline.
FINISHED = frozenset({CaseState.DONE, CaseState.RETURNED})


class IllegalCaseTransition(DomainError):
    """An action the case life cycle does not allow from the current state."""

    def __init__(self, state: str, action: str):
        super().__init__(
            "illegal_case_transition",
            N_("Cannot %(action)s a case that is %(state)s"),
            "state",
            state=state,
            action=action,
        )
        self.state = state
        self.action = action


def transition(state: str, action: str) -> CaseState:
    """The state after ``action``; raises IllegalCaseTransition if the table forbids it."""
    try:
        return TRANSITIONS[(CaseState(state), CaseAction(action))]
    except (KeyError, ValueError):
        raise IllegalCaseTransition(str(state), str(action)) from None


def allowed_actions(state: str) -> frozenset[CaseAction]:
    st = CaseState(state)
    return frozenset(a for (s, a) in TRANSITIONS if s is st)


def due_date(accepted_on: date, promised_days: int, cal: WorkCalendar,
             extension_days: int = 0, suspended_days: int = 0) -> date:
    """Last day (inclusive) to finish: ``promised_days`` working days after acceptance, plus
    the approved extension and the working days spent suspended."""
    if min(promised_days, extension_days, suspended_days) < 0:
        raise ValueError("working days must be >= 0")
    return cal.add_working_days(accepted_on, promised_days + extension_days + suspended_days)


def warning_date(
    accepted_on: date, promised_days: int, cal: WorkCalendar, warn_days: int = 1,
    extension_days: int = 0, suspended_days: int = 0,
) -> date:
    """The 警戒 point: ``warn_days`` working days before due.

    Never earlier than the first working day after acceptance (a 3-day case with a 5-day
    warning would otherwise be yellow from birth), so for promised_days <= 1 it is the due
    date itself.
    """
    if warn_days < 0:
        raise ValueError("warn_days must be >= 0")
    total = promised_days + extension_days + suspended_days
    due = due_date(accepted_on, promised_days, cal, extension_days, suspended_days)
    back = min(warn_days, max(total - 1, 0))
    return cal.add_working_days(due, -back)


MAX_EXTENSION_DAYS = 10
# 中止 reasons (行政许可法 第四十五条, and 补正 after acceptance): code → label
SUSPEND_REASONS: dict[str, str] = {
    "hearing": N_("Hearing (听证)"), "inspection": N_("Inspection (检验)"),
    "testing": N_("Testing (检测)"), "appraisal": N_("Appraisal (鉴定)"),
    "expert_review": N_("Expert review (专家评审)"),
    "correction": N_("Materials to complete (补正)"),
}


def check_extension(state: str, days: int, already: int, limit: int = MAX_EXTENSION_DAYS
                    ) -> None:
    """An extension (延期) is granted once, for 1..``limit`` working days, to an open case."""
    if CaseState(state) in FINISHED:
        raise IllegalCaseTransition(state, "extend")
    if already:
        raise DomainError("already_extended", N_("This case was already extended once"),
                          "days")
    if not 1 <= days <= limit:
        raise DomainError("extension_too_long",
                          N_("An extension is 1 to %(limit)s working days"), "days", limit=limit)


def suspended_working_days(suspended_on: date, resumed_on: date, cal: WorkCalendar) -> int:
    """Working days a suspension from ``suspended_on`` to ``resumed_on`` stopped the clock:
    those after the day it began, up to and including the day it ended (0 the same day)."""
    return max(cal.working_days_between(suspended_on, resumed_on), 0)


class Urgency(StrEnum):
    NORMAL = "normal"
    YELLOW = "yellow"  # on or after the warning date, not yet overdue
    RED = "red"  # the due day is over and the case is still open


def urgency(today: date, due: date, warning: date, state: str) -> Urgency:
    if CaseState(state) in FINISHED or state == CaseState.SUSPENDED:
        return Urgency.NORMAL  # closed, or its clock stopped
    if today > due:
        return Urgency.RED
    if today >= warning:
        return Urgency.YELLOW
    return Urgency.NORMAL


def is_on_time(done_on: date, due: date) -> bool:
    """Done on or before the due day counts as on time (due means end of that day)."""
    return done_on <= due


_HALL_CODE = re.compile(r"[A-Z0-9]+")
_CASE_NUMBER = re.compile(r"([A-Z0-9]+)-(\d{8})-(\d{4,})")


def format_case_number(hall_code: str, day: date, seq: int) -> str:
    """``SMZX-20261123-0007``: hall code, acceptance day (hall's local date), daily sequence."""
    if not _HALL_CODE.fullmatch(hall_code):
        raise ValueError(f"hall code must be upper-case letters and digits: {hall_code!r}")
    if seq < 1:
        raise ValueError("seq starts at 1")
    return f"{hall_code}-{day:%Y%m%d}-{seq:04d}"


LOOKUP_DIGITS = 6  # the case's look-up code (查询码), printed on the 受理回执


def new_lookup_code() -> str:
    """The second factor of the public look-up: case numbers are sequential per day, so
    the number alone would let anyone walk through a day's cases; this is random."""
    return f"{secrets.randbelow(10 ** LOOKUP_DIGITS):0{LOOKUP_DIGITS}d}"


def lookup_code_matches(stored: str, typed: str) -> bool:
    """Whether ``typed`` (spaces and full-width digits forgiven) is the case's code; a case
    without one (none was ever given) matches nothing."""
    typed = "".join(str(int(ch)) if ch.isdecimal() else ch for ch in typed if not ch.isspace())
    return bool(stored) and secrets.compare_digest(stored.encode(), typed.encode())


def parse_case_number(number: str) -> tuple[str, date, int] | None:
    """Inverse of format_case_number; None for anything that is not a case number."""
    m = _CASE_NUMBER.fullmatch(number.strip().upper())
    if not m:
        return None
    code, ymd, seq = m.groups()
    try:
        day = date(int(ymd[:4]), int(ymd[4:6]), int(ymd[6:]))
    except ValueError:
        return None
    return (code, day, int(seq)) if int(seq) >= 1 else None
