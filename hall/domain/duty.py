"""Staff on duty, pure: the hall's shifts (班次), when a shift of a day begins and ends, whether
two shifts overlap, and a person's attendance of one shift from the spells they were signed
in at a window (DESIGN.md §6). No framework, no database."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hall.domain.i18n import N_

POSTS = ("A", "B")  # AB岗: A holds the window, B covers it
LEAVE_KINDS = ("personal", "sick", "annual", "business", "other")  # 事假 病假 年休假 公差 其他
# the words a pause reason must not be: a pause is never leave (请销假 is its own record)
LEAVE_WORDS = ("请假", "事假", "病假", "年休假", "年假", "休假", "公差", "产假", "婚假", "丧假")
DEFAULT_SHIFTS: tuple[dict[str, str], ...] = (
    {"code": "am", "name": "上午", "start": "09:00", "end": "12:00"},
    {"code": "pm", "name": "下午", "start": "13:30", "end": "17:00"},
)
DEFAULT_GRACE_MINUTES = 5  # late after this; the window's 缺岗 alert after this
# what people read for each leave kind, leave state and attendance status (pages, terminal)
KIND_WORDS = {"personal": N_("Personal leave (事假)"), "sick": N_("Sick leave (病假)"),
              "annual": N_("Annual leave (年休假)"), "business": N_("Official business (公差)"),
              "other": N_("Other leave")}
STATE_WORDS = {"pending": N_("Waiting for approval"), "approved": N_("Leave approved"),
               "refused": N_("Refused"), "returned": N_("Returned (销假)"),
               "cancelled": N_("Withdrawn")}
STATUS_WORDS = {"on_time": N_("On time"), "late": N_("Late"), "left_early": N_("Left early"),
                "late_and_left_early": N_("Late and left early"), "absent": N_("Absent"),
                "on_leave": N_("On leave"), "upcoming": N_("Not begun")}


@dataclass(frozen=True, slots=True)
class Shift:
    code: str
    name: str
    start: time
    end: time

    def span(self, day: date, zone: str) -> tuple[datetime, datetime]:
        """The shift of ``day`` as two aware datetimes (in the hall's zone)."""
        tz = ZoneInfo(zone)
        return (datetime.combine(day, self.start, tz), datetime.combine(day, self.end, tz))

    def overlaps(self, other: Shift) -> bool:
        return self.start < other.end and other.start < self.end


def shifts_from(settings: Mapping[str, Any] | None) -> dict[str, Shift]:
    """The hall's shifts by code (``halls.settings["shifts"]``, else the defaults)."""
    given = (settings or {}).get("shifts") or DEFAULT_SHIFTS
    return {s["code"]: Shift(s["code"], s["name"], time.fromisoformat(s["start"]),
                             time.fromisoformat(s["end"])) for s in given}


def rota_problem(posts: Iterable[tuple[int, date, str, str, str]],
                 shifts: Mapping[str, Shift]) -> str | None:
    """The first thing wrong with a list of posts (window, day, shift, post, person) as a
    whole, in words naming the post, or None: an unknown shift, one post held twice, one
    person on two posts whose shifts overlap that day."""
    seen: set[tuple[int, date, str, str]] = set()
    held: dict[tuple[str, date], list[Shift]] = {}
    for counter, day, shift, post, who in posts:
        where = f"{day.isoformat()} {shift} {counter} {post}"
        if shift not in shifts:
            return f"{where}: unknown shift {shift!r}"
        if (counter, day, shift, post) in seen:
            return f"{where}: the post appears twice"
        seen.add((counter, day, shift, post))
        if any(other.overlaps(shifts[shift]) for other in held.get((who, day), [])):
            return f"{where}: {who} is on overlapping shifts that day"
        held.setdefault((who, day), []).append(shifts[shift])
    return None


def grace_from(settings: Mapping[str, Any] | None) -> timedelta:
    minutes = (settings or {}).get("attendance_grace_minutes")
    return timedelta(minutes=DEFAULT_GRACE_MINUTES if minutes is None else minutes)


def is_leave_word(reason: str) -> bool:
    return any(word in reason for word in LEAVE_WORDS)


@dataclass(frozen=True, slots=True)
class Attendance:
    """One person's attendance of one shift: ``status`` is on_time | late | left_early |
    late_and_left_early | absent | on_leave | upcoming (the shift has not begun)."""

    status: str
    late_minutes: int = 0
    early_minutes: int = 0
    absent_minutes: int = 0
    first_in: datetime | None = None
    last_out: datetime | None = None


def attend(start: datetime, end: datetime, spells: Iterable[tuple[datetime, datetime | None]],
           now: datetime, grace: timedelta, on_leave: bool = False) -> Attendance:
    """Attendance of the shift [start, end) from the spells the person was signed in at a
    window (open or paused; ``None`` end = still there), as of ``now``.

    Late: first in more than ``grace`` after the start (minutes counted from the start);
    left early: last out before the end (counted while the shift is over, or the person is
    gone); absent: never in during the shift once ``grace`` has passed. Approved leave
    excuses all of it."""
    if on_leave:
        return Attendance("on_leave")
    if now < start:
        return Attendance("upcoming")
    inside = [(max(s, start), min(e or now, end)) for s, e in spells
              if s < end and (e is None or e > start)]
    inside = [(s, e) for s, e in inside if e > s or s == e == now]
    if not inside:
        if now < start + grace:
            return Attendance("upcoming")
        return Attendance("absent", absent_minutes=_minutes(min(now, end) - start))
    first = min(s for s, _ in inside)
    still_in = any(e is None or e >= min(now, end) for s, e in spells if s < end)
    last = min(now, end) if still_in else max(e for _, e in inside)
    late = _minutes(first - start) if first - start > grace else 0
    early = _minutes(end - last) if (now >= end or not still_in) and last < end else 0
    if late and early:
        status = "late_and_left_early"
    else:
        status = "late" if late else "left_early" if early else "on_time"
    return Attendance(status, late, early, 0, first, last)


def _minutes(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() // 60))
