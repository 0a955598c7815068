"""Call-next policy (DESIGN.md §2): deterministic, and it says why it chose a ticket.

Order of precedence, applied to the waiting tickets a counter may serve:

1. the green-channel cap: after ``priority_ratio`` priority calls in a row, while a
   non-priority ticket waits, only non-priority tickets are eligible;
2. appointments whose slot is due (from ``appointment_early`` before the slot start);
3. tickets transferred to this counter by name (they have already queued once);
4. aging: any ticket that has waited ``max_wait`` or longer, oldest first — so neither the
   green channel nor a heavier-weighted service can starve anyone;
5. priority (绿色通道) tickets, heavier counter-service weight first, then oldest;
6. everything else, heavier weight first, then oldest (FIFO);
7. only if nothing else waits: an appointment that checked in before its slot.

Ties always end on arrival time, then ticket id, so the same input gives the same answer
whatever order the store returns candidates in.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hall.domain.i18n import N_

NORMAL, PRIORITY, APPOINTMENT = "normal", "priority", "appointment"
BY_NUMBER = "number"  # the reason code of a ticket staff called by its number

# Why a ticket was called, by reason code: the one table its words come from. A call keeps
# the code and its parameters; the English sentence goes to the history and the audit,
# and the web layer translates the message into the reader's language.
REASONS: dict[str, str] = {
    "appointment": N_("Appointment for %(time)s is due"),
    "directed": N_("Transferred to this counter"),
    "aged": N_("Waited %(minutes)d min, over the %(limit)d min limit"),
    "priority": N_("Green channel: %(reason)s"),
    "ratio": N_("%(ratio)d green-channel calls in a row: a normal ticket's turn"),
    "fifo": N_("Next in line (weight %(weight)d)"),
    "early": N_("Nobody else waits: appointment called early"),
    BY_NUMBER: N_("Called by number"),
}


def reason_text(code: str, params: dict | None = None) -> str:
    """The untranslated sentence for a reason code and its parameters."""
    return REASONS[code] % (params or {})


@dataclass(frozen=True, slots=True)
class Candidate:
    ticket_id: int
    number: str
    kind: str
    issued_at: datetime
    weight: int = 1
    priority_reason: str | None = None
    appointment_at: datetime | None = None
    directed: bool = False  # transferred to this very counter


@dataclass(frozen=True, slots=True)
class Policy:
    priority_ratio: int = 2
    max_wait: timedelta = timedelta(minutes=45)
    appointment_early: timedelta = timedelta(minutes=10)
    timezone: str = "Asia/Shanghai"  # the hall's, for times quoted in reasons


@dataclass(frozen=True, slots=True)
class Choice:
    candidate: Candidate
    reason: str  # stable code, a key of REASONS: appointment, directed, aged, priority, …
    params: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The N_-marked format string of ``reason`` (the web layer translates it)."""
        return REASONS[self.reason]

    @property
    def is_priority(self) -> bool:
        return self.candidate.kind == PRIORITY

    def text(self) -> str:
        """Untranslated human-readable reason."""
        return reason_text(self.reason, self.params)

    def next_streak(self, streak: int) -> int:
        """The counter's run of consecutive priority calls after this call."""
        return streak + 1 if self.is_priority else 0


def _fifo(c: Candidate) -> tuple:
    return (c.issued_at, c.ticket_id)


def _weighted(c: Candidate) -> tuple:
    return (-c.weight, c.issued_at, c.ticket_id)


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def choose(
    candidates: Iterable[Candidate], now: datetime, policy: Policy, priority_streak: int = 0
) -> Choice | None:
    """The ticket to call next and why, or None when nobody waits."""
    pool: Sequence[Candidate] = list(candidates)
    if not pool:
        return None
    capped = False
    # The cap protects visitors standing in line: a normal ticket, or an appointment whose
    # slot is due. An appointment checked in early is not "waiting" yet.
    if priority_streak >= policy.priority_ratio and any(
            c.kind == NORMAL or _is_due(c, now, policy) for c in pool):
        pool = [c for c in pool if c.kind != PRIORITY]
        capped = True

    due = [c for c in pool if _is_due(c, now, policy)]
    if due:
        c = min(due, key=lambda c: (c.appointment_at, *_weighted(c)))
        local = c.appointment_at.astimezone(ZoneInfo(policy.timezone))
        return Choice(c, "appointment", {"time": local.strftime("%H:%M")})

    directed = [c for c in pool if c.directed]
    if directed:
        return Choice(min(directed, key=_fifo), "directed")

    present = [c for c in pool if c.kind != APPOINTMENT]
    aged = [c for c in present if now - c.issued_at >= policy.max_wait]
    if aged:
        c = min(aged, key=_fifo)
        return Choice(c, "aged", {"minutes": _minutes(now - c.issued_at),
                                  "limit": _minutes(policy.max_wait)})

    priority = [c for c in present if c.kind == PRIORITY]
    if priority:
        c = min(priority, key=_weighted)
        return Choice(c, "priority", {"reason": c.priority_reason or "-"})

    if present:
        c = min(present, key=_weighted)
        if capped:
            return Choice(c, "ratio", {"ratio": policy.priority_ratio})
        return Choice(c, "fifo", {"weight": c.weight})

    c = min(pool, key=lambda c: (c.appointment_at or c.issued_at, c.ticket_id))
    return Choice(c, "early")


def _is_due(c: Candidate, now: datetime, policy: Policy) -> bool:
    return (
        c.kind == APPOINTMENT
        and c.appointment_at is not None
        and now >= c.appointment_at - policy.appointment_early
    )
