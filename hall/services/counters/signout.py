"""Signing out closes the window.

A window is staffed only while the session its staff member signed in with lives. When that
session ends the window closes everywhere, in one command: state ``closed``, no staff, one
``counter.state`` event, so the board, the window's screen and its LED sign say 窗口已关闭.

A session ends in two ways, and what happens to a visitor at the window differs:

* **Signing out** (``sign_out``, the logout endpoint): the person is there and decides. With a
  visitor called or being served at the window, sign-out is refused — 409 ``counter_busy``
  naming the ticket ("先办结、过号或转移 A005") — unless the request says what to do first:
  ``then="skip"`` (过号: the called visitor did not come) or ``then="hold"`` (挂起: set aside at
  this window, brought back by whoever opens it next). The terminal offers both buttons
  (过号后退出, 挂起后退出). Transferring needs a target, so it stays the terminal's own command.
* **A session that ends by itself** — idle time, the absolute lifetime, a password reset, a
  role change, a deactivation, "sign out everywhere", a password change made elsewhere —
  cannot ask. ``session_ended`` (a request arriving on the ended session), ``close_staff_windows``
  (inside the command that moved the account's version on) and ``sweep_idle`` (the watch, for
  a session nobody uses any more) close the window and decide as a hall would:

  - a visitor *called but not started* goes back to the head of the line: hold then unhold,
    both in the ticket's history with the reason, keeping their place by arrival and no longer
    bound to this window, so the next free window of their service calls them. They did
    nothing wrong: it is not a 过号 and does not count in the no-show rate.
  - a visit *being served* stays attached to the window and its clock keeps running: nothing
    about a half-done visit is invented (neither finished nor held). The board shows the visit
    going over its limit, and whoever signs in at that window next — the same person or their
    A/B cover — finishes it.

The watch knows a session idled out from ``counters.staff_seen_at``: sessions are signed
cookies, so the session bound to a window (``counters.staff_session``, its random id) writes
when it was last used, at most once a minute (``touch``), and ``sweep_idle`` closes windows
whose session has not been used for the idle limit (``HALL_SESSION_IDLE_MINUTES``), the
moment that session's cookie stops being accepted anyway.
"""
from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from hall.domain.access import SYSTEM, Actor
from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.domain.lifecycle import Action
from hall.services import repo
from hall.services.context import Context, Result, UnitOfWork, run
from hall.services.counters.state import switch_state
from hall.store.models import Counter, Staff

THEN = ("skip", "hold")  # what a signing-out staff member may ask for a visitor at the window
ENDED = "session ended"  # the note in a ticket's history when the hall decided for them
SESSIONS_ENDED = "staff.sessions_ended"  # the event that drops a person's live connections


def _windows(uow: UnitOfWork, staff_id: int, sid: str | None = None, *,
             other_than: str | None = None) -> list[Any]:
    """The open windows of ``staff_id`` (locked), those of the session ``sid`` only when
    given (a window with no session recorded belongs to any session of its staff)."""
    c = Counter.__table__
    stmt = select(c).where(c.c.staff_id == staff_id, c.c.state != "closed")
    if sid is not None:
        stmt = stmt.where((c.c.staff_session == sid) | c.c.staff_session.is_(None))
    if other_than is not None:
        stmt = stmt.where((c.c.staff_session != other_than) | c.c.staff_session.is_(None))
    return list(uow.conn.execute(stmt.order_by(c.c.id).with_for_update()))


def _at_window(uow: UnitOfWork, counter) -> Any:
    from hall.services.queue.calling import _current
    return _current(uow.conn, counter)


def _close(uow: UnitOfWork, counter) -> dict[str, Any]:
    switch_state(uow, counter, "closed", None, None)
    repo.set_counter(uow.conn, counter.id, staff_session=None, staff_seen_at=None)
    return {"id": counter.id, "number": counter.number, "state": "closed"}


def _release(uow: UnitOfWork, counter, row, then: str, actor: Actor) -> None:
    """Skip or hold the visitor at the window, as the counter's own commands do."""
    from hall.services.queue import calling
    from hall.services.supervision import visit_alerts

    if then == "skip":
        calling.move_ticket(uow, row, Action.SKIP, counter, actor, released_at=uow.now)
        event = "ticket.skipped"
    else:
        calling.move_ticket(uow, row, Action.HOLD, counter, actor, target_counter_id=counter.id,
                            released_at=uow.now)
        if row.state == "serving":
            visit_alerts.end_visit(uow, counter.hall_id, row.id)
        event = "ticket.held"
    repo.set_counter(uow.conn, counter.id, current_ticket_id=None)
    uow.emit(event, counter.hall_id, ticket_id=row.id, number=row.number,
             service_id=row.service_id, counter_id=counter.id, counter_number=counter.number)


def _back_to_line(uow: UnitOfWork, counter, row) -> None:
    """A called visitor whose window's session ended: back to the head of their line."""
    from hall.services.queue import calling

    calling.move_ticket(uow, row, Action.HOLD, counter, SYSTEM, ENDED, released_at=uow.now)
    row = repo.ticket_row(uow.conn, row.id, counter.hall_id)
    calling.move_ticket(uow, row, Action.UNHOLD, counter, SYSTEM, ENDED,
                        target_counter_id=None, counter_id=None)
    repo.set_counter(uow.conn, counter.id, current_ticket_id=None)
    uow.emit("ticket.unheld", counter.hall_id, ticket_id=row.id, number=row.number,
             counter_id=counter.id, service_id=row.service_id)


def close_staff_windows(uow: UnitOfWork, staff_id: int, sid: str | None = None, *,
                        other_than: str | None = None) -> list[dict[str, Any]]:
    """In the caller's transaction: close the windows of a session that ended by itself
    (all of ``staff_id``'s, or session ``sid``'s, or all but session ``other_than``'s)."""
    closed = []
    for counter in _windows(uow, staff_id, sid, other_than=other_than):
        row = _at_window(uow, counter)
        if row is not None and row.state == "called":
            _back_to_line(uow, counter, row)
        closed.append(_close(uow, counter))
    return closed


def end_sessions(uow: UnitOfWork, staff_id: int) -> list[dict[str, Any]]:
    """In the command that moved ``staff_id``'s version on (a reset, role change,
    deactivation, sign-out everywhere): close their windows and drop their live
    connections in every server process."""
    closed = close_staff_windows(uow, staff_id)
    drop_sockets(uow, staff_id)
    return closed


def drop_sockets(uow: UnitOfWork, staff_id: int, *, sid: str | None = None,
                 keep: str | None = None) -> None:
    """After commit, every server process drops ``staff_id``'s Socket.IO connections: those
    of session ``sid`` only (a logout), all but those of session ``keep`` (a password change
    made in it), or all. The event names sessions by a keyed tag, never by their id
    (hall/realtime/live.py ``drop_staff``)."""
    hall_id = uow.conn.execute(select(Staff.hall_id).where(Staff.id == staff_id)).scalar()
    if hall_id is None:
        return
    uow.emit(SESSIONS_ENDED, hall_id, staff_id=staff_id,
             session=session_tag(uow.ctx, sid) if sid else None,
             keep=session_tag(uow.ctx, keep) if keep else None)


def session_tag(ctx: Context, sid: str) -> str:
    """A session's name in rooms and events: keyed, so it cannot be turned back into the
    session's id (which a logout remembers as ended)."""
    return hmac.new(ctx.secret or b"hall", b"session:" + sid.encode(), "sha256").hexdigest()[:24]


def sign_out(ctx: Context, *, actor: Actor, sid: str | None = None,
             then: str | None = None) -> Result:
    """Close the windows of the signing-out session (``sid``); refused with 409
    ``counter_busy`` while a visitor is called or served there, unless ``then`` is
    ``"skip"`` or ``"hold"``. The value lists the windows closed."""
    if then is not None and then not in THEN:
        raise DomainError("invalid_then", N_("Choose skip or hold"), "then")

    def command(uow: UnitOfWork) -> list[dict[str, Any]]:
        closed = []
        for counter in _windows(uow, actor.id, sid):
            row = _at_window(uow, counter)
            if row is not None:
                if then is None:
                    raise DomainError("counter_busy",
                                      N_("Finish, skip or transfer %(number)s first"),
                                      "counter", number=row.number)
                _release(uow, counter, row, then, actor)
            closed.append(_close(uow, counter))
        drop_sockets(uow, actor.id, sid=sid)  # this session's, or all when it has no id
        return closed

    if actor.id is None or not actor.is_staff:
        return Result([], [])
    return run(ctx, command)


def session_ended(ctx: Context, *, staff_id: int, sid: str | None = None,
                  other_than: str | None = None) -> Result:
    """A request came on a session that had ended (idle, lifetime, version moved on): close
    that session's windows (see the module's docstring for a visitor at the window)."""
    def command(uow: UnitOfWork) -> list[dict[str, Any]]:
        closed = close_staff_windows(uow, staff_id, sid, other_than=other_than)
        if sid is not None:  # and its live connections end too (``other_than``: the password
            drop_sockets(uow, staff_id, sid=sid)  # change itself drops the others' sockets)
        return closed

    return run(ctx, command)


def bind(uow: UnitOfWork, counter_id: int, sid: str | None) -> None:
    """At sign-in: the window is held by session ``sid``, used now."""
    repo.set_counter(uow.conn, counter_id, staff_session=sid, staff_seen_at=uow.now)


def touch(ctx: Context, *, staff_id: int, sid: str, new_sid: str | None = None) -> Result:
    """The session ``sid`` was used now (the caller does this at most once a minute); with
    ``new_sid`` the session carries on under a new id (after its own password change)."""
    c = Counter.__table__

    def command(uow: UnitOfWork) -> int:
        values: dict[str, Any] = {"staff_seen_at": uow.now}
        if new_sid is not None:
            values["staff_session"] = new_sid
        return uow.conn.execute(update(c).where(
            c.c.staff_id == staff_id, c.c.staff_session == sid, c.c.state != "closed"
        ).values(**values)).rowcount

    return run(ctx, command)


def sweep_idle(uow: UnitOfWork, hall_id: int, idle_s: float) -> list[dict[str, Any]]:
    """The watch's sweep: close the windows whose staff session has not been used for
    ``idle_s`` seconds (it idled out with no request to notice it)."""
    c = Counter.__table__
    limit = uow.now - timedelta(seconds=idle_s)
    stale = uow.conn.execute(select(c.c.staff_id, c.c.staff_session).where(
        c.c.hall_id == hall_id, c.c.state != "closed", c.c.staff_id.is_not(None),
        c.c.staff_seen_at.is_not(None), c.c.staff_seen_at <= limit)).all()
    closed = []
    for staff_id, sid in stale:
        closed += close_staff_windows(uow, staff_id, sid)
        if sid is not None:  # the idled-out session's sockets end with it
            drop_sockets(uow, staff_id, sid=sid)
    return closed
