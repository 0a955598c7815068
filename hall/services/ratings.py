"""好差评: one rating per finished ticket, at its counter, within the rating window."""
from __future__ import annotations

from typing import Any

from sqlalchemy import insert

from hall.domain.access import Actor, require
from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.domain.lifecycle import Action
from hall.services import repo
from hall.services.calling import move_ticket
from hall.services.context import Context, Result, UnitOfWork, run
from hall.store.models import Rating

LEVELS = {5: N_("Very satisfied"), 4: N_("Satisfied"), 3: N_("Basically satisfied"),
          2: N_("Dissatisfied"), 1: N_("Very dissatisfied")}


def rate(ctx: Context, *, ticket_id: int, level: int, actor: Actor, reason: str | None = None,
         comment: str | None = None) -> Result:
    def command(uow: UnitOfWork) -> dict[str, Any]:
        conn = uow.conn
        if level not in LEVELS:
            raise DomainError("invalid_level", N_("A rating must be between 1 and 5"), "level")
        if level <= 2 and not (reason or "").strip():
            raise DomainError("reason_required", N_("Choose a reason for a low rating"), "reason")
        row = repo.ticket_row(conn, ticket_id)
        require(actor, "rate", row.counter_id)
        if row.state == "rated":
            raise DomainError("already_rated", N_("Ticket %(number)s is already rated"),
                              "ticket", number=row.number)
        if row.state != "done":
            raise DomainError("not_finished", N_("Ticket %(number)s is not finished"),
                              "ticket", number=row.number)
        hall = repo.hall_config(uow, row.hall_id).settings
        if (uow.now - row.finished_at).total_seconds() > hall.rating_window_s:
            raise DomainError("rating_closed", N_("The rating window has closed"), "ticket")
        counter = repo.counter_row(conn, row.counter_id, lock=False)
        move_ticket(uow, row, Action.RATE, counter, actor)
        conn.execute(insert(Rating).values(
            ticket_id=row.id, hall_id=row.hall_id, counter_id=row.counter_id,
            staff_id=row.staff_id, level=level, reason=reason, comment=comment, at=uow.now))
        uow.emit("ticket.rated", row.hall_id, ticket_id=row.id, number=row.number,
                 counter_id=row.counter_id, level=level)
        return {"ticket_id": row.id, "number": row.number, "level": level}

    return run(ctx, command)
