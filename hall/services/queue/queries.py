"""Read-only queries: queues, a ticket by its public token, the event log, cases."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from hall.domain.errors import DomainError
from hall.domain.estimate import service_time_estimate
from hall.domain.i18n import N_
from hall.services import repo
from hall.services.cases import parts
from hall.services.cases.documents import case_of_ticket
from hall.services.context import Context, UnitOfWork, read
from hall.services.queue import calls, chains, notify, standing
from hall.services.supervision import overnight
from hall.services.views import public_ticket
from hall.store.models import (
    Case,
    Counter,
    CounterService,
    Department,
    Event,
    Service,
    Ticket,
    TicketHistory,
)

EVENTS_PAGE = 500
SCAN_PAGES = 10  # pages of the log one GET /events looks through for readable events
# a part of a case in parts as the public look-up shows it (no staff)
PUBLIC_PART = ("part", "department", "state", "due_date", "done_on", "urgency")


def queues(ctx: Context, hall_id: int) -> dict[str, Any]:
    """Waiting count and estimated wait of a newcomer, per service."""

    def query(uow: UnitOfWork) -> dict[str, Any]:
        conn = uow.conn
        hall = repo.settings_of(repo.hall_row(conn, hall_id))
        day = hall.local(uow.now).date()
        s = Service.__table__
        waiting = standing.waiting_by_service(conn, hall_id)
        windows = standing.serving_windows_by_service(conn, hall_id)
        out = []
        for svc in conn.execute(select(s).where(s.c.hall_id == hall_id, s.c.active)
                                .order_by(s.c.sort, s.c.id)):
            line = chains.line_of(uow, svc)  # 多窗联办: a chain's first step's line
            per_visit = service_time_estimate(
                standing.recent_service_times(conn, line.id, day), line.expected_visit_s)
            out.append({"service_id": svc.id, "code": svc.code, "name": svc.name,
                        "name_en": svc.name_en, "prefix": svc.prefix,
                        **standing.line(waiting.get(line.id, 0), per_visit,
                                        windows.get(line.id, standing.Windows()))})
        return {"hall_id": hall_id, "at": uow.now.isoformat(), "services": out}

    return read(ctx, query)


def ticket_by_token(ctx: Context, token: str) -> dict[str, Any]:
    """What the phone page shows: state, people ahead, estimate, where to go."""

    def query(uow: UnitOfWork) -> dict[str, Any]:
        conn = uow.conn
        t = Ticket.__table__
        row = conn.execute(select(t).where(t.c.token == token)).first()
        if row is None:
            raise DomainError("ticket_not_found", N_("No such ticket"), "token")
        row = chains.current(conn, row)  # 多窗联办: the step the ticket is at now
        svc = repo.service_row(conn, row.hall_id, row.service_id)
        view = public_ticket(row, svc)
        if row.chain_id is not None:  # 第2步/共3步 税费核定
            view["chain"] = chains.position(uow, row)
        if row.state == "waiting":
            view.update(standing.estimate_for(conn, row._asdict(), svc))
            view["notify"] = notify.phone_offer(uow, row)  # a text when few are ahead
        if row.counter_id is not None:
            c = conn.execute(select(Counter.number, Counter.name)
                             .where(Counter.id == row.counter_id)).first()
            view["counter"] = {"number": c.number, "name": c.name}
        if row.state == "transferred":
            child = conn.execute(select(t.c.number, t.c.token).where(t.c.parent_id == row.id)
                                 .order_by(t.c.id.desc())).first()
            view["transferred_to"] = dict(child._mapping) if child else None
        if row.carried_to is not None:  # the overnight queue kept its place for that day
            view["carried_to"] = row.carried_to.isoformat()
        if row.state == "cancelled":  # cancelled at closing: the note it was given
            note = conn.execute(select(TicketHistory.note).where(
                TicketHistory.ticket_id == row.id, TicketHistory.action == "cancel")
                .order_by(TicketHistory.id.desc())).scalar()
            view["closed_note"] = note if note == overnight.CLOSED_NOTE else None
        if row.outcome == "accepted":  # 受理: the case number and due date replace "done"
            view["case"] = case_of_ticket(conn, row.id)
        view["guide"] = svc.guide or {}
        view["department"] = conn.execute(select(Department.name).where(
            Department.id == svc.department_id)).scalar_one()
        return view

    return read(ctx, query)


def events_after(ctx: Context, hall_id: int, after: int, limit: int = EVENTS_PAGE,
                 readable: Callable[[str, dict[str, Any]], bool] | None = None
                 ) -> dict[str, Any]:
    """The hall's events after seq ``after``, in order, at most ``limit`` of them: only those
    ``readable(type, payload)`` says the caller may read. ``next_after`` is where the next
    page starts (past events the caller may not read); ``more`` says whether there is one."""

    def query(uow: UnitOfWork) -> dict[str, Any]:
        e = Event.__table__
        last = repo.hall_row(uow.conn, hall_id).last_seq
        out: list[dict[str, Any]] = []
        cursor = after
        for _ in range(SCAN_PAGES):  # a reader of few events does not scan the whole log
            rows = uow.conn.execute(select(e).where(e.c.hall_id == hall_id, e.c.seq > cursor)
                                    .order_by(e.c.seq).limit(limit - len(out))).all()
            if not rows:
                break
            cursor = rows[-1].seq
            out += [{"seq": r.seq, "type": r.type, "at": r.at.isoformat(), **r.payload}
                    for r in rows if readable is None or readable(r.type, r.payload)]
            if len(out) >= limit:
                break
        return {"events": out, "last_seq": last, "next_after": cursor, "more": cursor < last}

    return read(ctx, query)


def case_by_number(ctx: Context, number: str, code: str) -> dict[str, Any]:
    """办件查询 (public): a case's state by its number and look-up code (查询码, on the
    receipt: numbers are sequential, so the number alone would open a whole day's cases),
    with its due state today (urgency: normal, yellow at the warning point, red when
    overdue; always normal once closed) as the hall's local calendar sees it.
    Case-insensitive; spaces inside the number are ignored. An unknown number and a wrong
    code get the same answer."""
    from hall.domain.cases import lookup_code_matches, urgency

    wanted = "".join(number.split()).upper()

    def query(uow: UnitOfWork) -> dict[str, Any]:
        c = Case.__table__
        row = uow.conn.execute(select(c).where(c.c.number == wanted)).first()
        if not lookup_code_matches(row.lookup_code if row else "", code):
            raise DomainError("case_not_found", N_("No case has this number and look-up "
                                                   "code"), "number")
        svc = repo.service_row(uow.conn, row.hall_id, row.service_id)
        today = repo.settings_of(repo.hall_row(uow.conn, row.hall_id)).local(uow.now).date()
        return {"number": row.number, "service": svc.name, "state": row.state,
                "accepted_on": row.accepted_on.isoformat(), "due_date": row.due_date.isoformat(),
                "applicant": row.applicant_masked,
                "done_on": row.done_on.isoformat() if row.done_on else None,
                "service_en": svc.name_en or None,
                "warning_date": row.warning_date.isoformat(),
                "urgency": urgency(today, row.due_date, row.warning_date, row.state).value,
                # the case clock as the applicant is told it (延期, 中止)
                "extension_days": row.extension_days,
                "extension_reason": row.extension_reason,
                "suspended_days": row.suspended_days,
                "suspended_on": row.suspended_on.isoformat() if row.suspended_on else None,
                "suspend_reason": row.suspend_reason, "fast_track": row.fast_track,
                # 并联审批: each department's part, as the applicant may see it
                "parts": [{k: p[k] for k in PUBLIC_PART} for p in
                          parts.of_cases(uow.conn, [row.id], today).get(row.id, [])]}

    return read(ctx, query)


def default_hall(ctx: Context) -> int:
    """The hall of a one-hall server (the common case); the lowest id if several."""
    from hall.store.models import Hall

    def query(uow: UnitOfWork) -> int:
        hall_id = uow.conn.execute(select(Hall.id).order_by(Hall.id)).scalars().first()
        if hall_id is None:
            raise DomainError("hall_not_found", N_("No hall has been set up yet"), "hall")
        return hall_id

    return read(ctx, query)


def counters(ctx: Context, hall_id: int) -> list[dict[str, Any]]:
    def query(uow: UnitOfWork) -> list[dict[str, Any]]:
        from hall.store.models import Staff

        c, st, t = Counter.__table__, Staff.__table__, Ticket.__table__
        rows = uow.conn.execute(
            select(c, st.c.name.label("staff_name"), t.c.number.label("ticket_number"),
                   t.c.state.label("ticket_state"), t.c.holder_masked,
                   t.c.chain_id, t.c.step, t.c.service_id.label("ticket_service_id"))
            .select_from(
                c.outerjoin(st, st.c.id == c.c.staff_id)
                 .outerjoin(t, t.c.id == c.c.current_ticket_id))
            .where(c.c.hall_id == hall_id).order_by(c.c.number)).all()
        cs = CounterService.__table__
        served: dict[int, list[dict[str, int]]] = {}
        for r in uow.conn.execute(select(cs)):
            served.setdefault(r.counter_id, []).append({"service_id": r.service_id,
                                                        "weight": r.weight})
        named = calls.by_name(uow, hall_id)  # calling by name: 张*女士 with the number
        return [{"id": r.id, "number": r.number, "name": r.name, "state": r.state,
                 "pause_reason": r.pause_reason, "staff": r.staff_name,
                 "led_address": r.led_address,
                 "current_ticket_id": r.current_ticket_id,
                 "current_ticket": {"number": r.ticket_number, "state": r.ticket_state,
                                    **({"holder": r.holder_masked}
                                       if named and r.holder_masked else {}),
                                    **_chain_of(uow, r)}
                 if r.ticket_number and r.ticket_state in ("called", "serving") else None,
                 "services": served.get(r.id, [])}
                for r in rows]

    return read(ctx, query)


def _chain_of(uow: UnitOfWork, r) -> dict[str, Any]:
    """多窗联办: a window's current chain ticket's step, as the screens show it."""
    if r.chain_id is None:
        return {}
    return {"chain": chains.position(uow, {"hall_id": r.hall_id, "chain_id": r.chain_id,
                                           "service_id": r.ticket_service_id,
                                           "step": r.step})}


BACKLOG_LIMIT = 1000  # further behind than this, a snapshot is cheaper than a replay


def backlog(ctx: Context, hall_id: int, after: int, rooms: set[str], rooms_for
            ) -> dict[str, Any]:
    """Events after ``after`` that were delivered to any of ``rooms``, in order; or ``snapshot``
    set to True when the client is too far behind or the log no longer holds what it missed.
    """

    def query(uow: UnitOfWork) -> dict[str, Any]:
        e = Event.__table__
        last = repo.hall_row(uow.conn, hall_id).last_seq
        if after > last:  # a client from another database or an older install
            return {"snapshot": True, "last_seq": last, "events": []}
        if last - after > BACKLOG_LIMIT:
            return {"snapshot": True, "last_seq": last, "events": []}
        first = uow.conn.execute(select(func.min(e.c.seq)).where(e.c.hall_id == hall_id)
                                 ).scalar()
        if after and first is not None and first > after + 1:  # compacted away
            return {"snapshot": True, "last_seq": last, "events": []}
        rows = uow.conn.execute(select(e).where(e.c.hall_id == hall_id, e.c.seq > after)
                                .order_by(e.c.seq)).all()
        events = [{"type": r.type, "seq": r.seq, "at": r.at.isoformat(), **r.payload}
                  for r in rows if rooms.intersection(rooms_for(hall_id, r.type, r.payload))]
        return {"snapshot": False, "last_seq": last, "events": events}

    return read(ctx, query)


def hall_snapshot(ctx: Context, hall_id: int) -> dict[str, Any]:
    """What a hall screen needs to draw itself from nothing."""

    def query(uow: UnitOfWork) -> dict[str, Any]:
        e = Event.__table__
        recent = uow.conn.execute(
            select(e).where(e.c.hall_id == hall_id, e.c.type.in_(("ticket.called",
                                                                   "ticket.recalled")))
            .order_by(e.c.seq.desc()).limit(10)).all()
        hall = repo.hall_row(uow.conn, hall_id)
        return {"last_seq": hall.last_seq, "hall": {"id": hall.id, "name": hall.name,
                                                     "name_en": hall.name_en},
                "notices": (hall.settings or {}).get("notices", []),
                "recent_calls": [{"seq": r.seq, "at": r.at.isoformat(), **r.payload}
                                 for r in recent],
                "live_calls": calls.hall_live_calls(uow, hall_id)}

    snap = read(ctx, query)
    snap["counters"] = counters(ctx, hall_id)
    snap["queues"] = queues(ctx, hall_id)["services"]
    return snap
