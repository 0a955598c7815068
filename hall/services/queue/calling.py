"""Counter commands on tickets: call next, call by number, recall, skip, reinstate, hold,
unhold, start, finish and transfer. Each locks the counter first (see repo.counter_row)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from hall.domain import announce
from hall.domain.access import Actor, require, require_ticket_here
from hall.domain.callnext import BY_NUMBER, choose, reason_text
from hall.domain.errors import DomainError
from hall.domain.hall import require_counter_open
from hall.domain.i18n import N_
from hall.domain.lifecycle import AT_COUNTER_STATES, Action, next_state
from hall.services import repo
from hall.services.context import Context, Result, UnitOfWork, run
from hall.services.queue import chains
from hall.services.supervision import visit_alerts
from hall.services.views import iso
from hall.store.models import Ticket


def _current(conn, counter) -> Any:
    """The ticket the counter is attending (called or serving), or None."""
    if counter.current_ticket_id is None:
        return None
    row = repo.ticket_row(conn, counter.current_ticket_id, counter.hall_id)
    return row if row.state in AT_COUNTER_STATES and row.counter_id == counter.id else None


def need_current(conn, counter, action: str) -> Any:
    row = _current(conn, counter)
    if row is None:
        raise DomainError("no_current_ticket", N_("The counter has no ticket to %(action)s"),
                          "ticket", action=action)
    return row


def _ensure_free(conn, counter) -> None:
    row = _current(conn, counter)
    if row is not None:
        raise DomainError("counter_busy", N_("Finish, skip or transfer %(number)s first"),
                          "counter", number=row.number)


def move_ticket(uow: UnitOfWork, row, action: Action, counter, actor: Actor,
                note: str | None = None, **values: Any) -> str:
    """Apply one life-cycle transition guarded by the current state (the atomic claim)."""
    new = next_state(row.state, action)
    changed = uow.conn.execute(
        update(Ticket).where(Ticket.id == row.id, Ticket.state == row.state)
        .values(state=new, **values)).rowcount
    if changed != 1:  # another transaction moved it first (PostgreSQL, READ COMMITTED)
        raise DomainError("conflict", N_("Ticket %(number)s was changed meanwhile"), "ticket",
                          number=row.number)
    repo.add_history(uow.conn, row.id, uow.now, action, row.state, new,
                     counter.id if counter is not None else None, actor.audit(), note)
    return new


def _called_event(uow: UnitOfWork, counter, row, reason: str | None, type_: str) -> None:
    # calling by name (a hall setting, off by default): the name as kept, masked (张*女士)
    by_name = bool((repo.hall_config(uow, counter.hall_id).row.settings or {})
                   .get("call_by_name"))
    holder = row.holder_masked if by_name else None
    extra = {"holder": holder} if holder else {}
    if row.chain_id is not None:  # 多窗联办: screens show 第2步/共3步 税费核定 by the number
        extra["chain"] = chains.position(uow, row)
    uow.emit(type_, counter.hall_id, ticket_id=row.id, number=row.number,
             service_id=row.service_id, counter_id=counter.id, counter_number=counter.number,
             counter_name=counter.name, reason=reason, recalls=row.recalls,
             announce=announce.call_text(row.number, counter.number, holder), **extra)


def call_next(ctx: Context, *, counter_id: int, actor: Actor) -> Result:
    """Call the ticket the policy chooses; value is None when nobody waits."""

    def command(uow: UnitOfWork) -> dict[str, Any] | None:
        conn = uow.conn
        counter = repo.counter_row(conn, counter_id, actor)
        require(actor, "call", counter.id)
        require_counter_open(counter.state, "call")
        _ensure_free(conn, counter)
        hall = repo.hall_config(uow, counter.hall_id).settings
        weights = repo.counter_services(uow.conn, counter.id, uow.ctx.cache)
        tried: set[int] = set()
        while True:
            choice = choose(repo.queue_heads(conn, counter.id, weights, tried), uow.now,
                            hall.policy(), counter.priority_streak)
            if choice is None:
                return None
            row = repo.ticket_row(conn, choice.candidate.ticket_id, counter.hall_id)
            if row.state == "waiting":
                break
            tried.add(row.id)  # taken by a concurrent counter between read and lock
        reason = choice.text()
        move_ticket(uow, row, Action.CALL, counter, actor, reason, called_at=uow.now,
              counter_id=counter.id, staff_id=counter.staff_id, call_reason=reason[:200],
              call_reason_code=choice.reason, call_reason_params=choice.params or None)
        repo.set_counter(conn, counter.id, current_ticket_id=row.id,
                         priority_streak=choice.next_streak(counter.priority_streak))
        _called_event(uow, counter, row, reason, "ticket.called")
        return {"id": row.id, "number": row.number, "service_id": row.service_id,
                "kind": row.kind, "reason": reason, "reason_code": choice.reason,
                "reason_message": choice.message, "reason_params": choice.params,
                "issued_at": iso(row.issued_at), "called_at": iso(uow.now)}

    return run(ctx, command)


def call_number(ctx: Context, *, counter_id: int, number: str, actor: Actor) -> Result:
    """Call a named waiting ticket of today (e.g. a visitor who came to the desk)."""

    def command(uow: UnitOfWork) -> dict[str, Any]:
        conn = uow.conn
        counter = repo.counter_row(conn, counter_id, actor)
        require(actor, "call", counter.id)
        require_counter_open(counter.state, "call")
        _ensure_free(conn, counter)
        hall = repo.hall_config(uow, counter.hall_id).settings
        day = hall.local(uow.now).date()
        found = conn.execute(select(Ticket.__table__).where(
            Ticket.hall_id == counter.hall_id,
            (Ticket.day == day) | (Ticket.carried_to == day),  # or carried over to today
            Ticket.number == number.strip().upper())
            .order_by(Ticket.step.desc())  # 多窗联办: the step the number is at now
            .with_for_update()).first()
        if found is None:
            raise DomainError("ticket_not_found", N_("No ticket %(number)s today"), "number",
                              number=number)
        _require_here(uow, counter, found, "number")
        reason = reason_text(BY_NUMBER)
        move_ticket(uow, found, Action.CALL, counter, actor, reason, called_at=uow.now,
              counter_id=counter.id, staff_id=counter.staff_id, call_reason=reason,
              call_reason_code=BY_NUMBER, call_reason_params=None)
        repo.set_counter(conn, counter.id, current_ticket_id=found.id)
        _called_event(uow, counter, found, reason, "ticket.called")
        return {"id": found.id, "number": found.number, "reason": reason}

    return run(ctx, command)


def recall(ctx: Context, *, counter_id: int, actor: Actor) -> Result:
    def command(uow: UnitOfWork) -> dict[str, Any]:
        conn = uow.conn
        counter = repo.counter_row(conn, counter_id, actor)
        require(actor, "recall", counter.id)
        require_counter_open(counter.state, "recall")
        row = need_current(conn, counter, "recall")
        hall = repo.hall_config(uow, counter.hall_id).settings
        if row.recalls >= hall.recall_limit:
            raise DomainError("recall_limit", N_("Recalled %(n)d times already: skip it"),
                              "ticket", n=row.recalls)
        move_ticket(uow, row, Action.RECALL, counter, actor, recalls=row.recalls + 1)
        row = repo.ticket_row(conn, row.id, counter.hall_id)
        _called_event(uow, counter, row, row.call_reason, "ticket.recalled")
        return {"id": row.id, "number": row.number, "recalls": row.recalls}

    return run(ctx, command)


def _simple(action: Action, event: str, clear_counter: bool, stamp: str | None = None):
    """Commands that move the counter's current ticket one step (start, skip)."""

    def service(ctx: Context, *, counter_id: int, actor: Actor) -> Result:
        def command(uow: UnitOfWork) -> dict[str, Any]:
            counter = repo.counter_row(uow.conn, counter_id, actor)
            require(actor, action.value, counter.id)
            row = need_current(uow.conn, counter, action.value)
            values = {stamp: uow.now} if stamp else {}
            state = move_ticket(uow, row, action, counter, actor, **values)
            if clear_counter:
                repo.set_counter(uow.conn, counter.id, current_ticket_id=None)
            uow.emit(event, counter.hall_id, ticket_id=row.id, number=row.number,
                     service_id=row.service_id, counter_id=counter.id,
                     counter_number=counter.number)
            return {"id": row.id, "number": row.number, "state": state}

        return run(ctx, command)

    return service


start = _simple(Action.START, "ticket.started", clear_counter=False, stamp="started_at")
skip = _simple(Action.SKIP, "ticket.skipped", clear_counter=True, stamp="released_at")


def hold(ctx: Context, *, counter_id: int, actor: Actor, note: str | None = None) -> Result:
    """Set the current visitor aside (e.g. to fetch a missing paper); unhold brings them
    back to this same counter ahead of the queue."""

    def command(uow: UnitOfWork) -> dict[str, Any]:
        counter = repo.counter_row(uow.conn, counter_id, actor)
        require(actor, "hold", counter.id)
        row = need_current(uow.conn, counter, "hold")
        move_ticket(uow, row, Action.HOLD, counter, actor, note, target_counter_id=counter.id,
              released_at=uow.now)
        repo.set_counter(uow.conn, counter.id, current_ticket_id=None)
        if row.state == "serving":  # the visit's clock stops; its time-limit alert ends
            visit_alerts.end_visit(uow, counter.hall_id, row.id)
        uow.emit("ticket.held", counter.hall_id, ticket_id=row.id, number=row.number,
                 counter_id=counter.id)
        return {"id": row.id, "number": row.number, "state": "held"}

    return run(ctx, command)


def _require_here(uow: UnitOfWork, counter, row, field: str = "ticket_id",
                  missed_here: bool = False) -> None:
    """The ticket is this window's to act on (hall.domain.access.require_ticket_here)."""
    require_ticket_here(counter.id, counter.number,
                        repo.counter_services(uow.conn, counter.id, uow.ctx.cache),
                        number=row.number, service_id=row.service_id,
                        target_counter_id=row.target_counter_id, missed_here=missed_here,
                        field=field)


def unhold(ctx: Context, *, counter_id: int, ticket_id: int, actor: Actor) -> Result:
    """A held visitor comes back to the window that held them, and to no other."""

    def command(uow: UnitOfWork) -> dict[str, Any]:
        counter = repo.counter_row(uow.conn, counter_id, actor)
        require(actor, "unhold", counter.id)
        row = repo.ticket_row(uow.conn, ticket_id, counter.hall_id, field="ticket_id")
        _require_here(uow, counter, row)
        move_ticket(uow, row, Action.UNHOLD, counter, actor, target_counter_id=counter.id)
        uow.emit("ticket.unheld", counter.hall_id, ticket_id=row.id, number=row.number,
                 counter_id=counter.id, service_id=row.service_id)
        return {"id": row.id, "number": row.number, "state": "waiting"}

    return run(ctx, command)


def reinstate(ctx: Context, *, counter_id: int, ticket_id: int, actor: Actor) -> Result:
    """A no-show who turns up again rejoins the queue from now (not from the head), at the
    window where they were missed or one that serves their service."""

    def command(uow: UnitOfWork) -> dict[str, Any]:
        counter = repo.counter_row(uow.conn, counter_id, actor)
        require(actor, "reinstate", counter.id)
        row = repo.ticket_row(uow.conn, ticket_id, counter.hall_id, field="ticket_id")
        _require_here(uow, counter, row, missed_here=row.counter_id == counter.id)
        move_ticket(uow, row, Action.REINSTATE, counter, actor, queued_at=uow.now, called_at=None,
              released_at=None, counter_id=None)
        uow.emit("ticket.reinstated", counter.hall_id, ticket_id=row.id, number=row.number,
                 service_id=row.service_id)
        return {"id": row.id, "number": row.number, "state": "waiting"}

    return run(ctx, command)
