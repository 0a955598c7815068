"""日考核 / 周汇总 / 月通报 as assessments: each staff member and window is scored per day
from the records (visits, ratings, cases, admonitions, attendance against the rota, upheld
complaints — on the day they were answered 属实, so a closed month's ranking stays as it was
published) by the scheme version in force that day (hall/domain/assessment.py); days sum per
ISO week and rank per month by the mean score of the days scored. Nothing is
stored but the scheme versions: a score is recomputed from the records whenever it is asked
for, and a new version applies from its own first day on, so a past month reads the same
after the scheme changes."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from hall.domain import assessment as domain
from hall.domain import targets as goals
from hall.domain.access import Actor
from hall.domain.errors import DomainError, Forbidden
from hall.domain.i18n import N_
from hall.services import repo
from hall.services.config import audit
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.services.staff import attendance
from hall.store.models import (
    Admonition,
    Case,
    Complaint,
    Counter,
    Rating,
    ScoreScheme,
    Service,
    Staff,
    Ticket,
)

Key = tuple[str, int, date]  # ("staff" | "counter", id, day)


def scheme_versions(uow: UnitOfWork, hall_id: int) -> list[Any]:
    s = ScoreScheme.__table__
    return uow.conn.execute(select(s).where(s.c.hall_id == hall_id)
                            .order_by(s.c.valid_from, s.c.version)).all()


def scheme_for(versions: list[Any], day: date) -> tuple[int, dict[str, Any]]:
    """(version, rules) in force on ``day``; version 0 is the built-in default."""
    current = (0, dict(domain.DEFAULT_SCHEME))
    for v in versions:
        if v.valid_from <= day:
            current = (v.version, {**domain.DEFAULT_SCHEME, **(v.rules or {})})
    return current


def current_scheme(ctx: Context, hall_id: int) -> dict[str, Any]:
    """The version in force today, its points, and every version with the day it began
    (version 0: the built-in default, in force until the first)."""
    def query(uow: UnitOfWork) -> dict[str, Any]:
        today = repo.hall_config(uow, hall_id).settings.local(uow.now).date()
        versions = scheme_versions(uow, hall_id)
        version, rules = scheme_for(versions, today)
        return {"version": version, "rules": rules, "items": list(domain.ITEMS),
                "versions": [{"version": v.version, "valid_from": v.valid_from.isoformat()}
                             for v in versions]}

    return read(ctx, query)


def set_scheme(ctx: Context, *, actor: Actor, hall_id: int, rules: dict[str, Any],
               valid_from: date | None = None) -> Result:
    """A new version of the scheme, in force from ``valid_from`` (today by default; never a
    past day, which would rewrite scores already published)."""
    if not (actor.is_staff and actor.role in ("supervisor", "admin")):
        raise Forbidden(N_("Only supervisors set the assessment scheme"), "authorization")
    checked = domain.check_scheme(rules)

    def command(uow: UnitOfWork) -> dict[str, Any]:
        today = repo.hall_config(uow, hall_id).settings.local(uow.now).date()
        start = valid_from or today
        if start < today:
            raise DomainError("scheme_in_the_past",
                              N_("A new scheme applies from today on, never to past days"),
                              "valid_from")
        s = ScoreScheme.__table__
        version = (uow.conn.execute(select(func.max(s.c.version))
                                    .where(s.c.hall_id == hall_id)).scalar() or 0) + 1
        uow.conn.execute(insert(s).values(hall_id=hall_id, version=version, valid_from=start,
                                          rules=checked, created_by=actor.id,
                                          created_at=uow.now))
        view = {"version": version, "valid_from": start.isoformat(), "rules": checked}
        audit.record(uow, actor, "create", "score_scheme", version, after=view,
                     hall_id=hall_id, whole=True)
        return view

    return run(ctx, command)


def assess(ctx: Context, hall_id: int, start: date, end: date) -> dict[str, Any]:
    """Scores of every staff member and window for each day of [start, end] with records,
    their week sums and their ranking by mean daily score (best first)."""
    return read(ctx, lambda uow: scores(uow, hall_id, start, end))


def scores(uow: UnitOfWork, hall_id: int, start: date, end: date) -> dict[str, Any]:
    """``assess`` inside a transaction already open (the reports read it with theirs)."""
    hall = repo.hall_row(uow.conn, hall_id)
    targets = goals.targets(hall.settings)
    versions = scheme_versions(uow, hall_id)
    counts = day_counts(uow, hall, start, end)
    names = _names(uow, hall_id)
    per: dict[tuple[str, int], list] = defaultdict(list)
    for (by, key, day), c in sorted(counts.items(), key=lambda kv: kv[0][2]):
        version, rules = scheme_for(versions, day)
        s = domain.score(c, rules, targets)
        per[(by, key)].append((day, c, s, version))
    out: dict[str, Any] = {"start": start.isoformat(), "end": end.isoformat(),
                           "targets": targets, "staff": [], "counter": []}
    for (by, key), days in per.items():
        weeks: dict[str, float] = defaultdict(float)
        for day, _c, s, _v in days:
            year, week, _ = day.isocalendar()
            weeks[f"{year}-W{week:02d}"] += s.points
        out[by].append({
            "key": key, "name": names[by].get(key, str(key)),
            "days": [{"day": day.isoformat(), "score": s.points, "version": v,
                      "counts": c.as_dict(), "lines": s.lines} for day, c, s, v in days],
            "weeks": {w: round(p, 2) for w, p in sorted(weeks.items())},
            **domain.summary((day, c, s) for day, c, s, _v in days)})
    for by in ("staff", "counter"):
        out[by] = _ranked(out[by])
    return out


def period_scores(uow: UnitOfWork, hall_id: int, start: date, end: date,
                  by: str) -> dict[int, dict[str, Any]]:
    """Per staff member or window (``by``): the period's 日考核 as a report row carries it —
    the sum of its daily scores (a week's: the 周汇总), their mean, the days scored, the
    rank by mean, and the lines behind them (each item's count and points over the
    period, as the days' schemes counted them)."""
    out = {}
    for r in scores(uow, hall_id, start, end)[by]:
        lines: dict[str, dict[str, Any]] = {}
        for day in r["days"]:
            for ln in day["lines"]:
                line = lines.setdefault(ln["item"], {"item": ln["item"], "count": 0,
                                                     "points": 0})
                line["count"] += ln["count"]
                line["points"] = round(line["points"] + ln["points"], 2)
        out[r["key"]] = {"sum": r["sum"], "mean": r["mean"], "days_scored": r["days_scored"],
                         "rank": r["rank"], "weeks": r["weeks"],
                         "lines": [lines[i] for i in domain.ITEMS if i in lines]}
    return out


def _ranked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ordered = sorted(rows, key=lambda r: (-(r["mean"] or 0), -r["days_scored"], str(r["name"])))
    for i, r in enumerate(ordered):
        same = i and (r["mean"], r["days_scored"]) == (ordered[i - 1]["mean"],
                                                       ordered[i - 1]["days_scored"])
        r["rank"] = ordered[i - 1]["rank"] if same else i + 1
    return ordered


def day_counts(uow: UnitOfWork, hall: Any, start: date, end: date) -> dict[Key, Any]:
    """The records of [start, end] counted per (staff | window, id, local day)."""
    tz = ZoneInfo(hall.timezone)
    out: dict[Key, domain.DayCounts] = defaultdict(domain.DayCounts)

    def bump(counter: int | None, staff: int | None, day: date, item: str, n: int = 1):
        for by, key in (("counter", counter), ("staff", staff)):
            if key:
                c = out[(by, key, day)]
                setattr(c, item, getattr(c, item) + n)

    t, s, r = Ticket.__table__, Service.__table__, Rating.__table__
    visits = uow.conn.execute(
        select(t.c.counter_id, t.c.staff_id, t.c.day, t.c.outcome, t.c.started_at,
               t.c.finished_at, s.c.time_limit_s)
        .join(s, s.c.id == t.c.service_id)
        .where(t.c.hall_id == hall.id, t.c.day >= start, t.c.day <= end,
               t.c.finished_at.is_not(None)))
    for counter, staff, day, outcome, started, finished, limit in visits:
        bump(counter, staff, day, "visits")
        if outcome in ("done", "accepted"):
            bump(counter, staff, day, outcome)
        if started is not None and limit and (finished - started).total_seconds() > limit:
            bump(counter, staff, day, "visit_over_limit")
    ratings = uow.conn.execute(
        select(r.c.counter_id, r.c.staff_id, t.c.day, r.c.level)
        .join(t, t.c.id == r.c.ticket_id)
        .where(r.c.hall_id == hall.id, t.c.day >= start, t.c.day <= end))
    for counter, staff, day, level in ratings:
        bump(counter, staff, day, "ratings")
        bump(counter, staff, day, "good_ratings" if level >= 3 else "bad_review")
    c = Case.__table__
    today = uow.now.astimezone(tz).date()
    late = uow.conn.execute(  # a case counts once: the day after its due day, if still open
        select(c.c.counter_id, c.c.staff_id, c.c.due_date)  # — and once that day has come
        .where(c.c.hall_id == hall.id, c.c.due_date >= start - timedelta(days=1),
               c.c.due_date < end, c.c.due_date < today, c.c.state != "suspended",
               c.c.done_on.is_(None) | (c.c.done_on > c.c.due_date)))
    for counter, staff, due in late:
        bump(counter, staff, due + timedelta(days=1), "overdue_case")
    a = Admonition.__table__
    since = datetime.combine(start, time(), tz)
    until = datetime.combine(end + timedelta(days=1), time(), tz)
    given = uow.conn.execute(
        select(a.c.staff_id, a.c.level, a.c.issued_at)
        .where(a.c.hall_id == hall.id, a.c.staff_id.is_not(None), a.c.withdrawn_at.is_(None),
               a.c.issued_at >= since, a.c.issued_at < until))
    for staff, level, at in given:
        bump(None, staff, at.astimezone(tz).date(), f"admonition_{level}")
    for rec in attendance.day_records(uow, hall.id, start, end):  # each shift once
        for shift in rec["shifts"]:
            item = domain.ATTENDANCE.get(shift["status"])
            if item:
                bump(shift["counter_id"], rec["staff_id"], date.fromisoformat(rec["day"]),
                     item)
    k = Complaint.__table__
    upheld = uow.conn.execute(  # 投诉属实: against its window and staff, on the day answered
        select(k.c.counter_id, k.c.staff_id, k.c.replied_at)
        .where(k.c.hall_id == hall.id, k.c.upheld.is_(True),
               k.c.replied_at >= since, k.c.replied_at < until))
    for counter, staff, at in upheld:
        bump(counter, staff, at.astimezone(tz).date(), "complaint_upheld")
    return {k: v for k, v in out.items() if v.anything}


def _names(uow: UnitOfWork, hall_id: int) -> dict[str, dict[int, str]]:
    c, st = Counter.__table__, Staff.__table__
    counters = uow.conn.execute(select(c.c.id, c.c.number, c.c.name).where(
        c.c.hall_id == hall_id)).all()
    staff = uow.conn.execute(select(st.c.id, st.c.name, st.c.number).where(
        st.c.hall_id == hall_id)).all()
    return {"counter": {r.id: f"{r.number}号窗口 {r.name}".strip() for r in counters},
            "staff": {r.id: f"{r.name} ({r.number})" if r.number else r.name for r in staff}}
