"""Rating from the phone page (issue 19 item 4): a visitor rates later from the ticket's
page (the QR on the ticket), within the hall's ``late_rating_days`` (default 7) of the
visit, still once per visit whatever the channel (pad, keypad, phone: one ``ratings`` row
per ticket, and the ticket moves to ``rated``).

一事多评: a 承诺件 is rated at 受理 (the visit that accepted it: its ticket's rating) and
again at 办结 once the case is done (``case_ratings``, one per case), within the same number
of days of its conclusion, each becoming its own record for the province (``evalProcess``
1 and 2). ``offer`` tells the phone page which of these it can rate now, if any.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select

from hall.domain.access import Actor
from hall.domain.cases import lookup_code_matches
from hall.domain.errors import DomainError, NotFound
from hall.domain.i18n import N_
from hall.services import repo
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.services.ratings import exchange, followups
from hall.services.ratings.rating import (
    BAD,
    LEVELS,
    check_dimensions,
    check_reason,
    dimensions_of,
    reasons_of,
    record_visit,
)
from hall.services.supervision import alerts
from hall.store.models import Case, CaseRating, FollowUp, Ticket

DEFAULT_DAYS = 7


def late_rating_days(hall_row: Any) -> int:
    try:
        days = int((hall_row.settings or {}).get("late_rating_days", DEFAULT_DAYS))
    except (TypeError, ValueError):
        return DEFAULT_DAYS
    return max(days, 0)


def rate_by_phone(ctx: Context, *, token: str, level: int, reason: str | None = None,
                  comment: str | None = None,
                  dimensions: dict[str, int] | None = None) -> Result:
    """The visit's rating if it has none yet; else, for a case done since, its 办结 rating."""
    if level not in LEVELS:
        raise DomainError("invalid_level", N_("A rating must be between 1 and 5"), "level")

    def command(uow: UnitOfWork) -> dict[str, Any]:
        row = _ticket(uow, token)
        config = repo.hall_config(uow, row.hall_id)
        why, words = check_reason(level, reason, comment, reasons_of(config.row))
        scores = check_dimensions(dimensions, config.row)
        stage, case = _stage(uow, row, late_rating_days(config.row))
        if stage == CASE:
            return _rate_case(uow, row, case, level, why, words, scores)
        visitor = Actor("visitor", None, row.hall_id, "holder", label="phone")
        counter = repo.counter_row(uow.conn, row.counter_id, row.hall_id, lock=False)
        done = record_visit(uow, row, counter, visitor, level, why, words, "phone", scores)
        return {**done, "stage": stage}

    return run(ctx, command)


def offer(ctx: Context, *, token: str) -> dict[str, Any] | None:
    """What the ticket's phone page offers to rate now, or None: the stage (the visit's
    ``acceptance`` or ``completion``, or ``case``: the 办结 of the case it accepted), the
    last moment it can be rated, the hall's reasons for a low rating and its dimensions."""
    def query(uow: UnitOfWork) -> dict[str, Any] | None:
        try:
            row = _ticket(uow, token)
            config = repo.hall_config(uow, row.hall_id)
            days = late_rating_days(config.row)
            stage, case = _stage(uow, row, days)
        except DomainError:
            return None  # nothing to rate (yet, or any more): the page shows no form
        since = (case.done_at or uow.now) if stage == CASE else row.finished_at
        until = since + timedelta(days=days)
        return {"stage": stage, "case_number": case.number if case is not None else None,
                "until": until.isoformat(),
                "until_day": config.settings.local(until).date().isoformat(),
                "reasons": reasons_of(config.row), "dimensions": dimensions_of(config.row)}

    return read(ctx, query)


def rate_by_case(ctx: Context, *, number: str, code: str, level: int,
                 reason: str | None = None, comment: str | None = None,
                 dimensions: dict[str, int] | None = None) -> Result:
    """From the case's page (its number and look-up code, as for the look-up itself): the
    same rating as from the page of the ticket that opened the case."""
    return rate_by_phone(ctx, token=_case_token(ctx, number, code), level=level,
                         reason=reason, comment=comment, dimensions=dimensions)


def offer_for_case(ctx: Context, *, number: str, code: str) -> dict[str, Any] | None:
    """``offer`` for the case's page."""
    try:
        token = _case_token(ctx, number, code)
    except DomainError:
        return None
    return offer(ctx, token=token)


def _case_token(ctx: Context, number: str, code: str) -> str:
    """The token of the ticket that opened the case; an unknown number and a wrong code
    answer alike."""
    def query(uow: UnitOfWork) -> str:
        c, t = Case.__table__, Ticket.__table__
        row = uow.conn.execute(select(c.c.lookup_code, t.c.token).join(
            t, t.c.id == c.c.ticket_id).where(c.c.number == (number or "").strip().upper())
        ).first()
        if row is None or not lookup_code_matches(row.lookup_code, code):
            raise NotFound("case", "number")
        return row.token

    return read(ctx, query)


CASE = "case"  # the stage of a case's 办结 rating, after its acceptance visit was rated


def _ticket(uow: UnitOfWork, token: str) -> Any:
    t = Ticket.__table__
    found = uow.conn.execute(select(t.c.id, t.c.hall_id).where(t.c.token == token)).first()
    if found is None:
        raise NotFound("ticket", "token")
    # the token is the holder's key: the ticket's own hall is the one it is seen from
    return repo.ticket_row(uow.conn, found.id, found.hall_id)


def _stage(uow: UnitOfWork, row: Any, days: int) -> tuple[str, Any]:
    """Which stage the phone page may rate now, with the visit's case (or None); else the
    refusal. Each stage is open ``days`` after it ended: the visit after it finished, the
    case's 办结 after the case was concluded."""
    case = _case(uow, row.id)
    if row.state == "rated":  # 一事多评: the visit is rated; its case's 办结 may be
        if case is None or uow.conn.execute(select(CaseRating.case_id).where(
                CaseRating.case_id == case.id)).first() is not None:
            raise DomainError("already_rated", N_("Ticket %(number)s is already rated"),
                              "ticket", number=row.number)
        if case.state != "done":
            raise DomainError("case_not_done", N_("Case %(case)s is not concluded yet: rate "
                                                  "it once it is"), "ticket", case=case.number)
        if case.done_at is not None and uow.now - case.done_at > timedelta(days=days):
            raise DomainError("rating_closed", N_("Rating for case %(case)s closed %(days)s "
                                                  "days after it was concluded"), "ticket",
                              case=case.number, days=days)
        return CASE, case
    if row.state != "done" or row.counter_id is None:
        raise DomainError("not_finished", N_("Ticket %(number)s is not finished"),
                          "ticket", number=row.number)
    if uow.now - row.finished_at > timedelta(days=days):
        raise DomainError("rating_closed", N_("Rating for %(number)s closed %(days)s days "
                                              "after the visit"), "ticket",
                          number=row.number, days=days)
    return ("acceptance" if case is not None else "completion"), case


def _case(uow: UnitOfWork, ticket_id: int) -> Any:
    c = Case.__table__
    return uow.conn.execute(select(c).where(c.c.ticket_id == ticket_id)).first()


def _rate_case(uow: UnitOfWork, ticket: Any, case: Any, level: int, why: str | None,
               words: str | None, scores: dict[str, int] | None) -> dict[str, Any]:
    """一事多评: the 办结 rating of the case this visit accepted, once it is done."""
    uow.conn.execute(insert(CaseRating).values(
        case_id=case.id, hall_id=case.hall_id, level=level, reason=why, comment=words,
        dimensions=scores, channel="phone", at=uow.now))
    uow.emit("case.rated", case.hall_id, case_number=case.number, level=level)
    exchange.enqueue_rating(uow, ticket_id=ticket.id, level=level, at=uow.now, reason=why,
                            comment=words, dimensions=scores, completion_of_case=True)
    followup = None
    if level <= BAD and not _has_followup(uow, ticket.id):
        followup = followups.open_for_rating(uow, ticket, level, why, words)
        alerts.raise_alert(uow, case.hall_id, f"rating:{ticket.id}", "bad_rating", "warning",
                           counter_id=case.counter_id, ticket_id=ticket.id,
                           number=ticket.number, rating=level, reason=why, comment=words,
                           staff_id=case.staff_id, followup_id=followup["id"])

    return {"ticket_id": ticket.id, "number": ticket.number, "level": level, "reason": why,
            "stage": "completion", "case_number": case.number,
            "followup": {"id": followup["id"], "due_date": followup["due_date"]}
            if followup else None}


def _has_followup(uow: UnitOfWork, ticket_id: int) -> bool:
    return uow.conn.execute(select(FollowUp.id).where(FollowUp.ticket_id == ticket_id)
                            ).first() is not None
