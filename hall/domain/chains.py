"""多窗联办: a service that is a chain of other services' steps (issue 22 item 3).

A chain service (e.g. 存量房转移登记（联办）) lists its steps as service codes, in order
(``chain = ["sw-hd", "sw-js", "bdc-zy"]``). The visitor takes one number for the chain; it
queues at the first step's windows, and each step's finish with an outcome that lets the
visitor go on (办结, 受理) queues the same number at the next step's windows. Every other
outcome (补正, 不予受理, 咨询) ends the chain there: the visitor has something to fetch or
cannot go on, and a later window would only send them back.

This module is the chain's rules as data: what a valid chain is, and where a ticket goes
after a step. The queue (hall/services/queue/chains.py) applies them.
"""
from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hall.domain.i18n import N_
from hall.domain.measures import mean, percentile
from hall.domain.outcomes import Outcome

MAX_STEPS = 10
# the outcomes after which the visitor goes on to the next step
GOES_ON = frozenset({Outcome.DONE, Outcome.ACCEPTED})


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a chain is refused: an English msgid (translated by the caller) and its params."""

    message: str
    params: dict[str, str]

    def text(self) -> str:
        return self.message % self.params


def problem(code: str, steps: Sequence[str], chains: Mapping[str, Sequence[str]]
            ) -> Problem | None:
    """Why the chain ``steps`` of service ``code`` is not allowed, or None.

    ``chains`` maps every service code of the hall (``code`` included or not) to its own
    chain (empty for a plain service), as it will be once the change is made. Refused: fewer
    than two steps, more than ``MAX_STEPS``, a step listed twice or the chain itself among
    its steps (a loop: the ticket would come back to a window it has left), an unknown
    code, a step that is itself a chain, and a chain that is a step of another chain (a
    chain inside a chain: a number would have two "next" windows).
    """
    if not steps:
        return None
    if len(steps) < 2:
        return Problem(N_("a chain needs at least two steps"), {})
    if len(steps) > MAX_STEPS:
        return Problem(N_("a chain has at most %(n)s steps"), {"n": str(MAX_STEPS)})
    seen: set[str] = set()
    for step in steps:
        if step == code or step in seen:
            return Problem(N_("step %(step)s comes back in the chain (a loop)"), {"step": step})
        seen.add(step)
        if step not in chains:
            return Problem(N_("unknown step %(step)s"), {"step": step})
        if chains[step]:
            return Problem(N_("step %(step)s is itself a chain (a chain inside a chain)"),
                           {"step": step})
    outer = next((other for other, its in chains.items() if other != code and code in its),
                 None)
    if outer is not None:
        return Problem(N_("%(service)s is a step of the chain %(chain)s (a chain inside a "
                          "chain)"), {"service": code, "chain": outer})
    return None


def first_problem(chains: Mapping[str, Sequence[str]]) -> tuple[str, Problem] | None:
    """The first chain of a whole layout that is refused, with its service's code."""
    for code, steps in chains.items():
        found = problem(code, steps, chains)
        if found is not None:
            return code, found
    return None


# Why a chain ticket is not transferred. A transfer closes the visit and queues the visitor
# as a new, plain number at another line (queue/requeue.py): the number would leave the
# chain, the next windows would never see it and the phone page would stop following it.
# Keeping the number through a transfer would need a second row of the same step, which the
# number's uniqueness (one row per step) does not allow, and a step moved to another
# service would be counted against a matter the chain does not name. The window that holds
# a chain ticket ends its step with an outcome instead: 办结 or 受理 send it on to the next
# step's windows; 补正, 不予受理 and 咨询 end the chain (a visitor who must go elsewhere
# takes a number there, as anyone would).
TRANSFER_REFUSED = N_("%(number)s is at step %(step)s of %(of)s of the chain %(chain)s (多窗联办) "
                      "and keeps its number only through the chain's windows: finish this "
                      "step with an outcome instead of transferring it")


def transferable(chain_id: object) -> bool:
    """May a ticket of ``chain_id`` (None: a plain ticket) be transferred?"""
    return chain_id is None


def next_step(steps: Sequence[str], step: int, outcome: str) -> str | None:
    """The code of the service a ticket at (1-based) ``step`` goes on to after ``outcome``,
    or None when the chain ends there: at its last step, or on an outcome that stops it."""
    if outcome not in GOES_ON or step >= len(steps):
        return None
    return steps[step]


@dataclass(frozen=True, slots=True)
class StepVisit:
    """One step's row of a chain ticket, as the per-chain report reads it."""

    ticket: Hashable  # the number (prefix, day, sequence): the same for all its steps
    step: int
    state: str
    outcome: str | None
    issued_at: datetime  # step 1: when the number was taken
    finished_at: datetime | None


def figures(steps: int, visits: Iterable[StepVisit]) -> dict[str, Any]:
    """A chain's figures over its tickets: ``visitors`` (numbers taken for it: one visitor
    however many steps), how many ``reached`` each step, ``completed`` (the last step
    finished with 办结 or 受理), ``stopped`` (a step finished with an outcome that ends the
    chain: 补正, 不予受理, 咨询) and the time from taking the number to the last step's
    finish of the completed ones (whole seconds)."""
    by_ticket: dict[Hashable, list[StepVisit]] = {}
    for v in visits:
        by_ticket.setdefault(v.ticket, []).append(v)
    reached = [0] * steps
    completed = stopped = 0
    totals: list[float] = []
    for rows in by_ticket.values():
        rows.sort(key=lambda v: v.step)
        for v in rows:
            if 1 <= v.step <= steps:
                reached[v.step - 1] += 1
        first, last = rows[0], rows[-1]
        if last.state not in ("done", "rated"):
            continue  # still in the hall (or gone without a finish: no-show, cancelled)
        if last.outcome in GOES_ON and last.step >= steps and last.finished_at is not None:
            completed += 1
            totals.append(math.floor((last.finished_at - first.issued_at).total_seconds()))
        elif last.outcome not in GOES_ON:
            stopped += 1
    total_mean, total_p90 = mean(totals), percentile(totals, 90)
    return {"visitors": len(by_ticket), "reached": reached, "completed": completed,
            "stopped": stopped,
            "total_mean_s": None if total_mean is None else round(total_mean, 1),
            "total_p90_s": None if total_p90 is None else round(total_p90, 1)}
