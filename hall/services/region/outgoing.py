"""The hall's side of the uplink, in the hall's database: ``region_uplink`` says under which
uid each hall ships and the last seq of its log the broker confirmed. The hall's own
commands never touch it; only the uplink worker reads the log after the mark. The one
event the uplink writes itself is ``hall.settings``: the settings the region judges the
hall by (zone, target wait, targets), whenever they differ from what it last shipped —
however they changed (the settings page, a layout import, ``hall seed``), and once for a
hall whose settings predate its uplink."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.services.context import UnitOfWork
from hall.store.models import Event, Hall, UplinkMark

# a uid is one token of a NATS subject (no dots, spaces or wildcards) and of Nats-Msg-Id
UID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass
class Outgoing:
    hall_id: int
    uid: str
    shipped: int


def check_uid(uid: str) -> str:
    if not UID.match(uid):
        raise DomainError("invalid_hall_uid",
                          N_("A hall uid is 1 to 64 letters, digits, '-' or '_': %(uid)s"),
                          "hall_uid", uid=uid)
    return uid


def ensure(uow: UnitOfWork, uids: dict[str, str] | None = None) -> list[Outgoing]:
    """Every hall of this database with its uplink row (made on first use, uid: the one
    ``uids`` gives for the hall's code, else the code); a uid once given is kept."""
    uids = uids or {}
    have = {m.hall_id: m for m in uow.conn.execute(select(UplinkMark)).all()}
    out = []
    for hall_id, code in uow.conn.execute(select(Hall.id, Hall.code).order_by(Hall.id)).all():
        mark = have.get(hall_id)
        if mark is None:
            uid = check_uid(uids.get(code, code))
            uow.conn.execute(UplinkMark.__table__.insert().values(
                hall_id=hall_id, hall_uid=uid, shipped_seq=0))
            out.append(Outgoing(hall_id, uid, 0))
        else:
            out.append(Outgoing(hall_id, mark.hall_uid, mark.shipped_seq))
    return out


def pending(uow: UnitOfWork, hall_id: int, after: int, limit: int) -> list[dict[str, Any]]:
    """The hall's events after seq ``after``, oldest first, as the messages carry them."""
    rows = uow.conn.execute(
        select(Event.seq, Event.at, Event.type, Event.payload)
        .where(Event.hall_id == hall_id, Event.seq > after)
        .order_by(Event.seq).limit(limit)).all()
    return [{"seq": r.seq, "at": r.at.isoformat(), "type": r.type, "payload": r.payload}
            for r in rows]


def region_settings(row: Any) -> dict[str, Any]:
    """What of a ``halls`` row the region needs (hall/services/region/hallsettings.py)."""
    return {"timezone": row.timezone, "target_wait_s": row.target_wait_s,
            "targets": (row.settings or {}).get("targets") or None}


def settings_changed(uow: UnitOfWork, hall_id: int) -> bool:
    """Do the hall's settings differ from what its uplink last shipped? (a cheap read)"""
    h, m = Hall.__table__, UplinkMark.__table__
    row = uow.conn.execute(select(h.c.timezone, h.c.target_wait_s, h.c.settings,
                                  m.c.settings_sent).join(m, m.c.hall_id == h.c.id)
                           .where(h.c.id == hall_id)).first()
    return row is not None and region_settings(row) != row.settings_sent


def ship_settings(uow: UnitOfWork, hall_id: int) -> None:
    """Emit ``hall.settings`` into the hall's log (shipped with the events around it) if
    they changed since last shipped."""
    if not settings_changed(uow, hall_id):
        return
    row = uow.conn.execute(select(Hall.__table__).where(Hall.__table__.c.id == hall_id)).one()
    now = region_settings(row)
    uow.emit("hall.settings", hall_id, **now)
    uow.conn.execute(update(UplinkMark).where(UplinkMark.hall_id == hall_id)
                     .values(settings_sent=now))


def mark_shipped(uow: UnitOfWork, hall_id: int, seq: int) -> None:
    uow.conn.execute(update(UplinkMark)
                     .where(UplinkMark.hall_id == hall_id, UplinkMark.shipped_seq < seq)
                     .values(shipped_seq=seq, shipped_at=uow.now))
