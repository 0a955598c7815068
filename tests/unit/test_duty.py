"""hall/domain/duty.py: shifts, a rota's posts checked as a whole, attendance of a shift."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hall.domain.duty import attend, rota_problem, shifts_from

DAY = date(2026, 11, 23)
SHIFTS = shifts_from({"shifts": [
    {"code": "am", "name": "上午", "start": "09:00", "end": "12:00"},
    {"code": "long", "name": "全天", "start": "11:00", "end": "17:00"},
    {"code": "pm", "name": "下午", "start": "13:30", "end": "17:00"}]})


def test_a_rota_names_its_first_unknown_shift_repeated_post_or_overlap():
    fine = [(1, DAY, "am", "A", "li"), (1, DAY, "pm", "A", "li"), (1, DAY, "am", "B", "wang")]
    assert rota_problem(fine, SHIFTS) is None
    assert rota_problem([(2, DAY, "night", "A", "li")], SHIFTS) == \
        "2026-11-23 night 2 A: unknown shift 'night'"
    assert "appears twice" in rota_problem([(1, DAY, "am", "A", "li"),
                                            (1, DAY, "am", "A", "wang")], SHIFTS)
    overlap = rota_problem([(1, DAY, "am", "A", "li"), (2, DAY, "long", "B", "li")], SHIFTS)
    assert overlap == "2026-11-23 long 2 B: li is on overlapping shifts that day"
    # the same shifts on another day, or for another person, do not overlap
    assert rota_problem([(1, DAY, "am", "A", "li"), (2, DAY + timedelta(days=1), "long",
                                                     "B", "li")], SHIFTS) is None


def test_a_shift_attended_late_then_left_early_counts_both_in_minutes():
    start = datetime(2026, 11, 23, 1, tzinfo=UTC)
    end = start + timedelta(hours=3)
    got = attend(start, end, [(start + timedelta(minutes=12), end - timedelta(minutes=30))],
                 end + timedelta(hours=1), timedelta(minutes=5))
    assert (got.status, got.late_minutes, got.early_minutes) == ("late_and_left_early", 12, 30)
    assert attend(start, end, [], end, timedelta(minutes=5)).status == "absent"
    assert attend(start, end, [], end, timedelta(minutes=5), on_leave=True).status == "on_leave"
