"""Reports (日考核/周汇总/月通报): any period, grouped by hall, department, service, window or
staff member, with every measure of DESIGN.md §2.

Closed days come from the day rollups (supervision/rollup.py) once built; days not built yet
(today, or a closed day the watch has not rolled up) are summed live from the raw rows with
the same code. A report only reads: the watch rolls closed days up (``roll_up``), and so
does ``hall report``, never a GET. Cases, follow-ups and counter time
are added per group. Figures are exact: histograms of whole seconds, integer counts.
"""
from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from hall.domain import assessment as scoring
from hall.domain import histogram as hist
from hall.domain import rollup
from hall.domain import targets as goals
from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.services import repo
from hall.services.context import Context, UnitOfWork, read, run
from hall.services.queue import queries
from hall.services.supervision import assessment, case_counts, chain_report
from hall.services.supervision import rollup as store
from hall.services.supervision.case_counts import CASE_COUNTS
from hall.store.models import (
    Admonition,
    Case,
    Counter,
    Department,
    FollowUp,
    Hall,
    Inquiry,
    Service,
    Staff,
    Ticket,
    Urging,
)

# department: the services' (the window's work); staff_department: the unit each staff
# member is seconded from (双重管理)
GROUPS = ("hall", "department", "service", "counter", "staff", "staff_department")
PERIODS = ("day", "week", "month", "range")
ROLL_UP_DAYS = 40  # how far back the watch rolls up closed days (older: ``hall report``)
WAIT_BANDS = [0, 300, 600, 900, 1800, 2700, 3600]  # seconds: 0–5, 5–10, 10–15, 15–30 … min


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return self.start.strftime("%Y-%m")
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def period_of(kind: str, on: date, end: date | None = None) -> Period:
    """The day, ISO week (Mon–Sun), calendar month containing ``on``, or ``on``..``end``."""
    if kind == "day":
        return Period(kind, on, on)
    if kind == "week":
        start = on - timedelta(days=on.weekday())
        return Period(kind, start, start + timedelta(days=6))
    if kind == "month":
        last = calendar.monthrange(on.year, on.month)[1]
        return Period(kind, on.replace(day=1), on.replace(day=last))
    if kind == "range":
        if end is None or end < on:
            raise DomainError("invalid_range", N_("The range must end on or after its start"),
                              "end")
        if (end - on).days > 366:
            raise DomainError("range_too_long", N_("A report covers at most a year"), "end")
        return Period(kind, on, end)
    raise DomainError("invalid_period", N_("Unknown period %(period)s"), "period", period=kind)


def report(ctx: Context, *, period: str = "day", on: str | date | None = None,
           end: str | date | None = None, group: str = "service",
           hall_id: int | None = None, roll_up_first: bool = False) -> dict[str, Any]:
    """The report; it writes nothing unless ``roll_up_first`` (a command's choice, never a
    GET's) builds the period's closed days first."""
    if group not in GROUPS:
        raise DomainError("invalid_group", N_("Unknown grouping %(group)s"), "group", group=group)
    hall_id = hall_id or queries.default_hall(ctx)
    hall = read(ctx, lambda uow: repo.hall_row(uow.conn, hall_id))
    tz = ZoneInfo(hall.timezone)
    now = ctx.clock.now()
    first = _date(on, "on") if on else now.astimezone(tz).date()
    p = period_of(period, first, _date(end, "end") if end else None)
    if roll_up_first:
        roll_up(ctx, hall_id, p.start, p.end)
    return read(ctx, lambda uow: _assemble(uow, hall, p, group))


def _date(value: str | date, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise DomainError("invalid_date", N_("Not a date (YYYY-MM-DD): %(value)s"), field,
                          value=value) from exc


def roll_up(ctx: Context, hall_id: int, start: date | None = None,
            end: date | None = None) -> list[date]:
    """Roll up the closed days from ``start`` to ``end`` (default: the last ROLL_UP_DAYS)
    not built yet, one short transaction per day; the days built. The watch calls it."""
    hall = read(ctx, lambda uow: repo.hall_row(uow.conn, hall_id))
    tz = ZoneInfo(hall.timezone)
    now = ctx.clock.now()
    end = end or now.astimezone(tz).date()
    start = start or end - timedelta(days=ROLL_UP_DAYS)
    built = read(ctx, lambda uow: store.built_days(uow, hall.id, start, end))
    made = []
    for day in Period("range", start, end).days():
        if day not in built and store.closed(day, tz, now, hall.rating_window_s):
            run(ctx, lambda uow, d=day: store.build_day(uow, hall, d))
            made.append(day)
    return made


def rebuild(ctx: Context, hall_id: int, days: list[date]) -> list[date]:
    """Roll up ``days`` again, built or not, those of them that are closed (the rest the
    watch rolls up once they close): days filled after the watch had rolled them up as
    empty (``hall simulate --days N --fast``). The days built."""
    hall = read(ctx, lambda uow: repo.hall_row(uow.conn, hall_id))
    tz, now = ZoneInfo(hall.timezone), ctx.clock.now()
    made = []
    for day in sorted(days):
        if store.closed(day, tz, now, hall.rating_window_s):
            run(ctx, lambda uow, d=day: store.build_day(uow, hall, d))
            made.append(day)
    return made


def _assemble(uow: UnitOfWork, hall: Any, p: Period, group: str) -> dict[str, Any]:
    built = store.built_days(uow, hall.id, p.start, p.end)
    names = _names(uow, hall.id)
    key_of = _keyer(group, names)

    def norm(k: int) -> Any:  # a key as the database folded it → the report's key
        return "all" if group == "hall" else (k or None)

    # built days: folded by the database; open days: summed live from the raw rows
    sums: dict[Any, rollup.Sums] = {}
    for k, folded in store.fold_built(uow, hall.id, p.start, p.end, group).items():
        sums.setdefault(norm(k), rollup.Sums()).add(folded)
    counter_time = [((r.counter_id, r.staff_id), r._mapping)
                    for r in store.counter_rows(uow, hall.id, built)]
    for day in p.days():
        if day not in built:
            live_stats, live_counters = store.compute_day(uow, hall, day)
            for key, live in live_stats.items():
                sums.setdefault(key_of(key), rollup.Sums()).add(live)
            counter_time.extend(live_counters.items())
    total = rollup.Sums()
    for folded in sums.values():  # rows outside every group (key None) count in the total
        total.add(folded)
    _add_fine(uow, hall.id, p, group, sums, total, norm)
    sums.pop(None, None)
    extras = _extras(uow, hall, p, group, names, key_of)
    times = _times(counter_time, group)
    rows = []
    for k in sorted(set(sums) | set(extras), key=lambda k: (names["sort"].get((group, k), 0), k)):
        fig = rollup.figures(sums.get(k, rollup.Sums()), hall.target_wait_s)
        rows.append({"key": k, "name": names[group].get(k, str(k)), **fig,
                     **extras.get(k, _no_extras()), **times.get(k, {})})
    whole = {"key": "all", "name": hall.name,
             **rollup.figures(total, hall.target_wait_s),
             **_sum_extras(extras.values()), **_sum_times(r for _, r in counter_time)}
    if group == "department":  # its rows count parts; the hall counts each case once
        whole.update(case_counts.figures(uow, hall, p.start, p.end, lambda k: "all").get(
            "all", dict.fromkeys(CASE_COUNTS, 0)))
        _rates(whole)
    if group in scoring.SCORED_GROUPS:  # 日考核 (周汇总 for a week) with the lines behind
        scored = assessment.period_scores(uow, hall.id, p.start, p.end, group)
        for row in rows:
            row["score"] = scored.get(row["key"])
    targets = goals.targets(hall.settings)
    for row in [*rows, whole]:  # green or red beside each targeted figure
        row["target_status"] = goals.statuses(row, targets)
    waits_by_second = {minute * hist.BUCKET_S: n for minute, n in total.ints("waits").items()}
    return {
        "hall": hall.name, "hall_id": hall.id, "group": group,
        "period": {"kind": p.kind, "start": p.start.isoformat(), "end": p.end.isoformat(),
                   "label": p.label},
        "target_wait_s": hall.target_wait_s,
        "targets": targets,
        "rows": rows, "total": whole,
        # 多窗联办: per chain (its steps are in the rows above, as visits of their services)
        "chains": chain_report.chain_rows(uow, hall.id, p.start, p.end),
        "charts": {
            "hours": list(range(24)),
            "issued_by_hour": [total.issued_by_hour.get(str(h), 0) for h in range(24)],
            "served_by_hour": [total.served_by_hour.get(str(h), 0) for h in range(24)],
            "wait_bands_s": WAIT_BANDS,  # multiples of a minute: exact from minute counts
            "wait_bands": hist.buckets(waits_by_second, WAIT_BANDS),
        },
    }


def _add_fine(uow: UnitOfWork, hall_id: int, p: Period, group: str,
              sums: dict[Any, rollup.Sums], total: rollup.Sums, norm: Callable) -> None:
    """Add the seconds of just the minutes each group's percentiles fall in (built days;
    open days' sums already carry all theirs)."""
    wanted = {k: rollup.needed_minutes(s) for k, s in sums.items() if k is not None}
    union = {name: set().union(*(w[name] for w in wanted.values()))
             for name in rollup.Sums.FINE}
    for k, fine in store.fine_built(uow, hall_id, p.start, p.end, group, union).items():
        key = norm(k)
        if key not in wanted:
            continue
        for name, minutes in fine.items():
            sums[key].add_fine(name, {b: secs for b, secs in minutes.items()
                                      if int(b) in wanted[key][name]})
    for fine in store.fine_built(uow, hall_id, p.start, p.end, "hall",
                                 rollup.needed_minutes(total)).values():
        for name, minutes in fine.items():
            total.add_fine(name, minutes)


def _names(uow: UnitOfWork, hall_id: int) -> dict[str, Any]:
    s, d, c, st = (Service.__table__, Department.__table__, Counter.__table__,
                   Staff.__table__)
    services = uow.conn.execute(select(s.c.id, s.c.name, s.c.department_id, s.c.sort)
                                .where(s.c.hall_id == hall_id)).all()
    depts = uow.conn.execute(select(d.c.id, d.c.name, d.c.sort)
                             .where(d.c.hall_id == hall_id)).all()
    counters = uow.conn.execute(select(c.c.id, c.c.number, c.c.name)
                                .where(c.c.hall_id == hall_id)).all()
    staff = uow.conn.execute(select(st.c.id, st.c.name, st.c.number, st.c.department_id)
                             .where(st.c.hall_id == hall_id)).all()
    sort = {("service", r.id): r.sort for r in services}
    sort.update({("department", r.id): r.sort for r in depts})
    sort.update({("staff_department", r.id): r.sort for r in depts})
    sort.update({("counter", r.id): r.number for r in counters})
    return {
        "hall": {"all": ""},
        "service": {r.id: r.name for r in services},
        "department": {r.id: r.name for r in depts},
        "staff_department": {r.id: r.name for r in depts},
        "counter": {r.id: f"{r.number}号窗口 {r.name}".strip() for r in counters},
        "staff": {r.id: f"{r.name} ({r.number})" if r.number else r.name for r in staff},
        "dept_of": {r.id: r.department_id for r in services},
        "tz": uow.conn.execute(select(Hall.__table__.c.timezone)
                               .where(Hall.__table__.c.id == hall_id)).scalar_one(),
        "staff_dept_of": {r.id: r.department_id for r in staff},
        "sort": sort,
    }


def _keyer(group: str, names: dict[str, Any]) -> Callable[[tuple], Any]:
    """Maps (service, counter, staff) to the group's key; None = not in any row (e.g. a
    ticket that never reached a window has no row in the per-window report)."""
    dept_of, staff_dept_of = names["dept_of"], names["staff_dept_of"]
    return {
        "hall": lambda k: "all",
        "service": lambda k: k[0],
        "department": lambda k: dept_of.get(k[0]),
        "counter": lambda k: k[1] or None,
        "staff": lambda k: k[2] or None,
        "staff_department": lambda k: staff_dept_of.get(k[2]) if k[2] else None,
    }[group]


EXTRA_COUNTS = (*CASE_COUNTS, "followups_opened", "followups_closed", "urgings",
                "urgings_answered", "admonitions",
                # 回访: revisits of bad reviews, and the share of reached visitors satisfied
                "revisits", "revisits_satisfied",
                # 首问: inquiries a staff member answered first, numbers taken for visitors
                "first_contacts", "tickets_taken")


def _no_extras() -> dict[str, Any]:
    return {**dict.fromkeys(EXTRA_COUNTS, 0), "on_time_rate": None, "followup_rate": None,
            "revisit_satisfaction": None}


def _extras(uow: UnitOfWork, hall: Any, p: Period, group: str, names: dict,
            key_of: Callable) -> dict[Any, dict[str, Any]]:
    """Cases (办件) received, concluded and overdue in the period (case_counts: by
    department, a case in parts counts as its parts), and bad-review follow-ups, per
    group."""
    t, f = Ticket.__table__, FollowUp.__table__
    hall_id = hall.id
    out: dict[Any, dict[str, Any]] = {}

    def slot(key: tuple) -> dict[str, Any] | None:
        k = key_of(key)
        return None if k is None else out.setdefault(k, _no_extras())

    for k, counts in case_counts.figures(uow, hall, p.start, p.end, key_of,
                                         by_part=group == "department").items():
        out.setdefault(k, _no_extras()).update(counts)
    follow = uow.conn.execute(
        select(t.c.service_id, f.c.counter_id, f.c.staff_id, f.c.state, f.c.revisit_answer,
               func.count())
        .join(t, t.c.id == f.c.ticket_id)
        .where(f.c.hall_id == hall_id, t.c.day >= p.start, t.c.day <= p.end)
        .group_by(t.c.service_id, f.c.counter_id, f.c.staff_id, f.c.state,
                  f.c.revisit_answer))
    for svc, counter, staff, state, answer, n in follow:
        if (s := slot((svc, counter or 0, staff or 0))) is not None:
            s["followups_opened"] += n
            if state == "closed":
                s["followups_closed"] += n
            if answer in ("satisfied", "unsatisfied"):  # the visitor was reached
                s["revisits"] += n
                s["revisits_satisfied"] += n if answer == "satisfied" else 0
    _supervision_counts(uow, hall_id, p, group, names, slot, out)
    for s in out.values():
        _rates(s)
    return out


def _supervision_counts(uow: UnitOfWork, hall_id: int, p: Period, group: str, names: dict,
                        slot: Callable, out: dict) -> None:
    """催办 (of a case: its service; of a window: the window and who was at it), 效能告诫
    (against a staff member, or a department) issued in the period, and 首问 inquiries
    logged at the desk (the staff member, the service asked about), per group."""
    tz = ZoneInfo(names["tz"])
    start = datetime.combine(p.start, time(), tz)
    end = datetime.combine(p.end + timedelta(days=1), time(), tz)
    u, k, a = Urging.__table__, Case.__table__, Admonition.__table__
    rows = uow.conn.execute(
        select(k.c.service_id, u.c.counter_id, u.c.staff_id, u.c.acked_at.is_not(None))
        .select_from(u.outerjoin(k, k.c.id == u.c.case_id))
        .where(u.c.hall_id == hall_id, u.c.at >= start, u.c.at < end))
    for svc, counter, staff, answered in rows:
        if (s := slot((svc or 0, counter or 0, staff or 0))) is not None:
            s["urgings"] += 1
            s["urgings_answered"] += bool(answered)
    rows = uow.conn.execute(
        select(a.c.staff_id, a.c.department_id)
        .where(a.c.hall_id == hall_id, a.c.issued_at >= start, a.c.issued_at < end,
               a.c.withdrawn_at.is_(None)))
    for staff, dept in rows:
        if staff is not None:
            target = slot((0, 0, staff))
        elif group in ("department", "hall"):
            target = out.setdefault("all" if group == "hall" else dept, _no_extras())
        else:
            target = None
        if target is not None:
            target["admonitions"] += 1
    q = Inquiry.__table__
    rows = uow.conn.execute(
        select(q.c.service_id, q.c.staff_id, func.count(), func.count(q.c.ticket_id))
        .where(q.c.hall_id == hall_id, q.c.at >= start, q.c.at < end)
        .group_by(q.c.service_id, q.c.staff_id))
    for svc, staff, asked, taken in rows:  # the desk is no window: never in a window's row
        if (s := slot((svc or 0, 0, staff))) is not None:
            s["first_contacts"] += asked
            s["tickets_taken"] += taken


def _rates(s: dict[str, Any]) -> None:
    # 按时办结率: the open cases due in the period and overdue count against it
    counted = s["cases_concluded"] + s["cases_open_overdue"]
    s["on_time_rate"] = None if not counted else round(s["cases_on_time"] / counted, 4)
    s["followup_rate"] = (None if not s["followups_opened"]
                          else round(s["followups_closed"] / s["followups_opened"], 4))
    s["revisit_satisfaction"] = (None if not s["revisits"]
                                 else round(s["revisits_satisfied"] / s["revisits"], 4))


def _sum_extras(rows) -> dict[str, Any]:
    total = _no_extras()
    for r in rows:
        for k in EXTRA_COUNTS:
            total[k] += r[k]
    _rates(total)
    return total


def _times(rows: list[tuple[tuple[int, int], Any]], group: str) -> dict[Any, dict[str, Any]]:
    """Open, idle and pause time per window or staff member (other groupings have none)."""
    if group not in ("counter", "staff"):
        return {}
    out: dict[Any, dict[str, Any]] = {}
    for (counter_id, staff_id), r in rows:
        k = counter_id if group == "counter" else staff_id
        if not k:
            continue
        acc = out.setdefault(k, {"open_s": 0.0, "idle_s": 0.0, "pauses": {}})
        _add_time(acc, r)
    return out


def _add_time(acc: dict[str, Any], r: Any) -> None:
    acc["open_s"] = round(acc["open_s"] + r["open_s"], 3)
    acc["idle_s"] = round(acc["idle_s"] + r["idle_s"], 3)
    for reason, secs in (r["pauses"] or {}).items():
        acc["pauses"][reason] = round(acc["pauses"].get(reason, 0) + secs, 3)


def _sum_times(rows) -> dict[str, Any]:
    acc = {"open_s": 0.0, "idle_s": 0.0, "pauses": {}}
    for r in rows:
        _add_time(acc, r)
    return acc


def day_report(ctx: Context, day: str | None = None, hall_id: int | None = None
               ) -> dict[str, Any]:
    """日考核: one day per service (the CLI's default)."""
    return report(ctx, period="day", on=day, group="service", hall_id=hall_id)
