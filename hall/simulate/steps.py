"""What a simulated visit does, whoever plays it — the HTTP players of a live day
(players.py) or the in-process past day (fast.py): the plan of a ticket, how a window
finishes it, how the pad rates it, which slot an appointment books, what the terminal
and the pad offer, which refusals are no error, and the window each staff member plays."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hall.domain.outcomes import Outcome
from hall.services.ratings.rating import OTHER
from hall.simulate.plan import REFUSAL_NOTES, Visitor

# ServiceUnavailable codes (hall/services/queue/catalog.py STATES): the visitor goes home
UNAVAILABLE = frozenset({"service_closed", "service_closed_today", "service_outside_hours",
                         "quota_exceeded"})
# an appointment whose check-in has not opened (a hall's window narrower than the server's
# default): the visitor takes a normal number instead
TOO_EARLY = frozenset({"appointment_too_early"})


def visit_of(v: Visitor) -> dict[str, Any]:
    """What the window will do with the visitor's ticket (kept by ticket id)."""
    return {"visitor": v.n, "minutes": v.minutes, "outcome": v.outcome, "no_show": v.no_show,
            "transfer_to": v.transfer_to, "rating": v.rating,
            "after_transfer": v.after_transfer}


# a ticket the simulator did not issue (someone at a real kiosk): served as a plain visit
UNPLANNED = {"minutes": 5.0, "outcome": Outcome.DONE.value, "no_show": False,
             "transfer_to": None, "rating": None, "after_transfer": {}}


def after_transfer(visit: dict[str, Any]) -> dict[str, Any]:
    """The visit the new ticket of a transfer has at its second service."""
    return {**visit, "transfer_to": None, **visit["after_transfer"]}


def visitor_phone(v: Visitor) -> str:
    """The phone an appointment is booked with: the same visitor, the same number."""
    return f"139{random.Random(v.n).randrange(10**8):08d}"


def finish_body(visit: dict[str, Any], tid: int) -> dict[str, Any]:
    """How the window finishes the visit: its outcome, why a refusal, whose a case."""
    body: dict[str, Any] = {"outcome": visit["outcome"]}
    if visit["outcome"] == Outcome.REFUSED.value:
        body["note"] = random.Random(tid).choice(REFUSAL_NOTES)
    if visit["outcome"] == Outcome.ACCEPTED.value:
        body["applicant"] = "张三"
    return body


def rating_body(rating: tuple[int, str | None], offered: tuple[str, ...], tid: int
                ) -> dict[str, Any]:
    """The visitor's rating as the pad sends it: a reason it offers for a bad one."""
    level, reason = rating
    body: dict[str, Any] = {"level": level}
    if reason:
        reason = offered_reason(reason, offered, tid)
        body["reason"] = reason
        if reason in OTHER:
            body["comment"] = "排队太久"
    return body


def take_reasons(window: Window, board: dict[str, Any], shown: dict[str, Any]) -> None:
    """What the terminal (``board``) and the pad (``shown``) offer: the hall's own pause
    word for lunch, and the reasons for a bad rating."""
    pauses = board.get("pause_reasons") or []
    if pauses and window.lunch_reason not in pauses:
        window.lunch_reason = next((r for r in pauses if "午" in r or "餐" in r), pauses[0])
    # the pad page's answer labels each reason ({"value", "label"}); the service's is bare
    window.rating_reasons = tuple(r["value"] if isinstance(r, dict) else r
                                  for r in shown.get("reasons") or [])


def offered_reason(planned: str, offered: tuple[str, ...], tid: int) -> str:
    """The planned reason if the pad offers it, else one the pad offers."""
    if not offered or planned in offered:
        return planned
    own = [r for r in offered if r not in OTHER] or list(offered)
    return own[tid % len(own)]


def slot_now(slots: list[dict[str, Any]], now: datetime, early_s: int) -> str | None:
    """The first slot with places left whose check-in is open now or sooner (``early_s``
    before its start: the hall's setting; the server's default where it is not known)."""
    for slot in slots:
        if slot.get("remaining", 0) > 0 and \
                (datetime.fromisoformat(slot["start"]) - now).total_seconds() <= early_s:
            return slot["start"]
    return None


@dataclass
class Window:
    counter_id: int
    number: int
    login: str
    password: str
    pad_id: int
    pad_token: str
    lunch_at: float  # simulated seconds after opening
    lunch_reason: str = "午休"  # the hall's own word for it, read from the terminal
    rating_reasons: tuple[str, ...] = ()  # what the window's pad offers
    staff_id: int | None = None  # the account ``login`` is (a past day signs it in)
