"""Alerts (电子监察): raised once per condition, cleared when it ends, acknowledged by staff.

A rule names its condition with a ``key`` (``visit_over:<ticket>``, ``device:<id>`` …).
``raise_alert`` is idempotent for an open alert at the same level, so a scanner may call it
every few seconds; a change of level (warning → critical) updates the row and is emitted.
Every change goes out as one ``alert`` event carrying the alert's whole view; ``counter_id``
sits at the top level so the counter's own room hears about it.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update

from hall.domain.access import Actor
from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.services import repo
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.store.models import Alert

LEVELS = ("warning", "critical")


def raise_alert(uow: UnitOfWork, hall_id: int, key: str, kind: str, level: str = "warning", *,
                counter_id: int | None = None, ticket_id: int | None = None,
                device_id: int | None = None, **payload: Any) -> dict[str, Any] | None:
    """Open (or escalate) the alert for ``key``; returns its view, or None if unchanged."""
    if level not in LEVELS:
        raise ValueError(f"alert level {level!r}")
    a = Alert.__table__
    row = _open(uow, hall_id, key)
    if row is not None:
        if row.level == level or (row.level == "critical" and level == "warning"):
            return None  # already known; an alert never de-escalates by itself
        uow.conn.execute(update(a).where(a.c.id == row.id).values(  # e.g. warning → overdue
            level=level, kind=kind, payload={**(row.payload or {}), **payload}))
        alert_id = row.id
    else:
        alert_id = uow.conn.execute(insert(a).values(
            hall_id=hall_id, key=key, kind=kind, level=level, counter_id=counter_id,
            ticket_id=ticket_id, device_id=device_id, payload=payload, raised_at=uow.now,
        ).returning(a.c.id)).scalar_one()
    return _emit(uow, hall_id, alert_id, "raised")


def clear_alert(uow: UnitOfWork, hall_id: int, key: str) -> dict[str, Any] | None:
    """Close the open alert for ``key`` (its condition ended); None if none was open."""
    row = _open(uow, hall_id, key)
    if row is None:
        return None
    a = Alert.__table__
    uow.conn.execute(update(a).where(a.c.id == row.id).values(cleared_at=uow.now))
    return _emit(uow, hall_id, row.id, "cleared")


def acknowledge(ctx: Context, *, alert_id: int, actor: Actor, note: str = "") -> Result:
    """A supervisor (or the counter's staff for its own alerts) saw it and says what they did."""

    def command(uow: UnitOfWork) -> dict[str, Any]:
        a = Alert.__table__
        row = repo.owned(uow.conn, a, alert_id, actor, what="alert", field="alert_id")
        if not actor.is_staff:
            raise DomainError("forbidden", N_("Only staff acknowledge alerts"), "authorization")
        if row.acked_at is not None:
            raise DomainError("already_acknowledged", N_("This alert was already acknowledged"),
                              "alert_id")
        uow.conn.execute(update(a).where(a.c.id == row.id).values(
            acked_at=uow.now, acked_by=actor.id, ack_note=note or None))
        return _emit(uow, row.hall_id, row.id, "acknowledged")

    return run(ctx, command)


def open_alerts(ctx: Context, hall_id: int, limit: int = 200) -> list[dict[str, Any]]:
    def query(uow: UnitOfWork) -> list[dict[str, Any]]:
        a = Alert.__table__
        rows = uow.conn.execute(select(a).where(a.c.hall_id == hall_id, a.c.cleared_at.is_(None))
                                .order_by(a.c.raised_at.desc()).limit(limit)).all()
        return [view(r) for r in rows]

    return read(ctx, query)


def view(row: Any) -> dict[str, Any]:
    return {"id": row.id, "key": row.key, "kind": row.kind, "level": row.level,
            "counter_id": row.counter_id, "ticket_id": row.ticket_id,
            "device_id": row.device_id, "payload": row.payload or {},
            "raised_at": row.raised_at.isoformat(),
            "cleared_at": row.cleared_at.isoformat() if row.cleared_at else None,
            "acked_at": row.acked_at.isoformat() if row.acked_at else None,
            "ack_note": row.ack_note}


def open_level(uow: UnitOfWork, hall_id: int, key: str) -> str | None:
    """The level of the open alert for ``key``, or None."""
    row = _open(uow, hall_id, key)
    return None if row is None else row.level


def _open(uow: UnitOfWork, hall_id: int, key: str) -> Any:
    a = Alert.__table__
    return uow.conn.execute(select(a).where(a.c.hall_id == hall_id, a.c.key == key,
                                            a.c.cleared_at.is_(None))
                            .order_by(a.c.id.desc()).limit(1)).first()


def _emit(uow: UnitOfWork, hall_id: int, alert_id: int, action: str) -> dict[str, Any]:
    a = Alert.__table__
    alert = view(uow.conn.execute(select(a).where(a.c.id == alert_id)).one())
    uow.emit("alert", hall_id, action=action, counter_id=alert["counter_id"], alert=alert)
    return alert
