"""Counted limits taken atomically: appointment slot capacity and the per-person daily limit.

Each is one ``INSERT … ON CONFLICT DO UPDATE … WHERE count < limit RETURNING count`` — the
pattern of the daily quota (hall/store/hot.py TAKE_QUOTA): the row lock of the conflicting
row serialises concurrent takers, and a taker that would pass the limit gets no row back.
There is no read-then-write window, so capacity can never be exceeded however many kiosks
or phones book at once.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, bindparam, update
from sqlalchemy.dialects import postgresql, sqlite

from hall.store.hot import for_dialect
from hall.store.models import PersonDay, SlotBooking
from hall.store.prepared import Prepared

SB, PD = SlotBooking.__table__, PersonDay.__table__


def _per_dialect(build) -> dict[str, Prepared]:
    return {"sqlite": Prepared(build(sqlite.insert)),
            "postgresql": Prepared(build(postgresql.insert))}


def _take_slot(ins):
    return ins(SB).values(service_id=bindparam("service_id"),
                          slot_start=bindparam("slot_start", type_=SB.c.slot_start.type),
                          booked=1).on_conflict_do_update(
        index_elements=["service_id", "slot_start"], set_={"booked": SB.c.booked + 1},
        where=SB.c.booked < bindparam("capacity"),
    ).returning(SB.c.booked)


def _take_person_day(ins):
    return ins(PD).values(person_hash=bindparam("person_hash"),
                          service_id=bindparam("service_id"), day=bindparam("day"),
                          issued=1).on_conflict_do_update(
        index_elements=["person_hash", "service_id", "day"], set_={"issued": PD.c.issued + 1},
        where=PD.c.issued < bindparam("limit"),
    ).returning(PD.c.issued)


TAKE_SLOT = _per_dialect(_take_slot)
TAKE_PERSON_DAY = _per_dialect(_take_person_day)


def take_slot(conn: Connection, service_id: int, slot_start: datetime, capacity: int
              ) -> int | None:
    """Book one place of (service, slot); the new count, or None when the slot is full."""
    return for_dialect(TAKE_SLOT, conn)(conn, service_id=service_id, slot_start=slot_start,
                                        capacity=capacity).scalar_one_or_none()


def release_slot(conn: Connection, service_id: int, slot_start: datetime) -> None:
    """Give one place back (a cancelled booking); never below zero."""
    conn.execute(update(SB).where(SB.c.service_id == service_id, SB.c.slot_start == slot_start,
                                  SB.c.booked > 0).values(booked=SB.c.booked - 1))


def take_person_day(conn: Connection, person_hash: str, service_id: int, day: date,
                    limit: int) -> int | None:
    """Count one more ticket of (person, service, local day); None past the limit."""
    if limit <= 0:
        return None
    return for_dialect(TAKE_PERSON_DAY, conn)(conn, person_hash=person_hash,
                                              service_id=service_id, day=day,
                                              limit=limit).scalar_one_or_none()
