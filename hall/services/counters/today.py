"""Today's own figures of one counter, as its terminal shows them: visits served, average
service time, outcomes, no-shows, and the ratings its visitors gave (好差评).

"Today" is the hall's local day; the definitions are the domain's (hall/domain/measures.py),
applied to the tickets this counter handled today. One statement: today's tickets of the
hall (``ix_tickets_hall_day``) at this counter, each with its rating (primary key).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hall.domain import measures as m
from hall.domain.access import Actor
from hall.services import repo
from hall.services.context import Context, UnitOfWork, read
from hall.store.models import Rating, Ticket


def _visit(r: Any) -> m.Visit:
    return m.Visit(issued_at=r.issued_at, called_at=r.called_at, started_at=r.started_at,
                   finished_at=r.finished_at, state=r.state, outcome=r.outcome,
                   recalls=r.recalls, transferred=r.state == "transferred",
                   fee_cents=r.fee_cents, released_at=r.released_at)


def _round(x: float | None, digits: int = 1) -> float | None:
    return None if x is None else round(x, digits)


def figures(rows: list[Any]) -> dict[str, Any]:
    """The terminal's figures from (ticket columns + ``level``) rows; pure arithmetic."""
    visits = [_visit(r) for r in rows]
    finished = [v for v in visits if v.finished_at is not None]
    services = [s for v in finished if (s := m.service_seconds(v)) is not None]
    ratings = [m.Rating(r.level) for r in rows if r.level is not None]
    return {
        "called": sum(1 for v in visits if v.called_at is not None),
        "served": len(finished),
        "outcomes": m.counts_by_outcome(finished),
        "service_mean_s": _round(m.mean(services)),
        "wait_mean_s": _round(m.mean(m.waits(visits))),
        "no_shows": sum(1 for v in visits if v.state == "no_show"),
        "transfers": m.transfers_total(visits),
        "recalls": m.recalls_total(visits),
        "fees_cents": m.fees_total(visits),
        "onsite_completion_rate": _round(m.onsite_completion_rate(finished), 4),
        "ratings": {
            "count": len(ratings),
            "mean": _round(m.mean(r.level for r in ratings), 2),
            "satisfaction_rate": _round(m.satisfaction_rate(ratings), 4),
            "levels": {str(k): v for k, v in m.level_distribution(ratings).items()},
            "bad": m.bad_ratings_count(ratings),
            "unrated": sum(1 for r in rows if r.state == "done"),
        },
    }


def today(ctx: Context, counter_id: int, within: Actor | int) -> dict[str, Any]:
    """Figures of ``counter_id`` for the hall's current local day, read by ``within`` (an
    actor, or a hall: another hall's counter is not found, repo.owned)."""

    def query(uow: UnitOfWork) -> dict[str, Any]:
        conn = uow.conn
        counter = repo.counter_row(conn, counter_id, within, lock=False)
        hall = repo.hall_config(uow, counter.hall_id).settings
        day = hall.local(uow.now).date()
        t, r = Ticket.__table__, Rating.__table__
        rows = conn.execute(
            select(t.c.state, t.c.outcome, t.c.issued_at, t.c.called_at, t.c.started_at,
                   t.c.finished_at, t.c.released_at, t.c.recalls, t.c.fee_cents, r.c.level)
            .select_from(t.outerjoin(r, r.c.ticket_id == t.c.id))
            .where(t.c.hall_id == counter.hall_id, t.c.day == day,
                   t.c.counter_id == counter.id)).all()
        return {"counter_id": counter.id, "counter_number": counter.number,
                "day": day.isoformat(), "at": uow.now.isoformat(), **figures(rows)}

    return read(ctx, query)
