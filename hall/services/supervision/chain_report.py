"""Per-chain figures of a report period (多窗联办): for each chain service, the visitors who
took its number, how many reached each step, completed it, were stopped at a step, and the
time from taking the number to the last step's finish (hall.domain.chains.figures).

Each step is also a visit of its own service, so the per-service rows of the same report
already count a chain's steps (one served visit per step). These figures are read from the
ticket rows of the period's chain numbers (``ix_tickets_chain_day``): a few per visitor,
never a scan of the other tickets.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from hall.domain import chains
from hall.services.context import UnitOfWork
from hall.store.models import Service, Ticket


def chain_rows(uow: UnitOfWork, hall_id: int, start: date, end: date) -> list[dict[str, Any]]:
    """One entry per chain service of the hall (inactive ones too, if they had visitors)."""
    s, t = Service.__table__, Ticket.__table__
    services = [r for r in uow.conn.execute(
        select(s.c.id, s.c.code, s.c.name, s.c.name_en, s.c.chain, s.c.active)
        .where(s.c.hall_id == hall_id).order_by(s.c.sort, s.c.id)) if r.chain]
    if not services:
        return []
    visits: dict[int, list[chains.StepVisit]] = {r.id: [] for r in services}
    rows = uow.conn.execute(
        select(t.c.chain_id, t.c.prefix, t.c.day, t.c.seq_no, t.c.step, t.c.state,
               t.c.outcome, t.c.issued_at, t.c.finished_at)
        .where(t.c.chain_id.in_(list(visits)), t.c.day >= start, t.c.day <= end))
    for r in rows:
        visits[r.chain_id].append(chains.StepVisit((r.prefix, r.day, r.seq_no), r.step,
                                                   r.state, r.outcome, r.issued_at,
                                                   r.finished_at))
    return [{"id": r.id, "code": r.code, "name": r.name, "name_en": r.name_en,
             "steps": list(r.chain), **chains.figures(len(r.chain), visits[r.id])}
            for r in services if r.active or visits[r.id]]
