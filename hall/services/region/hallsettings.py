"""Each hall's settings in the region: its zone and target wait (how the region folds its
events into days and waits within the target) and its targets (考核目标: each figure green
or red). The hall's uplink ships them as a ``hall.settings`` event whenever they differ
from what it last shipped (``outgoing.ship_settings``), so the region has the hall's own,
in the hall's log order. Before a hall's first ``hall.settings`` the region uses what
``hall region hall --timezone/--target-wait`` gave (else the defaults).

What a change does to days before it: tickets already folded keep the target wait they
were folded with (a day row's "within target" counts are the target of its time, as the
hall's own day rows are rolled up once with the target of that day); the targets, which
only colour the figures, are the hall's latest for every period, as the hall's own reports
and 月通报 judge a past month by today's targets.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from hall.domain import targets as goals
from hall.services.context import UnitOfWork
from hall.store.models import RegionHall, RegionHallSettings

DEFAULT_ZONE, DEFAULT_TARGET_S = "Asia/Shanghai", 900  # a hall not placed in the tree yet


@dataclass(frozen=True)
class Settings:
    timezone: str = DEFAULT_ZONE
    target_wait_s: int = DEFAULT_TARGET_S
    targets: dict[str, Any] | None = None  # the hall's [hall.targets], in percent

    def goals(self) -> dict[str, float]:
        return goals.targets({"targets": self.targets})


def of(uow: UnitOfWork, uids: list[str]) -> dict[str, Settings]:
    """Each hall's settings: as shipped, else as placed in the tree, else the defaults."""
    h, s = RegionHall.__table__, RegionHallSettings.__table__
    out = {uid: Settings() for uid in uids}
    for r in uow.conn.execute(select(h.c.hall_uid, h.c.timezone, h.c.target_wait_s)
                              .where(h.c.hall_uid.in_(uids))):
        out[r.hall_uid] = Settings(r.timezone, r.target_wait_s)
    for r in uow.conn.execute(select(s).where(s.c.hall_uid.in_(uids))):
        out[r.hall_uid] = Settings(r.timezone, r.target_wait_s, r.targets)
    return out


def shipped(uow: UnitOfWork, uid: str, at: datetime, payload: dict[str, Any]) -> Settings:
    """Keep a ``hall.settings`` event's settings as the hall's from now on."""
    zone = payload.get("timezone") or DEFAULT_ZONE
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = DEFAULT_ZONE  # never stop ingest on one hall's odd zone name
    new = Settings(zone, int(payload.get("target_wait_s") or DEFAULT_TARGET_S),
                   payload.get("targets") or None)
    table = RegionHallSettings.__table__
    stmt = (postgresql if uow.conn.dialect.name == "postgresql" else sqlite).insert(table)
    values = {"timezone": new.timezone, "target_wait_s": new.target_wait_s,
              "targets": new.targets, "changed_at": at}
    uow.conn.execute(stmt.values(hall_uid=uid, **values).on_conflict_do_update(
        index_elements=["hall_uid"], set_=values))
    return new
