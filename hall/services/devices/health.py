"""Device health: what each kiosk, printer, sign, keypad, pad and agent last reported.

A report is merged into ``devices.health`` (``online``, ``paper`` ok|near_end|out|unknown,
``cover_open``, ``errors`` (a running count), ``error`` (the last one), plus any
device-specific keys) and stamps ``last_seen``. A change of state is emitted as
``device.health``; trouble opens an alert (offline or paper out: critical, paper near end:
warning) that clears by itself when the device reports it is fine again. A heartbeat that
changes nothing only moves ``last_seen`` and emits nothing. A device that stops reporting
altogether is marked offline by ``mark_silent`` (the periodic watch calls it), through the
same path; its next report marks it online again.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from hall.domain.errors import NotFound
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.services.supervision import alerts
from hall.store.models import Device

PAPER_STATES = ("ok", "near_end", "out", "unknown")
# keys whose change is news to the admin's health view (a bare heartbeat is not)
STATE_KEYS = ("online", "paper", "cover_open", "errors", "error", "test")


def report_health(ctx: Context, *, device_id: int, health: dict[str, Any]) -> Result:
    def command(uow: UnitOfWork) -> dict[str, Any]:
        return record(uow, device_id, health)

    return run(ctx, command)


def count_problem(ctx: Context, *, device_id: int, kind: str, error: str) -> Result:
    """A problem at a device the server drives for it (an ID card the kiosk's reader could
    not read, a card whose ID number is mistyped): the running count ``errors``, one more
    under ``problems[kind]``, and the last ``error`` (a msgid: never the input itself)."""

    return run(ctx, lambda uow: count_in(uow, device_id, kind, error))


def count_in(uow: UnitOfWork, device_id: int, kind: str, error: str
             ) -> dict[str, Any] | None:
    """``count_problem`` inside the caller's transaction (a kiosk's ticket whose phone was
    refused); a device with no row (an actor of a test, a row deleted) is not counted."""
    found = uow.conn.execute(select(Device.health).where(Device.id == device_id)).first()
    if found is None:
        return None
    old = found.health or {}
    problems = dict(old.get("problems") or {})
    problems[kind] = int(problems.get(kind, 0) or 0) + 1
    return record(uow, device_id, {"errors": int(old.get("errors", 0) or 0) + 1,
                                   "error": error, "problems": problems})


def record(uow: UnitOfWork, device_id: int, health: dict[str, Any]) -> dict[str, Any]:
    """Merge ``health`` into the device's row inside the caller's transaction."""
    d = Device.__table__
    row = uow.conn.execute(select(d.c.id, d.c.hall_id, d.c.kind, d.c.name, d.c.counter_id,
                                  d.c.health, d.c.last_seen).where(d.c.id == device_id)).first()
    if row is None:
        raise NotFound("device", "device_id")
    return _merge(uow, row, {**health, "silent_s": None}, seen=True)


def _merge(uow: UnitOfWork, row: Any, health: dict[str, Any], *, seen: bool) -> dict[str, Any]:
    d = Device.__table__
    old = dict(row.health or {})
    new = {**old, **health}
    new["online"] = bool(new.get("online", True))
    if "paper" in new and new["paper"] not in PAPER_STATES:
        new["paper"] = "unknown"
    new = {k: v for k, v in new.items() if v is not None}
    last_seen = uow.now if seen else row.last_seen
    uow.conn.execute(update(d).where(d.c.id == row.id).values(health=new, last_seen=last_seen))
    view = {"id": row.id, "kind": row.kind, "name": row.name, "counter_id": row.counter_id,
            "last_seen": last_seen.isoformat() if last_seen else None, "health": new}
    if any(old.get(k) != new.get(k) for k in STATE_KEYS):
        uow.emit("device.health", row.hall_id, device=view)
        _alerts(uow, row, new)
    return view


def mark_silent(uow: UnitOfWork, hall_id: int, now: datetime, after_s: float
                ) -> list[dict[str, Any]]:
    """Mark offline every device of the hall that reported before but not for ``after_s``
    seconds (``silent_s`` says how long; ``last_seen`` is kept). Emits ``device.health`` and
    raises the offline alert like a report would; returns the devices it marked.

    Devices that never reported (screens, which are browsers) are left alone, and one
    already marked offline is not marked again, so calling this every few seconds is cheap.
    A window printer the server drives itself (a ``printer`` with a URL) reports only when
    it prints, so its silence says nothing: a print that cannot reach it says so instead.
    """
    d = Device.__table__
    cutoff = now - timedelta(seconds=after_s)
    rows = uow.conn.execute(
        select(d.c.id, d.c.hall_id, d.c.kind, d.c.name, d.c.counter_id, d.c.health,
               d.c.last_seen)
        .where(d.c.hall_id == hall_id, d.c.revoked_at.is_(None), d.c.last_seen.is_not(None),
               d.c.last_seen < cutoff, ~((d.c.kind == "printer") & d.c.url.is_not(None)))
        .with_for_update()).all()
    marked = []
    for row in rows:
        if (row.health or {}).get("online", True):  # offline already: nothing new to say
            silent = int((now - row.last_seen).total_seconds())
            marked.append(_merge(uow, row, {"online": False, "silent_s": silent}, seen=False))
    return marked


def _alerts(uow: UnitOfWork, row: Any, health: dict[str, Any]) -> None:
    key = f"device:{row.id}"
    common = dict(device_id=row.id, counter_id=row.counter_id, device=row.name or row.kind)
    if not health.get("online", True):
        alerts.raise_alert(uow, row.hall_id, key, "device_offline", "critical",
                           error=health.get("error"), **common)
    elif health.get("paper") == "out" or health.get("cover_open"):
        alerts.raise_alert(uow, row.hall_id, key, "printer_paper_out" if
                           health.get("paper") == "out" else "printer_cover_open", "critical",
                           **common)
    elif health.get("paper") == "near_end":
        alerts.raise_alert(uow, row.hall_id, key, "printer_paper_low", "warning", **common)
    else:
        alerts.clear_alert(uow, row.hall_id, key)


def health_board(ctx: Context, hall_id: int) -> list[dict[str, Any]]:
    """Every live device of the hall with its last report, for the admin's health view."""

    def query(uow: UnitOfWork) -> list[dict[str, Any]]:
        d = Device.__table__
        rows = uow.conn.execute(
            select(d.c.id, d.c.kind, d.c.name, d.c.counter_id, d.c.url, d.c.last_seen,
                   d.c.health).where(d.c.hall_id == hall_id, d.c.revoked_at.is_(None))
            .order_by(d.c.kind, d.c.id)).all()
        return [{"id": r.id, "kind": r.kind, "name": r.name, "counter_id": r.counter_id,
                 "url": r.url, "last_seen": r.last_seen.isoformat() if r.last_seen else None,
                 "health": r.health or {}} for r in rows]

    return read(ctx, query)
