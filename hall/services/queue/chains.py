"""多窗联办 in the queue: a chain ticket goes from step to step keeping its number
(the rules: hall/domain/chains.py).

Each step is its own ticket row (queue/requeue.py): the same number, ``step`` 1, 2, …, and
the step's service, so it waits in that service's line, is called by that service's
windows, is timed against that service's limit (visit_alerts, the watch) and is counted in
that service's reports like any visit. ``chain_id`` names the chain service the number was
taken for; the per-chain figures are in supervision/chain_report.py.

Order at the next step: the ticket keeps its place by the time the number was taken, so a
visitor who has been in the hall since 9:00 does not wait behind people who came at 9:30
for the same window — the promise of 一次取号、全程联办 is that the later windows take
over the line the visitor already stood in. The wait at each step still counts from the
moment the visitor joined it (``issued_at``), so the step's own wait figures stay true.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from hall.domain import chains as rules
from hall.domain.access import Actor
from hall.services import repo
from hall.services.context import UnitOfWork
from hall.services.queue.requeue import queue_again
from hall.store.models import Counter, Ticket

T = Ticket.__table__


def first_service(uow: UnitOfWork, hall_id: int, chain: Any) -> Any:
    """The service whose line a new ticket of ``chain`` joins: its first step's."""
    return repo.service_cached(uow, hall_id, chain.chain[0])


def line_of(uow: UnitOfWork, svc: Any) -> Any:
    """The service whose line ``svc``'s newcomers join (what the kiosk and the screens show
    for it): a chain's first step, else ``svc`` itself."""
    return first_service(uow, svc.hall_id, svc) if svc.chain else svc


def position(uow: UnitOfWork, row: Any) -> dict[str, Any] | None:
    """Where a chain ticket stands (step ``step`` of ``of``, the chain's name and this
    step's service), for the phone page, screens and the terminal; None for a plain
    ticket. ``row`` is a ticket row, or the values of one being issued."""
    g = row.get if isinstance(row, dict) else lambda k: getattr(row, k)
    if g("chain_id") is None:
        return None
    chain = repo.service_cached(uow, g("hall_id"), g("chain_id"))
    svc = repo.service_cached(uow, g("hall_id"), g("service_id"))
    return {"id": chain.id, "code": chain.code, "name": chain.name, "name_en": chain.name_en,
            "step": g("step"), "of": len(chain.chain),
            "service": {"id": svc.id, "name": svc.name, "name_en": svc.name_en}}


def earlier_steps(uow: UnitOfWork, row: Any) -> list[dict[str, Any]]:
    """The steps a chain ticket has done before ``row``'s, in order: each one's service,
    outcome and window, so the window at step 2 sees where the visitor comes from (税费核定
    办结 ✓). Empty for a plain ticket or step 1."""
    if row.chain_id is None or row.step <= 1:
        return []
    c = Counter.__table__
    rows = uow.conn.execute(
        select(T.c.step, T.c.service_id, T.c.outcome, c.c.number.label("counter_number"))
        .select_from(T.outerjoin(c, c.c.id == T.c.counter_id))
        .where(T.c.hall_id == row.hall_id, T.c.prefix == row.prefix, T.c.day == row.day,
               T.c.seq_no == row.seq_no, T.c.step < row.step).order_by(T.c.step)).all()
    out = []
    for r in rows:
        svc = repo.service_cached(uow, row.hall_id, r.service_id)
        out.append({"step": r.step, "outcome": r.outcome, "counter_number": r.counter_number,
                    "service": {"id": svc.id, "name": svc.name, "name_en": svc.name_en}})
    return out


def go_on(uow: UnitOfWork, row: Any, counter: Any, actor: Actor,
          outcome: str) -> dict[str, Any] | None:
    """After ``row``'s step finished with ``outcome`` (inside finish's unit of work): queue
    the same number at the next step's service and emit ``ticket.step``; None when the
    chain ends here (its last step, or 补正/不予受理/咨询)."""
    if row.chain_id is None:
        return None
    chain = repo.service_cached(uow, row.hall_id, row.chain_id)
    code = rules.next_step(chain.chain, row.step, outcome)
    if code is None:
        return None
    svc = repo.service_cached(uow, row.hall_id, code)
    new = queue_again(uow, row, svc, counter, actor, queued_at=taken_at(uow.conn, row),
                      note=f"step {row.step + 1} of {chain.code}", next_step=True)
    step = {"step": row.step + 1, "of": len(chain.chain), "chain_id": chain.id}
    uow.emit("ticket.step", row.hall_id, ticket_id=row.id, new_ticket_id=new["id"],
             number=row.number, service_id=svc.id, service_name=svc.name,
             service_name_en=svc.name_en, **step)
    return {"id": new["id"], "number": new["number"], "service_id": svc.id,
            "service": svc.name, **step}


def taken_at(conn, row: Any) -> Any:
    """When the visitor took the number: its first step's issue time."""
    return conn.execute(select(T.c.issued_at).where(
        T.c.hall_id == row.hall_id, T.c.prefix == row.prefix, T.c.day == row.day,
        T.c.seq_no == row.seq_no, T.c.step == 1)).scalar_one()


def current(conn, row: Any) -> Any:
    """The row of the step a chain ticket is at now (its latest); ``row`` itself for a
    plain ticket. The phone page's token is step 1's: it follows the ticket through."""
    if row.chain_id is None:
        return row
    latest = conn.execute(select(func.max(T.c.step)).where(
        T.c.hall_id == row.hall_id, T.c.prefix == row.prefix, T.c.day == row.day,
        T.c.seq_no == row.seq_no)).scalar_one()
    if latest == row.step:
        return row
    return conn.execute(select(T).where(
        T.c.hall_id == row.hall_id, T.c.prefix == row.prefix, T.c.day == row.day,
        T.c.seq_no == row.seq_no, T.c.step == latest)).one()
