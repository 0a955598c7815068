"""What a counter terminal draws itself from: the counter, the visitor at the window (why
they were chosen, how long they waited, the visit's time-limit clock), the tickets held or
missed here, the queue lengths of its services, the window's printer (where the visitor's
papers print; none: the terminal prints a page), the choices its forms offer (pause
reasons, services and counters to transfer to, the service's materials for 补正), and the
commands the counter and each listed ticket allow now (hall/domain/counter_actions.py),
so a terminal's buttons and keys follow the life cycle without restating it.

A read in one snapshot; every part is an index seek or a small table (services, counters).
Pages and keypad bridges re-read it after a live event instead of keeping their own state.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from hall.domain.access import Actor
from hall.domain.counter_actions import counter_commands, ticket_commands
from hall.domain.duty import is_leave_word
from hall.domain.lifecycle import AT_COUNTER_STATES
from hall.domain.timelimit import visit_clock
from hall.services import repo
from hall.services.context import Context, UnitOfWork, read
from hall.services.devices.printing import window_printer
from hall.services.queue import chains
from hall.services.views import iso
from hall.store.models import Counter, CounterService, Service, Staff, Ticket

RECENT_NO_SHOWS = 10


def _ref_columns(t) -> tuple:
    """The columns of a listed ticket (_ticket_ref)."""
    return (t.c.id, t.c.number, t.c.service_id, t.c.issued_at, t.c.chain_id, t.c.step)


def board(ctx: Context, counter_id: int, within: Actor | int) -> dict[str, Any]:
    """The terminal's picture of ``counter_id``, read by ``within`` (an actor, or a hall:
    another hall's counter is not found, repo.owned)."""

    def query(uow: UnitOfWork) -> dict[str, Any]:
        conn = uow.conn
        counter = repo.counter_row(conn, counter_id, within, lock=False)
        config = repo.hall_config(uow, counter.hall_id)
        services = _services(conn, counter.hall_id)
        current = _current(uow, counter, services)
        return {
            # the event seq this picture includes: live events after it are news to apply
            "last_seq": repo.hall_row(conn, counter.hall_id).last_seq,
            "now": uow.now.isoformat(),
            "hall": {"id": counter.hall_id, "name": config.row.name,
                     "timezone": config.settings.timezone},
            "counter": _counter(conn, counter),
            "current": current,
            "actions": counter_commands(counter.state, current["state"] if current else None,
                                        counter.active, bool(current and current["chain"])),
            "held": _held(conn, counter.id),
            "no_shows": _no_shows(conn, counter, config.settings.local(uow.now).date()),
            "queues": _queues(conn, counter.id, services),
            "directed_waiting": _directed(conn, counter.id),
            "pause_reasons": [r for r in (config.row.settings or {}).get("pause_reasons") or []
                              if not is_leave_word(r)],
            "services": [_service_ref(s) for s in services.values() if s.active],
            "counters": _counters(conn, counter.hall_id),
            # the hall's auto-dispatch (None: off); the window may opt out (counter.auto_dispatch)
            "auto_dispatch_seconds": (config.row.settings or {}).get("auto_dispatch_seconds"),
        }

    return read(ctx, query)


def _counter(conn, c) -> dict[str, Any]:
    staff = None
    if c.staff_id is not None:
        s = conn.execute(select(Staff.id, Staff.name, Staff.number)
                         .where(Staff.id == c.staff_id)).first()
        staff = {"id": s.id, "name": s.name, "number": s.number} if s else None
    printer = window_printer(conn, c.id)  # where the visitor's papers print, if anywhere
    return {"id": c.id, "number": c.number, "name": c.name, "state": c.state,
            "pause_reason": c.pause_reason, "state_since": iso(c.state_since), "staff": staff,
            "auto_dispatch": bool(c.auto_dispatch),
            "printer": {"id": printer.id, "name": printer.name} if printer else None}


def _services(conn, hall_id: int) -> dict[int, Any]:
    s = Service.__table__
    return {r.id: r for r in conn.execute(select(s).where(s.c.hall_id == hall_id)
                                          .order_by(s.c.sort, s.c.id))}


def _service_ref(s) -> dict[str, Any]:
    return {"id": s.id, "code": s.code, "name": s.name, "name_en": s.name_en,
            "prefix": s.prefix}


def _current(uow: UnitOfWork, counter, services: dict[int, Any]) -> dict[str, Any] | None:
    if counter.current_ticket_id is None:
        return None
    t = repo.ticket_row(uow.conn, counter.current_ticket_id, counter.hall_id, lock=False)
    if t.state not in AT_COUNTER_STATES or t.counter_id != counter.id:
        return None
    svc = services[t.service_id]
    clock = None
    if t.state == "serving" and t.started_at is not None:
        clock = visit_clock(t.started_at, uow.now, svc.warning_s, svc.time_limit_s).as_dict()
    waited = (t.called_at - t.issued_at).total_seconds() if t.called_at else None
    return {
        "id": t.id, "number": t.number, "state": t.state, "kind": t.kind,
        "priority_reason": t.priority_reason, "call_reason": t.call_reason,
        "call_reason_code": t.call_reason_code, "call_reason_params": t.call_reason_params,
        "recalls": t.recalls, "parent_id": t.parent_id,
        "issued_at": iso(t.issued_at), "called_at": iso(t.called_at),
        "started_at": iso(t.started_at), "waited_s": waited,
        "service": {**_service_ref(svc), "kind": svc.kind, "promised_days": svc.promised_days,
                    "time_limit_s": svc.time_limit_s, "warning_s": svc.warning_s,
                    "materials": (svc.guide or {}).get("materials") or []},
        "clock": clock,
        "first_contact": _first_contact(uow, t.first_staff_id),
        # 多窗联办: 第2步/共3步 and how the earlier steps ended, so this window knows the
        # visitor comes from step 1 (None for a plain ticket)
        "chain": _chain(uow, t),
    }


def _chain(uow: UnitOfWork, t) -> dict[str, Any] | None:
    where = chains.position(uow, t)
    return None if where is None else {**where, "earlier": chains.earlier_steps(uow, t)}


def _first_contact(uow: UnitOfWork, staff_id: int | None) -> dict[str, Any] | None:
    """首问: who the visitor asked first (and who took the ticket for them)."""
    if staff_id is None:
        return None
    row = uow.conn.execute(select(Staff.__table__.c.name, Staff.__table__.c.number)
                           .where(Staff.__table__.c.id == staff_id)).first()
    return {"staff_id": staff_id, "name": row.name if row else "",
            "number": row.number if row else ""}


def _ticket_ref(r, state: str) -> dict[str, Any]:
    return {"id": r.id, "number": r.number, "service_id": r.service_id,
            "issued_at": iso(r.issued_at), "actions": ticket_commands(state),
            "step": r.step if r.chain_id is not None else None}  # 多窗联办: its step


def _held(conn, counter_id: int) -> list[dict[str, Any]]:
    """Held here (ix_tickets_directed): the visitor stepped aside and comes back to us."""
    t = Ticket.__table__
    rows = conn.execute(select(*_ref_columns(t)).where(t.c.target_counter_id == counter_id,
                                               t.c.state == "held")
                        .order_by(t.c.queued_at)).all()
    return [_ticket_ref(r, "held") for r in rows]


def _no_shows(conn, counter, day) -> list[dict[str, Any]]:
    """Today's no-shows of this counter (ix_tickets_counter_state), newest first."""
    t = Ticket.__table__
    rows = conn.execute(select(*_ref_columns(t))
                        .where(t.c.counter_id == counter.id, t.c.state == "no_show",
                               t.c.day == day)
                        .order_by(t.c.released_at.desc()).limit(RECENT_NO_SHOWS)).all()
    return [_ticket_ref(r, "no_show") for r in rows]


def _queues(conn, counter_id: int, services: dict[int, Any]) -> list[dict[str, Any]]:
    """Waiting per service of this counter (ix_tickets_queue), as call-next sees the
    queues: a ticket sent to a named counter waits for that counter, not in its service's
    queue (it is counted in ``directed_waiting`` there)."""
    t, cs = Ticket.__table__, CounterService.__table__
    weights = dict(conn.execute(select(cs.c.service_id, cs.c.weight)
                                .where(cs.c.counter_id == counter_id)).all())
    counts = {sid: (n, chained) for sid, n, chained in conn.execute(
        # count(chain_id): of which 多窗联办 numbers (the waiting list marks them)
        select(t.c.service_id, func.count(), func.count(t.c.chain_id))
        .where(t.c.service_id.in_(list(weights)), t.c.state == "waiting",
               t.c.target_counter_id.is_(None))
        .group_by(t.c.service_id))} if weights else {}
    out = [{**_service_ref(services[sid]), "weight": w, "waiting": counts.get(sid, (0, 0))[0],
            "chained": counts.get(sid, (0, 0))[1]}
           for sid, w in sorted(weights.items(), key=lambda kv: services[kv[0]].sort)]
    return out


def _directed(conn, counter_id: int) -> int:
    """Waiting for this counter by name (transferred here), ix_tickets_directed."""
    t = Ticket.__table__
    return conn.execute(select(func.count()).where(
        t.c.target_counter_id == counter_id, t.c.state == "waiting")).scalar_one()


def _counters(conn, hall_id: int) -> list[dict[str, Any]]:
    c = Counter.__table__
    return [{"id": r.id, "number": r.number, "name": r.name, "state": r.state}
            for r in conn.execute(select(c.c.id, c.c.number, c.c.name, c.c.state)
                                  .where(c.c.hall_id == hall_id).order_by(c.c.number))]
