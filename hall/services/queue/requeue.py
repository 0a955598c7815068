"""A visitor queued again after a visit, as a new waiting row linked to the one that ended
(``parent_id``): a transfer (visits.transfer) or a chain's next step (queue/chains.py).

One row per visit keeps every visit's own times, window, outcome and rating, so reports,
time limits and the rating pad count each visit as it was. The two cases differ only in
the number: a transfer takes a new one from the target service's prefix; a chain step keeps
the ticket's number (same prefix and sequence, one step on: ``uq_tickets_number`` is per
step). Both keep the visitor's first contact (首问), whom each window serving them sees.
"""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import insert

from hall.domain.access import Actor
from hall.domain.numbering import format_number
from hall.services import repo
from hall.services.context import UnitOfWork
from hall.store.models import Ticket


def queue_again(uow: UnitOfWork, row: Any, svc: Any, counter: Any, actor: Actor, *,
                queued_at: datetime, note: str, target_counter_id: int | None = None,
                next_step: bool = False) -> dict[str, Any]:
    """Insert the waiting row at ``svc`` (its id, number and token). ``queued_at`` is its
    place in the line; ``issued_at`` is now, so its wait at this line counts from now."""
    conn = uow.conn
    if next_step:  # the same ticket, one step on; the visitor is still who they were
        number = dict(prefix=row.prefix, seq_no=row.seq_no, number=row.number,
                      chain_id=row.chain_id, step=row.step + 1,
                      holder_masked=row.holder_masked, carried_to=row.carried_to)
    else:
        seq = repo.next_number(conn, row.hall_id, svc.prefix, row.day)
        number = dict(prefix=svc.prefix, seq_no=seq, number=format_number(svc.prefix, seq))
    values = dict(hall_id=row.hall_id, service_id=svc.id, day=row.day, **number,
                  token=secrets.token_urlsafe(12), kind=row.kind,
                  priority_reason=row.priority_reason, state="waiting", issued_at=uow.now,
                  queued_at=queued_at, target_counter_id=target_counter_id, parent_id=row.id,
                  issued_by=actor.audit(), recalls=0, fee_cents=0,
                  first_staff_id=row.first_staff_id)  # 首问: the visitor's, every window on
    new_id = conn.execute(insert(Ticket).values(**values).returning(Ticket.id)).scalar_one()
    repo.add_history(conn, new_id, uow.now, "issue", None, "waiting", counter.id,
                     actor.audit(), note)
    return {"id": new_id, "number": values["number"], "token": values["token"]}
