"""A hand-built day whose figures are worked out by hand (DESIGN.md §2 measures)."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hall.domain import rollup
from hall.domain.rollup import TicketFacts

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(hh: int, mm: int) -> datetime:  # local 09:00 is 01:00 UTC
    return datetime(2026, 11, 23, hh - 8, mm, tzinfo=UTC)


def ticket(issued, called=None, started=None, finished=None, state="done", outcome=None,
           rating=None, recalls=0, fee=0, counter=1):
    return TicketFacts(service_id=7, counter_id=counter if called else None,
                       staff_id=3 if called else None, state=state, outcome=outcome,
                       issued_at=issued, called_at=called, started_at=started,
                       finished_at=finished, released_at=None, recalls=recalls,
                       fee_cents=fee, rating=rating)


DAY = [
    # waits 600 / 1800 / 600 s; services 600 / 1200 s
    ticket(at(9, 0), at(9, 10), at(9, 11), at(9, 21), "rated", "done", rating=5, fee=2500),
    ticket(at(9, 5), at(9, 35), at(9, 36), at(9, 56), "rated", "accepted", rating=2),
    ticket(at(9, 20), at(9, 30), state="no_show", recalls=2),
    ticket(at(9, 40), state="cancelled"),
]


def fold(rows) -> rollup.Sums:
    total = rollup.Sums()
    for s in rows.values():
        total.add(s)
    return total


def test_the_hand_built_day_gives_the_hand_worked_figures():
    f = rollup.figures(fold(rollup.sum_tickets(DAY, 900, SHANGHAI)), target_wait_s=900)
    assert (f["issued"], f["called"], f["served"]) == (4, 3, 2)
    assert f["wait_p50_s"] == 600  # sorted waits 600, 600, 1800
    assert f["wait_p90_s"] == 1560  # rank 1.8: 600 + 0.8 × (1800 − 600)
    assert f["wait_mean_s"] == 1000
    assert f["service_p50_s"] == 900  # between 600 and 1200
    assert f["service_p90_s"] == 1140
    assert f["service_level"] == round(2 / 3, 4)  # two of three called within 15 min
    assert f["no_show_rate"] == round(1 / 3, 4)
    assert f["onsite_completion_rate"] == 0.5  # 办结 ÷ (办结 + 受理)
    assert f["satisfaction_rate"] == 0.5  # one of two ratings is 3–5
    assert f["ratings"] == {"5": 1, "4": 0, "3": 0, "2": 1, "1": 0} and f["bad_ratings"] == 1
    assert (f["recalls"], f["cancelled"], f["no_show"], f["fees_cents"]) == (2, 1, 1, 2500)
    assert f["outcomes"]["done"] == 1 and f["outcomes"]["accepted"] == 1


def test_hours_are_local_and_rows_split_by_service_counter_and_staff():
    rows = rollup.sum_tickets(DAY, 900, SHANGHAI)
    assert set(rows) == {(7, 1, 3), (7, 0, 0)}  # the cancelled ticket never met a window
    total = fold(rows)
    assert total.issued_by_hour == {"9": 4} and total.served_by_hour == {"9": 2}


def test_a_day_with_nothing_has_no_rates():
    f = rollup.figures(rollup.Sums(), 900)
    assert f["service_level"] is None and f["wait_p50_s"] is None and f["issued"] == 0
