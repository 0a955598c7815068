"""Near-turn notifications (issue 21): a visitor leaves a phone (kiosk, /book, the ticket's
phone page) or subscribes on WeChat; messages go through the durable outbox (DESIGN.md §7).

Every outbox row is written in the transaction of the command that caused it: the
``near_turn`` follow-up (Context.followups) looks at a command's own events — a call, a
cancel or a transfer shortens a line; a call or a skip (过号) ends a ticket's wait — and
writes the due messages with keys that make each one once (``notify:<ticket>:near:1``,
``…:near:2``, ``…:called``, ``…:passed``), so a command retried after a deadlock, or an
event seen twice, never writes a second message.

The phone itself is kept only while a message may still go (``address``); once the
visitor is at the window (started), passed, gone or done it is erased from the
subscription. The masked phone and its
keyed hash (the per-phone rate limit) stay ``keep_days``, then ``erase_expired`` deletes the
row and blanks the number in the outbox rows that carried it.
"""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update

from hall.domain import notify as rules
from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.domain.personal import keyed_hash, mask_phone, normalize_phone
from hall.services import repo
from hall.services.context import Context, Result, UnitOfWork, run
from hall.services.outbox import store as outbox
from hall.services.queue import standing
from hall.store.models import Appointment, NotifySubscription, OutboxRow, Ticket

_OPENID = re.compile(r"[A-Za-z0-9_-]{16,64}")
LINE_EVENTS = frozenset({"ticket.called", "ticket.cancelled", "ticket.transferred"})
ENDED = {"ticket.called": rules.CALLED, "ticket.skipped": rules.PASSED}
# the visitor is at the window, or gone: the number is no longer needed
DONE = frozenset({"ticket.started", "ticket.finished", "ticket.cancelled",
                  "ticket.transferred"})
WATCHED = LINE_EVENTS | set(ENDED) | DONE


def subscribe(ctx: Context, *, token: str, channel: str = "sms", phone: str | None = None,
              openid: str | None = None) -> Result:
    """The visitor holding a ticket (its token) asks to be told when their turn is near."""

    def command(uow: UnitOfWork) -> dict[str, Any]:
        t = Ticket.__table__
        row = uow.conn.execute(select(t).where(t.c.token == token)).first()
        if row is None:
            raise DomainError("ticket_not_found", N_("No such ticket"), "token")
        return subscribe_in(uow, row, channel=channel, phone=phone, openid=openid)

    return run(ctx, command)


def subscribe_in(uow: UnitOfWork, ticket: Any, *, channel: str = "sms",
                 phone: str | None = None, openid: str | None = None) -> dict[str, Any]:
    """Inside a command (the kiosk's issue, the phone page): follow ``ticket``."""
    settings = _settings(uow, ticket.hall_id)
    field = "openid" if channel == "wechat" else "phone"
    settings.check_channel(channel, field)
    if ticket.state != "waiting":
        raise DomainError("not_waiting", N_("Ticket %(number)s is no longer waiting"),
                          "token", number=ticket.number)
    if channel == "sms":
        address = normalize_phone(phone or "", "phone")
        masked, hashed = mask_phone(address), keyed_hash(uow.ctx.secret, "phone", address)
    else:
        address = (openid or "").strip()
        if not _OPENID.fullmatch(address):
            raise DomainError("invalid_openid", N_("Not a WeChat openid"), "openid")
        masked, hashed = rules.mask_openid(address), keyed_hash(uow.ctx.secret, "openid",
                                                                address)
    s = NotifySubscription.__table__
    taken = uow.conn.execute(select(s.c.ticket_id).where(
        s.c.address_hash == hashed, s.c.day == ticket.day)).scalars().all()
    if ticket.id not in taken and len(taken) >= settings.per_phone_daily:
        raise DomainError("notify_rate_limited",
                          N_("This number already follows %(n)d tickets today"), field,
                          n=len(taken))
    values = dict(channel=channel, address=address, address_masked=masked,
                  address_hash=hashed, reminders=0, last_ahead=None, closed=False,
                  erase_at=uow.now + timedelta(days=settings.keep_days))
    if ticket.id in taken:
        uow.conn.execute(update(s).where(s.c.ticket_id == ticket.id).values(**values))
    else:
        uow.conn.execute(s.insert().values(hall_id=ticket.hall_id, ticket_id=ticket.id,
                                           service_id=ticket.service_id, day=ticket.day,
                                           created_at=uow.now, **values))
    ahead = standing.people_ahead(uow.conn, dict(ticket._mapping))
    _remind(uow, settings, _subscription(uow, ticket.id), ticket, ahead)
    return {"channel": channel, "masked": masked, "ahead": ahead}


def phone_offer(uow: UnitOfWork, ticket: Any) -> dict[str, Any]:
    """What a waiting ticket's phone page offers: a text message when ``ahead`` are ahead
    (if the hall sends them), and the phone that already follows it, masked."""
    settings = _settings(uow, ticket.hall_id)
    sub = _subscription(uow, ticket.id)
    following = sub.address_masked if sub is not None and sub.channel == "sms" \
        and not sub.closed else None
    return {"sms": settings.provider in rules.PROVIDERS, "ahead": settings.ahead,
            "following": following}


def near_turn(uow: UnitOfWork) -> None:
    """A follow-up: the messages this command's events make due, in its transaction."""
    events = [e for e in uow.events if e.type in WATCHED]
    if not events:
        return
    s = NotifySubscription.__table__
    for e in events:
        ticket_id = e.payload.get("ticket_id")
        if ticket_id is None:
            continue
        if e.type in ENDED:
            _notice(uow, e.hall_id, ticket_id, ENDED[e.type], e.payload.get("counter_number"))
        if e.type in DONE or e.type == "ticket.skipped":
            s_ = NotifySubscription.__table__
            uow.conn.execute(update(s_).where(s_.c.ticket_id == ticket_id)
                             .values(closed=True, address=None))
    lines = {(e.hall_id, e.payload["service_id"]) for e in events
             if e.type in LINE_EVENTS and e.payload.get("service_id") is not None}
    for hall_id, service_id in sorted(lines):
        t = Ticket.__table__
        rows = uow.conn.execute(
            select(s, t.c.number, t.c.kind, t.c.queued_at, t.c.service_id.label("svc"))
            .join(t, t.c.id == s.c.ticket_id)
            .where(s.c.hall_id == hall_id, s.c.service_id == service_id, s.c.closed.is_(False),
                   s.c.reminders < rules.MAX_REMINDERS, t.c.state == "waiting")).all()
        if not rows:
            continue
        settings = _settings(uow, hall_id)
        for sub in rows:
            ticket = {"id": sub.ticket_id, "kind": sub.kind, "queued_at": sub.queued_at,
                      "service_id": sub.svc, "number": sub.number}
            _remind(uow, settings, sub, ticket, standing.people_ahead(uow.conn, ticket))


def _remind(uow: UnitOfWork, settings: rules.NotifySettings, sub: Any, ticket: Any,
            ahead: int) -> None:
    if not rules.reminder_due(settings, ahead, sub.reminders, sub.last_ahead):
        return
    n = sub.reminders + 1
    number = ticket["number"] if isinstance(ticket, dict) else ticket.number
    _enqueue(uow, settings, sub, f"near:{n}", rules.message(rules.NEAR, number, ahead=ahead))
    s = NotifySubscription.__table__
    uow.conn.execute(update(s).where(s.c.id == sub.id).values(reminders=n, last_ahead=ahead))


def _notice(uow: UnitOfWork, hall_id: int, ticket_id: int, kind: str,
            window: int | None) -> None:
    """Called (once, a recall says nothing new) or passed: no more reminders after it."""
    sub = _subscription(uow, ticket_id)
    if sub is None or not sub.address:
        return
    t = Ticket.__table__
    number = uow.conn.execute(select(t.c.number).where(t.c.id == ticket_id)).scalar_one()
    _enqueue(uow, _settings(uow, hall_id), sub, kind,
             rules.message(kind, number, window=window))
    s = NotifySubscription.__table__
    uow.conn.execute(update(s).where(s.c.id == sub.id).values(closed=True))


def _enqueue(uow: UnitOfWork, settings: rules.NotifySettings, sub: Any, what: str,
             msg: dict[str, Any]) -> None:
    if not sub.address:
        return
    to = "openid" if sub.channel == "wechat" else "phone"
    outbox.enqueue(uow, sub.hall_id, settings.topic(sub.channel),
                   f"notify:{sub.ticket_id}:{what}",
                   {**msg, to: sub.address, "masked": sub.address_masked,
                    "erase_at": sub.erase_at.isoformat()})


def _subscription(uow: UnitOfWork, ticket_id: int) -> Any:
    s = NotifySubscription.__table__
    return uow.conn.execute(select(s).where(s.c.ticket_id == ticket_id)).first()


def _settings(uow: UnitOfWork, hall_id: int) -> rules.NotifySettings:
    return rules.NotifySettings.of(repo.hall_config(uow, hall_id).row.settings)


def erase_expired(ctx: Context) -> Result:
    """Delete subscriptions past their ``keep_days`` and blank the numbers the outbox still
    holds for them (a row's payload keeps the masked number only); and blank the number
    left on a booking nobody checked in to, once its slot is over."""

    def command(uow: UnitOfWork) -> int:
        s, o = NotifySubscription.__table__, OutboxRow.__table__
        a = Appointment.__table__
        uow.conn.execute(update(a).where(a.c.notify_phone.is_not(None),
                                         a.c.slot_end <= uow.now).values(notify_phone=None))
        old = uow.conn.execute(select(s.c.ticket_id).where(s.c.erase_at <= uow.now)
                               .limit(1000)).scalars().all()
        for ticket_id in old:
            for row in uow.conn.execute(select(o.c.id, o.c.payload).where(
                    o.c.key.startswith(f"notify:{ticket_id}:"))):
                payload = {k: v for k, v in dict(row.payload).items()
                           if k not in ("phone", "openid")}
                uow.conn.execute(update(o).where(o.c.id == row.id).values(payload=payload))
        if old:
            uow.conn.execute(delete(s).where(s.c.ticket_id.in_(old)))
        return len(old)

    return run(ctx, command)
