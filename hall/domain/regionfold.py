"""The region's picture of a hall's tickets, from the hall's events alone (DESIGN.md §8).

The region has no copy of a hall's tables, only its event log. Each ``ticket.*`` event
moves one ticket the way the hall's own command moved its row (hall/services/queue): the
same stamps (called_at, started_at, finished_at, released_at), states and outcome, the
rating of ``ticket.rated``. What a ticket adds to a report is then computed by the hall's
own code (``rollup.sum_tickets``), so the region's figures are the hall's figures for the
same events; ``COUNTS`` are the additive ones a region day row keeps, plus the longest wait
(a ticket's wait only grows when it is called again, so a running maximum stays exact).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from typing import Any

from hall.domain import histogram as hist
from hall.domain import rollup
from hall.domain.outcomes import Outcome

OUTCOMES = tuple(o.value for o in Outcome)
COUNTS = ("issued", "called", "within_target", "no_show", "cancelled", "recalls",
          "transfers", "wait_s_total", "wait_max_s", "served", "service_s_total",
          *OUTCOMES, "rated_1", "rated_2", "rated_3", "rated_4", "rated_5")
ADDITIVE = tuple(c for c in COUNTS if c != "wait_max_s")

# ticket event → (state it leaves the ticket in, the stamp it sets to the event's time)
MOVES: dict[str, tuple[str | None, str | None]] = {
    "ticket.called": ("called", "called_at"),
    "ticket.recalled": (None, None),
    "ticket.started": ("serving", "started_at"),
    "ticket.finished": ("done", "finished_at"),
    "ticket.skipped": ("no_show", "released_at"),
    "ticket.held": ("held", "released_at"),
    "ticket.unheld": ("waiting", None),
    "ticket.reinstated": ("waiting", None),
    "ticket.cancelled": ("cancelled", None),
    "ticket.transferred": ("transferred", "released_at"),
    "ticket.rated": ("rated", None),
}


@dataclass(slots=True)
class Ticket:
    ticket_id: int
    day: Any  # date: the local day it was issued
    service_id: int
    state: str
    issued_at: datetime
    queued_at: datetime
    counter_id: int | None = None
    outcome: str | None = None
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    released_at: datetime | None = None
    recalls: int = 0
    rating: int | None = None

    def copy(self) -> Ticket:
        return replace(self)


def issued(at: datetime, payload: dict[str, Any], tz: tzinfo) -> Ticket:
    """The ticket of a ``ticket.issued`` event."""
    t = payload["ticket"]
    return Ticket(ticket_id=t["id"], day=at.astimezone(tz).date(),
                  service_id=t["service"]["id"], state="waiting", issued_at=at, queued_at=at)


def transferred(old: Ticket, at: datetime, payload: dict[str, Any], tz: tzinfo) -> Ticket:
    """The new waiting ticket a transfer (转办) issues: in line from the old ticket's issue
    unless it goes to a named window (as hall/services/queue/visits.py queues it)."""
    queued = at if payload.get("to_counter") is not None else old.issued_at
    return Ticket(ticket_id=payload["new_ticket_id"], day=at.astimezone(tz).date(),
                  service_id=payload["service_id"], state="waiting", issued_at=at,
                  queued_at=queued)


def step(t: Ticket, kind: str, at: datetime, payload: dict[str, Any]) -> None:
    """Move ``t`` by one of its events (a type outside ``MOVES`` changes nothing)."""
    if kind not in MOVES:
        return
    state, stamp = MOVES[kind]
    if state is not None:
        t.state = state
    if stamp is not None:
        setattr(t, stamp, at)
    if kind in ("ticket.called", "ticket.recalled"):
        t.counter_id = payload.get("counter_id", t.counter_id)
        # the event carries the count before this call: a recall adds one to it
        t.recalls = payload.get("recalls", t.recalls) + (kind == "ticket.recalled")
    elif kind == "ticket.finished":
        t.outcome = payload.get("outcome")
    elif kind == "ticket.rated":
        t.rating = payload.get("level")
    elif kind == "ticket.reinstated":  # back in line from now, as never called
        t.queued_at, t.called_at, t.released_at, t.counter_id = at, None, None, None


def counts(t: Ticket | None, target_wait_s: int, tz: tzinfo) -> dict[str, int]:
    """What ``t`` adds to its (day, service) row: the hall's ``sum_tickets`` of it alone."""
    out = dict.fromkeys(COUNTS, 0)
    if t is None:
        return out
    facts = rollup.TicketFacts(t.service_id, t.counter_id, None, t.state, t.outcome,
                               t.issued_at, t.called_at, t.started_at, t.finished_at,
                               t.released_at, t.recalls, 0, t.rating)
    (s,) = rollup.sum_tickets([facts], target_wait_s, tz).values()
    for name in ("issued", "called", "within_target", "no_show", "cancelled", "recalls",
                 "transfers", "wait_s_total", "service_s_total"):
        out[name] = getattr(s, name)
    out["wait_max_s"] = s.wait_s_total if s.called else 0
    out["served"] = hist.count(s.ints("services"))
    for outcome, n in s.outcomes.items():
        out[outcome] = n
    for level, n in s.ratings.items():
        out[f"rated_{level}"] = n
    return out


def sums(row: dict[str, Any]) -> rollup.Sums:
    """A region row (or rows added up) as the hall's ``Sums`` (without the distributions
    of waits, which the region does not keep: its rows have means and the longest)."""
    s = rollup.Sums(**{n: int(row.get(n) or 0) for n in rollup.Sums.COUNTS
                       if n != "fees_cents"})
    s.outcomes = {o: int(row.get(o) or 0) for o in OUTCOMES if row.get(o)}
    s.ratings = {str(lv): int(row.get(f"rated_{lv}") or 0) for lv in range(1, 6)
                 if row.get(f"rated_{lv}")}
    return s
