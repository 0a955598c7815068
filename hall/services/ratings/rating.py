"""好差评: one rating per finished ticket, at its counter, within the rating window.

Rules, each refused with its own code and field (hall/web/errors.py maps them to 4xx):
``invalid_level`` (level), ``reason_required`` / ``invalid_reason`` / ``comment_required``
(reason, comment), ``wrong_counter`` (a pad of another window), ``not_finished``,
``already_rated``, ``rating_closed`` (window over) — all on ``ticket``.

A rating of 1–2 opens a follow-up (差评整改) and raises a ``bad_rating`` alert in the same
transaction, so a bad review can never be stored without its follow-up.

Unrated visits need no marking job: a finished ticket still ``done`` once its window has
closed *is* an unrated visit (a rating moves it to ``rated``, and the window never
reopens). ``rating_status`` says which of rated / pending / unrated a visit is, and
``rating_summary`` counts them for reports.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, insert, select

from hall.domain.access import Actor, require
from hall.domain.errors import DomainError, Forbidden, NotFound
from hall.domain.i18n import N_
from hall.domain.lifecycle import Action
from hall.domain.measures import Rating as RatingRecord
from hall.domain.measures import satisfaction_rate
from hall.services import repo
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.services.queue.calling import move_ticket
from hall.services.ratings import exchange, followups
from hall.services.supervision import alerts
from hall.store.models import Counter, Rating, Staff, Ticket

LEVELS = {5: N_("Very satisfied"), 4: N_("Satisfied"), 3: N_("Basically satisfied"),
          2: N_("Dissatisfied"), 1: N_("Very dissatisfied")}
BAD = 2  # levels 1..BAD need a reason and open a follow-up

# The default reasons for a low rating (a hall may set its own: settings.rating_reasons).
# Stored as the Chinese words a hall would configure; the label translates them for the pad.
DEFAULT_REASONS: dict[str, str] = {
    "等候时间长": N_("Long wait"),
    "服务态度差": N_("Poor attitude"),
    "业务不熟练": N_("Unfamiliar with the procedure"),
    "一次性告知不清": N_("Requirements not explained at once"),
    "办事效率低": N_("Slow handling"),
    "其他": N_("Other"),
}
OTHER = frozenset({"其他", "其它", "Other", "other"})  # a reason that needs words of its own


class WrongCounter(Forbidden):
    """A pad (or staff member) of another window tried to rate this visit."""

    def __init__(self, number: str, served: int | None, here: int | None):
        super().__init__(N_("Ticket %(number)s was served at window %(served)s, not at window "
                            "%(here)s"), "ticket", number=number, served=served, here=here)
        self.code = "wrong_counter"


def reasons_of(hall_row: Any) -> list[str]:
    """The hall's list of reasons for a rating of 1–2 (its own, else the defaults)."""
    configured = (hall_row.settings or {}).get("rating_reasons")
    return [str(r) for r in configured] if configured else list(DEFAULT_REASONS)


def check_reason(level: int, reason: str | None, comment: str | None,
                 allowed: list[str], keys_only: bool = False) -> tuple[str | None, str | None]:
    """Validate level, reason and free text; returns them cleaned (reason None when 3–5).

    ``keys_only``: the rating came from a five-key hardware pad, which cannot ask for a
    reason; its 1–2 are kept without one (the follow-up still opens, reason "not given").
    """
    if level not in LEVELS:
        raise DomainError("invalid_level", N_("A rating must be between 1 and 5"), "level")
    reason = (reason or "").strip() or None
    comment = (comment or "").strip() or None
    if level > BAD:
        return reason if reason in allowed else None, comment
    if reason is None and keys_only:
        return None, comment
    if reason is None:
        raise DomainError("reason_required", N_("Choose a reason for a low rating"), "reason")
    if reason not in allowed:
        raise DomainError("invalid_reason", N_("Not a rating reason of this hall: %(reason)s"),
                          "reason", reason=reason)
    if reason in OTHER and comment is None:
        raise DomainError("comment_required", N_("Say in a few words what went wrong"),
                          "comment")
    return reason, comment


def rate(ctx: Context, *, ticket_id: int, level: int, actor: Actor, reason: str | None = None,
         comment: str | None = None, keys_only: bool = False,
         dimensions: dict[str, int] | None = None) -> Result:
    """Record the rating of a finished visit (``keys_only``: from a five-key hardware pad
    bridge, see ``check_reason``)."""
    def command(uow: UnitOfWork) -> dict[str, Any]:
        conn = uow.conn
        row = repo.ticket_row(conn, ticket_id, actor)
        if level not in LEVELS:
            raise DomainError("invalid_level", N_("A rating must be between 1 and 5"), "level")
        if row.counter_id is None:  # never reached a counter: nothing to rate yet
            raise DomainError("not_finished", N_("Ticket %(number)s is not finished"),
                              "ticket", number=row.number)
        counter = repo.counter_row(conn, row.counter_id, row.hall_id, lock=False)
        _check_counter(conn, actor, row, counter)
        require(actor, "rate", row.counter_id)
        config = repo.hall_config(uow, row.hall_id)
        _check_ratable(row, uow.now, config.settings.rating_window_s)
        why, words = check_reason(level, reason, comment, reasons_of(config.row), keys_only)
        scores = check_dimensions(dimensions, config.row)
        channel = "keypad" if keys_only or actor.role == "keypad" else "pad"
        return record_visit(uow, row, counter, actor, level, why, words, channel, scores)

    return run(ctx, command)


def record_visit(uow: UnitOfWork, row: Any, counter: Any, actor: Actor, level: int,
                 why: str | None, words: str | None, channel: str,
                 scores: dict[str, int] | None) -> dict[str, Any]:
    """Store a checked rating of a visit (any channel: pad, keypad, phone), its record for
    the province, and the follow-up and alert of a bad one; in the caller's transaction."""
    conn = uow.conn
    move_ticket(uow, row, Action.RATE, counter, actor)
    conn.execute(insert(Rating).values(
        ticket_id=row.id, hall_id=row.hall_id, counter_id=row.counter_id,
        staff_id=row.staff_id, level=level, reason=why, comment=words, at=uow.now,
        channel=channel, dimensions=scores))
    uow.emit("ticket.rated", row.hall_id, ticket_id=row.id, number=row.number,
             counter_id=row.counter_id, level=level)
    # to the province's 好差评 system, through the outbox: never waited on here
    exchange.enqueue_rating(uow, ticket_id=row.id, level=level, at=uow.now, reason=why,
                            comment=words, dimensions=scores)
    followup = None
    if level <= BAD:
        followup = followups.open_for_rating(uow, row, level, why, words)
        alerts.raise_alert(uow, row.hall_id, f"rating:{row.id}", "bad_rating", "warning",
                           counter_id=row.counter_id, ticket_id=row.id, number=row.number,
                           rating=level, reason=why, comment=words, staff_id=row.staff_id,
                           counter_number=counter.number,
                           followup_id=followup["id"])

    return {"ticket_id": row.id, "number": row.number, "level": level, "reason": why,
            "followup": {"id": followup["id"], "due_date": followup["due_date"]}
            if followup else None}


def dimensions_of(hall_row: Any) -> list[str]:
    """The hall's optional rating dimensions (礼仪, 效率, 环境 …), each scored 1–5."""
    return [str(d) for d in (hall_row.settings or {}).get("rating_dimensions") or []]


def check_dimensions(given: dict[str, int] | None, hall_row: Any) -> dict[str, int] | None:
    if not given:
        return None
    allowed = dimensions_of(hall_row)
    for name, score in given.items():
        if name not in allowed:
            raise DomainError("invalid_dimension", N_("Not a rating dimension of this hall: "
                                                      "%(name)s"), "dimensions", name=name)
        if isinstance(score, bool) or score not in LEVELS:
            raise DomainError("invalid_level", N_("A rating must be between 1 and 5"),
                              "dimensions")
    return {name: int(score) for name, score in given.items()}


def _check_ratable(row, now: datetime, window: int) -> None:
    """Finished, not yet rated, and still inside the window — in that order of telling."""
    if row.state == "rated":
        raise DomainError("already_rated", N_("Ticket %(number)s is already rated"),
                          "ticket", number=row.number)
    if row.state != "done":
        raise DomainError("not_finished", N_("Ticket %(number)s is not finished"),
                          "ticket", number=row.number)
    if (now - row.finished_at).total_seconds() > window:
        raise DomainError("rating_closed", N_("Rating for %(number)s closed %(minutes)s "
                                              "minutes after the visit"),
                          "ticket", number=row.number, minutes=window // 60)


def _check_counter(conn, actor: Actor, ticket, counter) -> None:
    """Only the visitor rates, through a device: never the staff who served (nor their
    supervisor). A counter-bound device rates only visits its own window finished."""
    if actor.is_staff:
        raise Forbidden(N_("Ratings come from the visitor, through the window's rating pad"),
                        "authorization")
    bound = actor.kind == "device" and actor.role in ("pad", "keypad")
    if bound and actor.counter_id != ticket.counter_id:
        here = conn.execute(select(Counter.number).where(Counter.id == actor.counter_id)
                            ).scalar() if actor.counter_id else None
        raise WrongCounter(ticket.number, counter.number, here)


# --- unrated visits and figures -----------------------------------------------------------

def rating_status(state: str, finished_at: datetime | None, now: datetime,
                  window_s: int) -> str | None:
    """rated | pending (window still open) | unrated (window closed, no rating) | None."""
    if state == "rated":
        return "rated"
    if state != "done" or finished_at is None:
        return None  # not a finished visit: nothing to rate
    return "pending" if (now - finished_at).total_seconds() <= window_s else "unrated"


def rating_summary(ctx: Context, hall_id: int, start: date, end: date) -> dict[str, Any]:
    """Finished visits of days start..end (hall-local ticket days) by rating status, with
    levels, 满意率 and the rating rate (rated ÷ visits whose window has closed)."""

    def query(uow: UnitOfWork) -> dict[str, Any]:
        t, r = Ticket.__table__, Rating.__table__
        window = repo.hall_config(uow, hall_id).settings.rating_window_s
        rows = uow.conn.execute(
            select(t.c.counter_id, t.c.state, t.c.finished_at, r.c.level)
            .select_from(t.outerjoin(r, r.c.ticket_id == t.c.id))
            .where(t.c.hall_id == hall_id, t.c.day >= start, t.c.day <= end,
                   t.c.state.in_(("done", "rated")))).all()
        total = _tally([(x.state, x.finished_at, x.level) for x in rows], uow.now, window)
        by_counter: dict[int | None, list] = {}
        for x in rows:
            by_counter.setdefault(x.counter_id, []).append((x.state, x.finished_at, x.level))
        return {**total, "start": start.isoformat(), "end": end.isoformat(),
                "by_counter": [{"counter_id": cid, **_tally(v, uow.now, window)}
                               for cid, v in sorted(by_counter.items(),
                                                    key=lambda kv: kv[0] or 0)]}

    return read(ctx, query)


def _tally(visits: list[tuple], now: datetime, window: int) -> dict[str, Any]:
    counts = {"rated": 0, "pending": 0, "unrated": 0}
    levels = {lv: 0 for lv in range(1, 6)}
    for state, finished_at, level in visits:
        status = rating_status(state, finished_at, now, window)
        counts[status] += 1
        if status == "rated" and level:
            levels[level] += 1
    closed = counts["rated"] + counts["unrated"]
    records = [RatingRecord(lv) for lv, n in levels.items() for _ in range(n)]
    return {"visits": len(visits), **counts, "levels": levels,
            "bad": levels[1] + levels[2], "satisfaction_rate": satisfaction_rate(records),
            "rating_rate": counts["rated"] / closed if closed else None}


def unrated_visits(ctx: Context, hall_id: int, start: date, end: date) -> list[dict[str, Any]]:
    """The finished visits nobody rated within the window, oldest first."""

    def query(uow: UnitOfWork) -> list[dict[str, Any]]:
        t = Ticket.__table__
        window = repo.hall_config(uow, hall_id).settings.rating_window_s
        cutoff = uow.now - timedelta(seconds=window)
        rows = uow.conn.execute(
            select(t.c.id, t.c.number, t.c.counter_id, t.c.staff_id, t.c.finished_at)
            .where(t.c.hall_id == hall_id, t.c.day >= start, t.c.day <= end,
                   t.c.state == "done", t.c.finished_at < cutoff)
            .order_by(t.c.finished_at, t.c.id)).all()
        return [{"ticket_id": x.id, "number": x.number, "counter_id": x.counter_id,
                 "staff_id": x.staff_id, "finished_at": x.finished_at.isoformat()}
                for x in rows]

    return read(ctx, query)


# --- what a rating pad shows ---------------------------------------------------------------

def pad_state(ctx: Context, actor: Actor) -> dict[str, Any]:
    """The pad's counter and staff member, the hall's reasons and rating dimensions, and
    the visit awaiting a rating (the counter's latest finished ticket, still unrated and
    within its window)."""
    if actor.kind != "device" or actor.role != "pad" or actor.counter_id is None:
        raise Forbidden(N_("Only a rating pad bound to a counter shows this page"),
                        "authorization")

    def query(uow: UnitOfWork) -> dict[str, Any]:
        conn = uow.conn
        c, s, t = Counter.__table__, Staff.__table__, Ticket.__table__
        counter = conn.execute(
            select(c.c.id, c.c.number, c.c.name, c.c.state, s.c.name.label("staff_name"),
                   s.c.number.label("staff_number"), s.c.id.label("staff_id"))
            .select_from(c.outerjoin(s, s.c.id == c.c.staff_id))
            .where(c.c.id == actor.counter_id)).first()
        if counter is None:
            raise NotFound("counter", "counter")
        config = repo.hall_config(uow, actor.hall_id)
        hall = repo.hall_row(conn, actor.hall_id)
        window = config.settings.rating_window_s
        cutoff = uow.now - timedelta(seconds=window)
        # ticket days are local issue days: bound the search to the last two of them
        recent = and_(t.c.hall_id == actor.hall_id, t.c.counter_id == counter.id,
                      t.c.day >= config.settings.local(cutoff).date() - timedelta(days=1))
        latest = conn.execute(
            select(t.c.id, t.c.number, t.c.state, t.c.finished_at)
            .where(recent, t.c.state.in_(("done", "rated")), t.c.finished_at >= cutoff)
            .order_by(t.c.finished_at.desc(), t.c.id.desc()).limit(1)).first()
        pending = None
        called_since = latest is not None and conn.execute(
            select(t.c.id).where(recent, t.c.called_at > latest.finished_at).limit(1)
        ).first() is not None
        if latest is not None and latest.state == "done" and not called_since:
            left = window - (uow.now - latest.finished_at).total_seconds()
            pending = {"ticket_id": latest.id, "number": latest.number,
                       "finished_at": latest.finished_at.isoformat(),
                       "expires_in_s": max(0, int(left))}
        staffed = counter.staff_id is not None and counter.state != "closed"
        return {"last_seq": hall.last_seq, "device_id": actor.id, "window_s": window,
                "counter": {"id": counter.id, "number": counter.number, "name": counter.name,
                            "state": counter.state},
                "staff": {"id": counter.staff_id, "name": counter.staff_name,
                          "number": counter.staff_number or ""} if staffed else None,
                "reasons": reasons_of(hall), "dimensions": dimensions_of(hall),
                "pending": pending}

    return read(ctx, query)

