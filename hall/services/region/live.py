"""The region board (电子监察·运行监控 over many halls): per hall the account may see, its
live waiting, open windows, longest wait and open alerts — one read of ``region_live``,
which ingest keeps (``fold``) — and its link: the last event the region has from it,
"online" while events keep coming, else "link down since" that time."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from hall.domain import region as rules
from hall.services.context import UnitOfWork
from hall.services.region import tree
from hall.store.models import (
    Region,
    RegionAlert,
    RegionHall,
    RegionLive,
    RegionMark,
    RegionWindow,
)

# an open hall sends events every few minutes (queue.stats, calls, windows); this long
# without one, its link (or the hall) is taken as down
QUIET = timedelta(minutes=10)


def board(uow: UnitOfWork, login: str) -> list[dict[str, Any]]:
    h, r, lv, mk = (RegionHall.__table__, Region.__table__, RegionLive.__table__,
                    RegionMark.__table__)
    uids = tree.covered(uow, login)
    rows = uow.conn.execute(
        select(h.c.hall_uid, h.c.name, h.c.board_url, r.c.name.label("place"), lv, mk.c.seq)
        .join(r, r.c.id == h.c.region_id)
        .outerjoin(lv, lv.c.hall_uid == h.c.hall_uid)
        .outerjoin(mk, mk.c.hall_uid == h.c.hall_uid)
        .where(h.c.hall_uid.in_(uids)).order_by(r.c.code, h.c.hall_uid)).all()
    return [_hall(row, uow.now) for row in rows]


def _hall(row: Any, now) -> dict[str, Any]:
    last = row.last_event_at
    oldest = row.oldest_queued_at
    return {
        "hall": row.hall_uid, "name": row.name, "place": row.place,
        "board_url": row.board_url,
        "waiting": row.waiting or 0, "open_windows": row.open_windows or 0,
        "longest_wait_s": max(0, int((now - oldest).total_seconds())) if oldest else None,
        "open_alerts": row.open_alerts or 0, "critical_alerts": row.critical_alerts or 0,
        "seq": row.seq or 0,
        "last_event_at": last.isoformat() if last else None,
        "link": "online" if last is not None and now - last <= QUIET else "down",
    }


def hall(uow: UnitOfWork, login: str, hall_uid: str) -> dict[str, Any]:
    """One hall as the region has it: its board line, its windows and its open alerts."""
    rules.require_covered(tree.covered(uow, login), hall_uid)
    line = next(h for h in board(uow, login) if h["hall"] == hall_uid)
    w, a = RegionWindow.__table__, RegionAlert.__table__
    windows = uow.conn.execute(select(w.c.number, w.c.state).where(w.c.hall_uid == hall_uid)
                               .order_by(w.c.number)).all()
    alerts = uow.conn.execute(
        select(a.c.kind, a.c.level, a.c.raised_at, a.c.counter_id)
        .where(a.c.hall_uid == hall_uid, a.c.cleared_at.is_(None))
        .order_by(a.c.raised_at.desc()).limit(200)).all()
    return {**line,
            "windows": [{"number": n, "state": s} for n, s in windows],
            "alerts": [{"kind": k, "level": lv, "raised_at": at.isoformat(),
                        "counter_id": c} for k, lv, at, c in alerts]}
