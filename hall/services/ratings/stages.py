"""A case's 受理 and 办结 as records for the province's 好差评 system (issue 19 item 5):
written to the outbox (topic ``haocha.affair``) in the transaction that accepts or
concludes the case, whether or not the visitor rates it; exchange.py's docstring has the
record and why. No star: a stage is a fact of the 办件, a rating is the visitor's.

``affairDealNo`` / ``affairDealOfficer``: at 受理 the staff member of the accepting window,
at 办结 the one who recorded the conclusion. ``affairApplyTime``: the visitor's ticket;
``affairDoneTime`` (办结 only): the case's conclusion; ``windowNo``: the accepting window.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hall.services import repo
from hall.services.context import UnitOfWork
from hall.services.outbox import store
from hall.services.ratings.exchange import (
    ACCEPTANCE,
    AFFAIR,
    AFFAIR_TOPIC,
    CASE_RESULT,
    COMPLETION,
    affair_code,
    person_types,
    stamp,
)
from hall.store.models import Case, Counter, Department, Service, Staff, Ticket


def enqueue_stage(uow: UnitOfWork, *, case_id: int, process: str,
                  officer_id: int | None) -> str:
    """Write the record of the case's stage (``ACCEPTANCE`` or ``COMPLETION``, as the
    case stands in this transaction); its key, ``<case number>-<evalProcess>``: a stage
    written twice is one row, sent once."""
    if process not in (ACCEPTANCE, COMPLETION):
        raise ValueError(f"not a stage: {process!r}")
    row = _case(uow, case_id)
    officer = uow.conn.execute(select(Staff.number, Staff.name).where(
        Staff.id == officer_id)).first() if officer_id is not None else None
    hall = repo.hall_config(uow, row.hall_id).row
    zone = hall.timezone
    done = process == COMPLETION
    key = f"{row.number}-{process}"
    record = {
        "recordType": AFFAIR, "evalProcess": process, "affairSerialNo": row.number,
        "affairCode": affair_code(row.guide, row.service_code),
        "affairName": row.service_name, "departmentCode": row.department_code,
        "affairDealNo": (officer.number if officer else None) or "",
        "affairDealOfficer": (officer.name if officer else None) or "",
        "affairApplyTime": stamp(row.issued_at, zone),
        "affairDoneTime": stamp(row.done_at, zone) if done else "",
        "affairResult": CASE_RESULT.get(row.state, "") if done else "",
        **person_types(hall.settings or {}), "hallCode": hall.code,
        "windowNo": str(row.window_no or ""),
    }
    store.enqueue(uow, row.hall_id, AFFAIR_TOPIC, f"{AFFAIR_TOPIC}:{key}", record)
    return key


def _case(uow: UnitOfWork, case_id: int) -> Any:
    c, t, s, d, k = (Case.__table__, Ticket.__table__, Service.__table__,
                     Department.__table__, Counter.__table__)
    return uow.conn.execute(
        select(c.c.hall_id, c.c.number, c.c.state, c.c.done_at, t.c.issued_at,
               s.c.code.label("service_code"), s.c.name.label("service_name"), s.c.guide,
               d.c.code.label("department_code"), k.c.number.label("window_no"))
        .select_from(c.join(s, s.c.id == c.c.service_id)
                     .join(d, d.c.id == s.c.department_id)
                     .outerjoin(t, t.c.id == c.c.ticket_id)
                     .outerjoin(k, k.c.id == c.c.counter_id))
        .where(c.c.id == case_id)).one()
