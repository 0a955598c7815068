"""The region's side, in the region's database: each message of a hall's log is written
once into ``region_events`` (keyed (hall_uid, seq), INSERT … ON CONFLICT DO NOTHING) and the
hall's high-water mark in ``region_marks`` moves in the same transaction. A message is
acknowledged to the broker only after that commit, so a crash at any point means at worst
a redelivery, which the mark turns into a no-op. A seq past mark + 1 (its predecessor not
yet here) is not written: the broker delivers it again later. The events written are
folded (``fold``) in the same transaction into what the region's pages read."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from hall.services.context import UnitOfWork
from hall.services.region import fold
from hall.store.models import RegionEvent, RegionMark

DONE, GAP = "done", "gap"  # done: written now or before (ack); gap: deliver again later


def _insert(uow: UnitOfWork, model):
    return (postgresql if uow.conn.dialect.name == "postgresql" else sqlite).insert(model)


def apply(uow: UnitOfWork, messages: list[dict[str, Any]]) -> list[str]:
    """Write a batch of messages in order; for each, DONE or GAP."""
    uids = sorted({m["hall"] for m in messages})
    uow.conn.execute(_insert(uow, RegionMark).values([{"hall_uid": u, "seq": 0} for u in uids])
                     .on_conflict_do_nothing(index_elements=["hall_uid"]))
    locked = select(RegionMark.hall_uid, RegionMark.seq).where(RegionMark.hall_uid.in_(uids))
    if uow.conn.dialect.name == "postgresql":  # SQLite's write lock is already the whole file
        locked = locked.order_by(RegionMark.hall_uid).with_for_update()
    marks = dict(uow.conn.execute(locked).all())
    moved: set[str] = set()
    rows, outcome = [], []
    for m in messages:
        uid, seq = m["hall"], m["seq"]
        if seq > marks[uid] + 1:
            outcome.append(GAP)
            continue
        if seq == marks[uid] + 1:
            rows.append({"hall_uid": uid, "seq": seq, "at": datetime.fromisoformat(m["at"]),
                         "type": m["type"], "payload": m["payload"], "ingested_at": uow.now})
            marks[uid] = seq
            moved.add(uid)
        outcome.append(DONE)
    if rows:
        uow.conn.execute(_insert(uow, RegionEvent).values(rows)
                         .on_conflict_do_nothing(index_elements=["hall_uid", "seq"]))
        fold.apply(uow, rows)
    for uid in sorted(moved):
        uow.conn.execute(update(RegionMark).where(RegionMark.hall_uid == uid)
                         .values(seq=marks[uid], at=uow.now))
    return outcome


def marks(uow: UnitOfWork) -> dict[str, int]:
    """Each hall's high-water mark: every seq up to it is in the region."""
    return dict(uow.conn.execute(select(RegionMark.hall_uid, RegionMark.seq)).all())
