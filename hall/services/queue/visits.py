"""Ending a visit at a counter: finish with an outcome (opening a case on 受理), or
transfer to another service or a named counter as a new, linked ticket."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select

from hall.domain import cases, parallel
from hall.domain import chains as rules
from hall.domain.access import Actor, require
from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.domain.lifecycle import Action
from hall.domain.outcomes import Outcome
from hall.domain.parallel import PartSpec
from hall.domain.personal import mask_name
from hall.services import repo
from hall.services.cases import parts as case_parts
from hall.services.context import Context, Result, UnitOfWork, run
from hall.services.queue import chains
from hall.services.queue.calling import move_ticket, need_current
from hall.services.queue.requeue import queue_again
from hall.services.ratings import stages
from hall.services.supervision import visit_alerts
from hall.store.models import Case, Counter

CASE_PREFIX = "#case"  # number_counters key for case numbers (never a ticket prefix)


def finish(ctx: Context, *, counter_id: int, actor: Actor, outcome: str,
           note: str | None = None, fee_cents: int = 0, applicant: str | None = None,
           fast_track: bool = False, parts: Sequence[PartSpec] = ()) -> Result:
    """End the visit; 受理 opens a case: fast-track (绿色通道) for the service's shortened
    promise, and in ``parts`` for 并联审批 (hall/domain/parallel.py)."""
    def command(uow: UnitOfWork) -> dict[str, Any]:
        conn = uow.conn
        counter = repo.counter_row(conn, counter_id, actor)
        require(actor, "finish", counter.id)
        try:
            result = Outcome(outcome)
        except ValueError:
            raise DomainError("invalid_outcome", N_("Unknown outcome %(outcome)s"), "outcome",
                              outcome=outcome) from None
        if result.needs_reason and not (note or "").strip():
            raise DomainError("reason_required", N_("Say why the application is refused"),
                              "note")
        if fee_cents < 0:
            raise DomainError("invalid_fee", N_("A fee cannot be negative"), "fee_cents")
        if (fast_track or parts) and not result.opens_case:
            raise DomainError("no_case", N_("Only an accepted application opens a case"),
                              "parts" if parts else "fast_track")
        row = need_current(conn, counter, "finish")
        move_ticket(uow, row, Action.FINISH, counter, actor, note, finished_at=uow.now,
              outcome=result.value, outcome_note=note, fee_cents=fee_cents)
        repo.set_counter(conn, counter.id, current_ticket_id=None)
        visit_alerts.end_visit(uow, counter.hall_id, row.id)  # its time-limit alert ends here
        case = _open_case(uow, counter, row, applicant, fast_track, parts) \
            if result.opens_case else None
        uow.emit("ticket.finished", counter.hall_id, ticket_id=row.id, number=row.number,
                 service_id=row.service_id, counter_id=counter.id,
                 counter_number=counter.number, outcome=result.value,
                 case_number=case["number"] if case else None,
                 case_due_date=case["due_date"] if case else None, document=result.document)
        step = chains.go_on(uow, row, counter, actor, result.value)  # 多窗联办: next window
        return {"id": row.id, "number": row.number, "state": "done", "outcome": result.value,
                "case": case, "document": result.document, "next_step": step}

    return run(ctx, command)


def _open_case(uow: UnitOfWork, counter, ticket, applicant: str | None, fast_track: bool,
               parts: Sequence[PartSpec]) -> dict[str, Any]:
    conn = uow.conn
    config = repo.hall_config(uow, counter.hall_id)
    hall, cal = config.settings, config.calendar
    svc = repo.service_cached(uow, hall.id, ticket.service_id)
    today = hall.local(uow.now).date()
    planned = case_parts.plan(conn, hall.id, parts, svc=svc, fast_track=fast_track,
                              today=today, cal=cal) if parts else []
    if planned:  # the case is what its parts make
        promised = max(p["promised_days"] for p in planned)
        made = case_parts.parent(planned)
        due, warning = made.due, made.warning
    else:
        promised = parallel.promised_days(svc.promised_days, svc.fast_track_days, fast_track)
        due = cases.due_date(today, promised, cal)
        warning = cases.warning_date(today, promised, cal, svc.warning_days)
    seq = repo.next_number(conn, hall.id, CASE_PREFIX, today)
    number = cases.format_case_number(hall.code.upper(), today, seq)
    code = cases.new_lookup_code()  # printed on the 受理回执; the look-up asks for it
    case_id = conn.execute(insert(Case).values(lookup_code=code,
        hall_id=hall.id, number=number, ticket_id=ticket.id, service_id=svc.id,
        counter_id=counter.id, staff_id=counter.staff_id,
        applicant_masked=mask_name(applicant), accepted_at=uow.now, accepted_on=today,
        due_date=due, warning_date=warning, state="accepted", promised_days=promised,
        fast_track=fast_track).returning(Case.id)).scalar_one()
    if planned:
        case_parts.write(conn, case_id, planned)
    # its 受理 for the province's 好差评 system, rated or not (ratings/stages.py)
    stages.enqueue_stage(uow, case_id=case_id, process=stages.ACCEPTANCE,
                         officer_id=counter.staff_id)
    uow.emit("case.accepted", hall.id, number=number, service_id=svc.id,
             due_date=due.isoformat())
    opened = {"number": number, "lookup_code": code, "due_date": due.isoformat(),
              "warning_date": warning.isoformat(), "promised_days": promised,
              "calendar_covered": cal.covered(due.year)}
    if fast_track or planned:
        opened.update(fast_track=fast_track, parts=[
            {"part": p["seq"], "department_id": p["department_id"],
             "promised_days": p["promised_days"], "due_date": p["due_date"].isoformat()}
            for p in planned])
    return opened


def transfer(ctx: Context, *, counter_id: int, actor: Actor, to_service: int | str | None = None,
             to_counter: int | None = None, note: str | None = None,
             confirm_closed: bool = False) -> Result:
    """Close the visit here and queue the visitor again as a new ticket linked to this one.

    To a counter (by its number): the new ticket waits for that counter by name and is
    called there first. To a service: it keeps its original arrival time in the new queue,
    since the visitor has already waited once. A closed window calls nobody: sending a
    visitor there is refused (``target_closed``) unless the staff member confirms it
    (``confirm_closed``), and the watch then raises an alert while they wait there.
    """

    def command(uow: UnitOfWork) -> dict[str, Any]:
        conn = uow.conn
        counter = repo.counter_row(conn, counter_id, actor)
        require(actor, "transfer", counter.id)
        if (to_service is None) == (to_counter is None):
            raise DomainError("transfer_target", N_("Transfer to either a service or a counter"),
                              "to_service")
        row = need_current(conn, counter, "transfer")
        if not rules.transferable(row.chain_id):  # 多窗联办: the number stays in its chain
            where = chains.position(uow, row)
            raise DomainError("chain_transfer", rules.TRANSFER_REFUSED, "ticket",
                              number=row.number, step=where["step"], of=where["of"],
                              chain=where["name"])
        target = _target_counter(conn, counter.hall_id, to_counter) if to_counter else None
        if target is not None and target.state == "closed" and not confirm_closed:
            raise DomainError("target_closed",
                              N_("Window %(number)s is closed: nobody there will call "
                                 "%(ticket)s. Send the visitor anyway, or choose another"),
                              "to_counter", number=target.number, ticket=row.number)
        svc = repo.service_row(conn, counter.hall_id,
                               to_service if to_service is not None else row.service_id)
        move_ticket(uow, row, Action.TRANSFER, counter, actor, note, released_at=uow.now)
        repo.set_counter(conn, counter.id, current_ticket_id=None)
        if row.state == "serving":
            visit_alerts.end_visit(uow, counter.hall_id, row.id)
        queued_at = uow.now if target else row.issued_at
        new = queue_again(uow, row, svc, counter, actor, queued_at=queued_at,
                          target_counter_id=target.id if target else None,
                          note=f"transfer from {row.number}")
        uow.emit("ticket.transferred", counter.hall_id, ticket_id=row.id, number=row.number,
                 counter_id=counter.id, new_ticket_id=new["id"], new_number=new["number"],
                 service_id=svc.id, to_counter=target.number if target else None)
        # the note stays in the history: a public event carries no staff free text
        return {"id": row.id, "number": row.number, "state": "transferred",
                "new_ticket": {**new,
                               "service_id": svc.id,
                               "to_counter": target.number if target else None}}

    return run(ctx, command)


def _target_counter(conn, hall_id: int, number: int) -> Any:
    row = conn.execute(select(Counter.__table__).where(
        Counter.hall_id == hall_id, Counter.number == number)).first()
    if row is None:
        raise DomainError("counter_not_found", N_("No counter %(number)s"), "to_counter",
                          number=number)
    return row
