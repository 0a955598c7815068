"""The statements on the hottest paths (issue a ticket, append events), prepared once."""
from __future__ import annotations

from sqlalchemy import bindparam, insert, update
from sqlalchemy.dialects import postgresql, sqlite

from hall.store.models import Event, Hall, NumberCounter, ServiceDay, Ticket
from hall.store.prepared import Prepared

T = Ticket.__table__


def _per_dialect(build) -> dict[str, Prepared]:
    return {"sqlite": Prepared(build(sqlite.insert)),
            "postgresql": Prepared(build(postgresql.insert))}


def _next_number(ins):
    nc = NumberCounter.__table__
    return ins(nc).values(hall_id=bindparam("hall_id"), prefix=bindparam("prefix"),
                          day=bindparam("day"), last=1).on_conflict_do_update(
        index_elements=["hall_id", "prefix", "day"], set_={"last": nc.c.last + 1}
    ).returning(nc.c.last)


def _take_quota(ins):
    sd = ServiceDay.__table__
    return ins(sd).values(service_id=bindparam("service_id"), day=bindparam("day"),
                          issued=1).on_conflict_do_update(
        index_elements=["service_id", "day"], set_={"issued": sd.c.issued + 1},
        where=sd.c.issued < bindparam("quota"),
    ).returning(sd.c.issued)


NEXT_NUMBER = _per_dialect(_next_number)
TAKE_QUOTA = _per_dialect(_take_quota)

TICKET_COLUMNS = ("hall_id", "service_id", "day", "prefix", "seq_no", "number", "token", "kind",
                  "priority_reason", "appointment_at", "state", "issued_at", "queued_at",
                  "issued_by", "target_counter_id", "parent_id", "recalls", "fee_cents")
INSERT_TICKET = Prepared(insert(T).values({c: bindparam(c) for c in TICKET_COLUMNS})
                         .returning(T.c.id))

BUMP_SEQ = Prepared(update(Hall.__table__).where(Hall.__table__.c.id == bindparam("hall_id"))
                    .values(last_seq=Hall.__table__.c.last_seq + bindparam("n"))
                    .returning(Hall.__table__.c.last_seq))
INSERT_EVENT = Prepared(insert(Event.__table__).values(
    hall_id=bindparam("hall_id"), seq=bindparam("seq"), at=bindparam("at"),
    type=bindparam("type"), payload=bindparam("payload", type_=Event.__table__.c.payload.type)))

def for_dialect(statements: dict[str, Prepared], conn) -> Prepared:
    return statements[conn.dialect.name]
