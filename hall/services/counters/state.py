"""Counter state commands: staff sign-in, open, pause with a reason, resume, close."""
from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update

from hall.domain.access import Actor, require
from hall.domain.duty import is_leave_word
from hall.domain.errors import DomainError
from hall.domain.hall import counter_next_state
from hall.domain.i18n import N_
from hall.services import repo
from hall.services.context import Context, Result, UnitOfWork, run
from hall.store.models import Counter, CounterInterval, Staff


def _state_event(uow: UnitOfWork, counter, state: str, reason: str | None, staff_id) -> None:
    uow.emit("counter.state", counter.hall_id, counter_id=counter.id,
             counter_number=counter.number, counter_name=counter.name, state=state,
             reason=reason, staff_id=staff_id)


def switch_state(uow: UnitOfWork, counter, state: str, reason: str | None,
            staff_id: int | None) -> None:
    """Close the counter's open interval and start the next one (for idle/pause measures)."""
    ci = CounterInterval.__table__
    uow.conn.execute(update(ci).where(ci.c.counter_id == counter.id, ci.c.end.is_(None))
                     .values(end=uow.now))
    if state != "closed":
        uow.conn.execute(insert(ci).values(counter_id=counter.id, staff_id=staff_id, state=state,
                                           reason=reason, start=uow.now))
    # a closed window belongs to no session (signout.py); an open one keeps its own
    bound = {} if state != "closed" else {"staff_session": None, "staff_seen_at": None}
    repo.set_counter(uow.conn, counter.id, state=state, pause_reason=reason,
                     state_since=uow.now, staff_id=staff_id, **bound)
    _state_event(uow, counter, state, reason, staff_id)


def _change(ctx: Context, counter_id: int, actor: Actor, action: str,
            reason: str | None = None) -> Result:
    def command(uow: UnitOfWork) -> dict[str, Any]:
        counter = repo.counter_row(uow.conn, counter_id, actor)
        require(actor, action, counter.id)
        if action in ("open", "resume") and not counter.active:
            raise _inactive(counter)
        new = counter_next_state(counter.state, action)
        if action in ("pause", "close") and counter.current_ticket_id is not None:
            current = repo.ticket_row(uow.conn, counter.current_ticket_id, counter.hall_id,
                                      lock=False)
            if current.state in ("called", "serving"):
                raise DomainError("counter_busy", N_("Finish, skip or transfer %(number)s first"),
                                  "counter", number=current.number)
        why = _check_reason(uow, counter.hall_id, reason) if action == "pause" else None
        staff_id = None if action == "close" else counter.staff_id
        switch_state(uow, counter, new.value, why, staff_id)
        return {"id": counter.id, "number": counter.number, "state": new.value, "reason": why}

    return run(ctx, command)


def _inactive(counter) -> DomainError:
    return DomainError("counter_inactive", N_("Window %(number)s is out of service"),
                       "counter_id", number=counter.number)


def _check_reason(uow: UnitOfWork, hall_id: int, reason: str | None) -> str:
    reasons = (repo.hall_row(uow.conn, hall_id).settings or {}).get("pause_reasons") or []
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", N_("Choose a reason for the pause"), "reason")
    if is_leave_word(reason):  # even where an old hall's settings still list it
        raise DomainError("leave_is_not_a_pause",
                          N_("A pause is not leave: request leave (请假) instead"), "reason")
    if reasons and reason not in reasons:
        raise DomainError("invalid_reason", N_("Not a pause reason of this hall: %(reason)s"),
                          "reason", reason=reason)
    return reason


def open_counter(ctx: Context, *, counter_id: int, actor: Actor) -> Result:
    return _change(ctx, counter_id, actor, "open")


def pause(ctx: Context, *, counter_id: int, actor: Actor, reason: str | None) -> Result:
    return _change(ctx, counter_id, actor, "pause", reason)


def resume(ctx: Context, *, counter_id: int, actor: Actor) -> Result:
    return _change(ctx, counter_id, actor, "resume")


def close(ctx: Context, *, counter_id: int, actor: Actor) -> Result:
    return _change(ctx, counter_id, actor, "close")


def sign_in(ctx: Context, *, counter_id: int, staff_id: int, sid: str | None = None) -> Result:
    """A staff member takes a counter (one at a time) and opens it if it was closed. The
    window is held by their session ``sid`` from now on: when it ends, the window closes
    (hall/services/counters/signout.py)."""

    def command(uow: UnitOfWork) -> dict[str, Any]:
        conn = uow.conn
        staff = conn.execute(select(Staff.__table__).where(Staff.id == staff_id)).first()
        if staff is None or not staff.active:
            raise DomainError("staff_not_found", N_("No such staff member"), "staff")
        counter = repo.counter_row(conn, counter_id, staff.hall_id)  # a window of their hall
        if not counter.active:
            raise _inactive(counter)
        if counter.staff_id not in (None, staff_id) and counter.state != "closed":
            raise DomainError("counter_taken", N_("Counter %(number)s is staffed by someone else"),
                              "counter_id", number=counter.number)
        # leaving any other counter first: a person is at one window at a time
        others = conn.execute(select(Counter.__table__).where(
            Counter.staff_id == staff_id, Counter.id != counter.id).with_for_update()).all()
        for other in others:
            if other.current_ticket_id is not None:
                cur = repo.ticket_row(conn, other.current_ticket_id, other.hall_id,
                                      lock=False)
                if cur.state in ("called", "serving"):
                    raise DomainError("counter_busy",
                                      N_("Finish, skip or transfer %(number)s first"),
                                      "counter", number=cur.number)
            switch_state(uow, other, "closed", None, None)
        state = "open" if counter.state == "closed" else counter.state
        switch_state(uow, counter, state, counter.pause_reason if state == "paused" else None,
                staff_id)
        repo.set_counter(conn, counter.id, staff_session=sid, staff_seen_at=uow.now)
        return {"id": counter.id, "number": counter.number, "name": counter.name,
                "state": state, "staff": {"id": staff.id, "name": staff.name}}

    return run(ctx, command)


def set_auto_dispatch(ctx: Context, *, counter_id: int, actor: Actor, on: bool) -> Result:
    """Let the hall's auto-dispatch call the next visitor at this window, or not (staff at
    their own window, or a supervisor). Screens hear it as a ``counter.state`` event."""

    def command(uow: UnitOfWork) -> dict[str, Any]:
        counter = repo.counter_row(uow.conn, counter_id, actor)
        require(actor, "auto_dispatch", counter.id)
        if bool(counter.auto_dispatch) != on:
            repo.set_counter(uow.conn, counter.id, auto_dispatch=on)
            uow.emit("counter.state", counter.hall_id, counter_id=counter.id,
                     counter_number=counter.number, counter_name=counter.name,
                     state=counter.state, reason=counter.pause_reason,
                     staff_id=counter.staff_id, auto_dispatch=on)
        return {"id": counter.id, "number": counter.number, "auto_dispatch": on}

    return run(ctx, command)
