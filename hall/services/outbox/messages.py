"""Messages to visitors in the outbox (issue 21, DESIGN.md §7): what supervisors see of the
near-turn texts and WeChat messages — pending / sent / failed counts and the latest rows,
failed first, each with the provider's reason — and a failed one sent again once its cause
is fixed (a template approved, a credential corrected). Never the number itself: only the
masked one the row keeps."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hall.domain.access import Actor
from hall.domain.errors import DomainError, Forbidden, NotFound
from hall.domain.i18n import N_
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.services.outbox import store
from hall.store.models import OutboxRow

PREFIX = "notify."  # notify.sms.aliyun, notify.sms.tencent, notify.wechat


def _require_supervisor(actor: Actor) -> None:
    if not (actor.is_staff and actor.role in ("supervisor", "admin")):
        raise Forbidden(N_("Only supervisors see the messages to visitors"), "authorization")


def _view(row: Any) -> dict[str, Any]:
    payload = dict(row.payload or {})
    return {**store.view(row), "kind": payload.get("kind"), "text": payload.get("text"),
            "to": payload.get("masked")}


def status(ctx: Context, *, actor: Actor, state: str | None = None,
           limit: int = 200) -> dict[str, Any]:
    _require_supervisor(actor)

    def query(uow: UnitOfWork) -> dict[str, Any]:
        rows = store.latest(uow, actor.hall_id, OutboxRow.topic.startswith(PREFIX), state,
                            limit)
        return {"counts": store.counts(uow, actor.hall_id, PREFIX),
                "messages": [_view(r) for r in rows]}

    return read(ctx, query)


def resend(ctx: Context, *, actor: Actor, message_id: int) -> Result:
    """A failed message goes back to pending, due now (the number must still be kept:
    one erased after the hall's days is refused again by the adapter, with that reason)."""
    _require_supervisor(actor)

    def command(uow: UnitOfWork) -> dict[str, Any]:
        o = OutboxRow.__table__
        found = uow.conn.execute(select(o.c.id).where(
            o.c.id == message_id, o.c.hall_id == actor.hall_id,
            o.c.topic.startswith(PREFIX))).first()
        if found is None:
            raise NotFound("message", "message_id")
        if not store.requeue(uow, actor.hall_id, message_id):
            raise DomainError("message_not_failed", N_("Only a failed message is sent again"),
                              "state")
        return _view(uow.conn.execute(select(o).where(o.c.id == message_id)).one())

    return run(ctx, command)
