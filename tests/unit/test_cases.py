from __future__ import annotations

from datetime import date

import pytest

from hall.domain.cases import (
    TRANSITIONS,
    CaseAction,
    CaseState,
    IllegalCaseTransition,
    Urgency,
    allowed_actions,
    due_date,
    format_case_number,
    is_on_time,
    parse_case_number,
    transition,
    urgency,
    warning_date,
)
from hall.domain.errors import DomainError
from hall.domain.workdays import WorkCalendar

CAL = WorkCalendar()
S, A = CaseState, CaseAction


def test_transition_table_is_exactly_the_designed_one():
    assert TRANSITIONS == {
        (S.ACCEPTED, A.START): S.IN_PROGRESS,
        (S.ACCEPTED, A.FINISH): S.DONE,
        (S.ACCEPTED, A.RETURN): S.RETURNED,
        (S.IN_PROGRESS, A.FINISH): S.DONE,
        (S.IN_PROGRESS, A.RETURN): S.RETURNED,
        # the case clock (中止 / 恢复): a suspended case resumes in progress or is returned
        (S.ACCEPTED, A.SUSPEND): S.SUSPENDED,
        (S.IN_PROGRESS, A.SUSPEND): S.SUSPENDED,
        (S.SUSPENDED, A.RESUME): S.IN_PROGRESS,
        (S.SUSPENDED, A.RETURN): S.RETURNED,
    }


def test_case_moves_from_accepted_through_in_progress_to_done():
    assert transition("accepted", "start") is S.IN_PROGRESS
    assert transition(S.IN_PROGRESS, A.FINISH) is S.DONE


@pytest.mark.parametrize(
    ("state", "action"),
    [("done", "start"), ("done", "return"), ("returned", "finish"), ("in_progress", "start"),
     ("accepted", "fly"), ("lost", "finish")],
)
def test_illegal_case_transition_is_a_domain_error(state: str, action: str):
    with pytest.raises(IllegalCaseTransition) as exc:
        transition(state, action)
    err = exc.value
    assert isinstance(err, DomainError)
    assert err.code == "illegal_case_transition"
    assert (err.state, err.action) == (state, action)
    assert err.params == {"state": state, "action": action}


def test_finished_cases_allow_no_action():
    assert allowed_actions("done") == frozenset()
    assert allowed_actions("returned") == frozenset()
    assert allowed_actions("accepted") == {A.START, A.FINISH, A.RETURN, A.SUSPEND}
    assert allowed_actions("suspended") == {A.RESUME, A.RETURN}


def test_due_date_counts_working_days_over_national_day():
    # Accepted Wed Sep 30 2026, 5 days: Oct 8, 9, 10 (make-up Sat), 12, 13.
    assert due_date(date(2026, 9, 30), 5, CAL) == date(2026, 10, 13)
    # 即办件 (0 days) are due the same day.
    assert due_date(date(2026, 9, 30), 0, CAL) == date(2026, 9, 30)
    with pytest.raises(ValueError):
        due_date(date(2026, 9, 30), -1, CAL)


def test_warning_is_one_working_day_before_due_by_default():
    # Due Tue Oct 13; one working day earlier is Mon Oct 12.
    assert warning_date(date(2026, 9, 30), 5, CAL) == date(2026, 10, 12)
    # Two working days earlier is Sat Oct 10, the make-up workday.
    assert warning_date(date(2026, 9, 30), 5, CAL, warn_days=2) == date(2026, 10, 10)
    # Three: Fri Oct 9.
    assert warning_date(date(2026, 9, 30), 5, CAL, warn_days=3) == date(2026, 10, 9)


def test_warning_for_a_one_day_case_is_the_due_date():
    # Accepted Wed Sep 30: due Thu Oct 8 (first working day after the holiday).
    assert warning_date(date(2026, 9, 30), 1, CAL) == date(2026, 10, 8)
    assert warning_date(date(2026, 9, 30), 0, CAL) == date(2026, 9, 30)


def test_warning_never_falls_on_or_before_acceptance():
    # 3-day case from Mon Nov 23 is due Thu Nov 26; a 10-day warning stops at Tue Nov 24.
    assert warning_date(date(2026, 11, 23), 3, CAL, warn_days=10) == date(2026, 11, 24)
    with pytest.raises(ValueError):
        warning_date(date(2026, 11, 23), 3, CAL, warn_days=-1)


@pytest.mark.parametrize(
    ("today", "state", "expected"),
    [
        (date(2026, 10, 9), "accepted", Urgency.NORMAL),
        (date(2026, 10, 10), "in_progress", Urgency.YELLOW),  # the warning day itself
        (date(2026, 10, 13), "in_progress", Urgency.YELLOW),  # the due day is still not late
        (date(2026, 10, 14), "accepted", Urgency.RED),
        (date(2026, 10, 14), "done", Urgency.NORMAL),
        (date(2026, 10, 30), "returned", Urgency.NORMAL),
    ],
)
def test_urgency(today: date, state: str, expected: Urgency):
    assert urgency(today, date(2026, 10, 13), date(2026, 10, 10), state) is expected


def test_done_on_the_due_day_is_on_time():
    assert is_on_time(date(2026, 10, 13), date(2026, 10, 13))
    assert is_on_time(date(2026, 10, 1), date(2026, 10, 13))
    assert not is_on_time(date(2026, 10, 14), date(2026, 10, 13))


def test_case_number_format_and_parse():
    number = format_case_number("SMZX", date(2026, 11, 23), 7)
    assert number == "SMZX-20261123-0007"
    assert parse_case_number(number) == ("SMZX", date(2026, 11, 23), 7)
    assert format_case_number("SMZX", date(2026, 11, 23), 12345) == "SMZX-20261123-12345"


@pytest.mark.parametrize("bad", ["", "smzx", "SM-ZX", "市民中心"])
def test_case_number_rejects_bad_hall_codes(bad: str):
    with pytest.raises(ValueError):
        format_case_number(bad, date(2026, 11, 23), 1)


def test_case_number_rejects_seq_zero():
    with pytest.raises(ValueError):
        format_case_number("SMZX", date(2026, 11, 23), 0)


@pytest.mark.parametrize("text", ["", "SMZX-20261123", "SMZX-20261332-0001", "SMZX-20261123-0000"])
def test_parse_rejects_non_case_numbers(text: str):
    assert parse_case_number(text) is None
