"""并联审批's rules in the domain: the case a set of parts makes, and the fast-track promise."""
from __future__ import annotations

from datetime import date

import pytest

from hall.domain.errors import DomainError
from hall.domain.parallel import PartClock, parent_of, promised_days

MON, TUE, WED = date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)


def part(state: str, due: date = TUE, done_on: date | None = None) -> PartClock:
    return PartClock(state, due, due, done_on)


@pytest.mark.parametrize(("states", "case"), [
    (["accepted", "accepted"], "accepted"),
    (["in_progress", "accepted"], "in_progress"),
    (["done", "accepted"], "in_progress"),  # one department is through, one still runs
    (["suspended", "accepted"], "in_progress"),  # one clock stopped, the other runs
    (["suspended", "suspended", "done"], "suspended"),  # nothing left runs
    (["suspended", "returned"], "suspended"),
])
def test_a_case_in_parts_runs_while_any_part_runs(states, case):
    made = parent_of(part(s, done_on=MON if s in ("done", "returned") else None)
                     for s in states)
    assert (made.state, made.done_on) == (case, None)


def test_a_case_in_parts_is_done_when_all_are_and_returned_if_one_was_refused():
    done = parent_of([part("done", TUE, MON), part("done", WED, TUE)])
    assert (done.state, done.done_on, done.due) == ("done", TUE, WED)
    refused = parent_of([part("returned", TUE, MON), part("done", WED, WED)])
    assert (refused.state, refused.done_on) == ("returned", WED)  # the last part's day


def test_fast_track_shortens_the_promise_and_never_lengthens_it():
    assert promised_days(5, 2, fast_track=False) == 5
    assert promised_days(5, 2, fast_track=True) == 2
    assert promised_days(5, 2, fast_track=True, asked=1) == 1  # a part asked for less
    with pytest.raises(DomainError) as err:
        promised_days(5, None, fast_track=True)
    assert (err.value.code, err.value.field) == ("no_fast_track", "fast_track")
