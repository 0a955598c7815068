"""Reports (日考核/周汇总/月通报): any period, grouped by hall, department, service, window or
staff member, with every measure of DESIGN.md §2.

Closed days come from the day rollups (supervision/rollup.py), built on first use; open
days are summed live from the raw rows with the same code. Cases, follow-ups and counter time
are added per group. Figures are exact: histograms of whole seconds, integer counts.
"""
from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select

from hall.domain import histogram as hist
from hall.domain import rollup
from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.services import repo
from hall.services.context import Context, UnitOfWork, read, run
from hall.services.queue import queries
from hall.services.supervision import rollup as store
from hall.store.models import Case, Counter, Department, FollowUp, Service, Staff, Ticket

# department: the services' (the window's work); staff_department: the unit each staff
# member is seconded from (双重管理)
GROUPS = ("hall", "department", "service", "counter", "staff", "staff_department")
PERIODS = ("day", "week", "month", "range")
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
           hall_id: int | None = None) -> dict[str, Any]:
    if group not in GROUPS:
        raise DomainError("invalid_group", N_("Unknown grouping %(group)s"), "group", group=group)
    hall_id = hall_id or queries.default_hall(ctx)
    hall = read(ctx, lambda uow: repo.hall_row(uow.conn, hall_id))
    tz = ZoneInfo(hall.timezone)
    now = ctx.clock.now()
    first = _date(on, "on") if on else now.astimezone(tz).date()
    p = period_of(period, first, _date(end, "end") if end else None)
    _build_closed_days(ctx, hall, p, tz, now)
    return read(ctx, lambda uow: _assemble(uow, hall, p, group))


def _date(value: str | date, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise DomainError("invalid_date", N_("Not a date (YYYY-MM-DD): %(value)s"), field,
                          value=value) from exc


def _build_closed_days(ctx: Context, hall: Any, p: Period, tz: ZoneInfo, now) -> None:
    """Roll up closed days not built yet, one short transaction per day."""
    built = read(ctx, lambda uow: store.built_days(uow, hall.id, p.start, p.end))
    for day in p.days():
        if day not in built and store.closed(day, tz, now, hall.rating_window_s):
            run(ctx, lambda uow, d=day: store.build_day(uow, hall, d))


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
    extras = _extras(uow, hall.id, p, group, names, key_of)
    times = _times(counter_time, group)
    rows = []
    for k in sorted(set(sums) | set(extras), key=lambda k: (names["sort"].get((group, k), 0), k)):
        fig = rollup.figures(sums.get(k, rollup.Sums()), hall.target_wait_s)
        rows.append({"key": k, "name": names[group].get(k, str(k)), **fig,
                     **extras.get(k, _no_extras()), **times.get(k, {})})
    whole = {"key": "all", "name": hall.name,
             **rollup.figures(total, hall.target_wait_s),
             **_sum_extras(extras.values()), **_sum_times(r for _, r in counter_time)}
    waits_by_second = {minute * hist.BUCKET_S: n for minute, n in total.ints("waits").items()}
    return {
        "hall": hall.name, "hall_id": hall.id, "group": group,
        "period": {"kind": p.kind, "start": p.start.isoformat(), "end": p.end.isoformat(),
                   "label": p.label},
        "target_wait_s": hall.target_wait_s,
        "rows": rows, "total": whole,
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


def _no_extras() -> dict[str, Any]:
    return {"cases_received": 0, "cases_done": 0, "cases_on_time": 0, "on_time_rate": None,
            "followups_opened": 0, "followups_closed": 0, "followup_rate": None}


def _extras(uow: UnitOfWork, hall_id: int, p: Period, group: str, names: dict,
            key_of: Callable) -> dict[Any, dict[str, Any]]:
    """Cases (办件) received and done in the period, and bad-review follow-ups, per group."""
    c, t, f = Case.__table__, Ticket.__table__, FollowUp.__table__
    out: dict[Any, dict[str, Any]] = {}

    def slot(key: tuple) -> dict[str, Any] | None:
        k = key_of(key)
        return None if k is None else out.setdefault(k, _no_extras())

    received = uow.conn.execute(
        select(c.c.service_id, c.c.counter_id, c.c.staff_id, func.count())
        .where(c.c.hall_id == hall_id, c.c.accepted_on >= p.start, c.c.accepted_on <= p.end)
        .group_by(c.c.service_id, c.c.counter_id, c.c.staff_id))
    for svc, counter, staff, n in received:
        if (s := slot((svc, counter or 0, staff or 0))) is not None:
            s["cases_received"] += n
    done = uow.conn.execute(
        select(c.c.service_id, c.c.counter_id, c.c.staff_id, func.count(),
               func.sum(case((c.c.done_on <= c.c.due_date, 1), else_=0)))
        .where(c.c.hall_id == hall_id, c.c.state == "done", c.c.done_on >= p.start,
               c.c.done_on <= p.end)
        .group_by(c.c.service_id, c.c.counter_id, c.c.staff_id))
    for svc, counter, staff, n, on_time in done:
        if (s := slot((svc, counter or 0, staff or 0))) is not None:
            s["cases_done"] += n
            s["cases_on_time"] += int(on_time or 0)
    follow = uow.conn.execute(
        select(t.c.service_id, f.c.counter_id, f.c.staff_id, f.c.state, func.count())
        .join(t, t.c.id == f.c.ticket_id)
        .where(f.c.hall_id == hall_id, t.c.day >= p.start, t.c.day <= p.end)
        .group_by(t.c.service_id, f.c.counter_id, f.c.staff_id, f.c.state))
    for svc, counter, staff, state, n in follow:
        if (s := slot((svc, counter or 0, staff or 0))) is not None:
            s["followups_opened"] += n
            if state == "closed":
                s["followups_closed"] += n
    for s in out.values():
        _rates(s)
    return out


def _rates(s: dict[str, Any]) -> None:
    s["on_time_rate"] = (None if not s["cases_done"]
                         else round(s["cases_on_time"] / s["cases_done"], 4))
    s["followup_rate"] = (None if not s["followups_opened"]
                          else round(s["followups_closed"] / s["followups_opened"], 4))


def _sum_extras(rows) -> dict[str, Any]:
    total = _no_extras()
    for r in rows:
        for k in ("cases_received", "cases_done", "cases_on_time", "followups_opened",
                  "followups_closed"):
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


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.1f}%"


def _min(x: float | None) -> str:
    return "-" if x is None else f"{x / 60:.1f}"


COLUMNS = [  # (heading, key, format) of the text and CSV/XLSX tables
    ("issued", "issued", str), ("called", "called", str), ("served", "served", str),
    ("p50 wait min", "wait_p50_s", _min), ("p90 wait min", "wait_p90_s", _min),
    ("svc lvl", "service_level", _pct), ("no-show", "no_show_rate", _pct),
    ("现场办结", "onsite_completion_rate", _pct), ("按时办结", "on_time_rate", _pct),
    ("满意率", "satisfaction_rate", _pct),
]


def as_text(data: dict[str, Any]) -> str:
    period = data["period"]["label"]
    head = f"{'':<26}" + "".join(f"{h:>13}" for h, _, _ in COLUMNS)
    lines = [f"{data['hall']}  {period}  ({data['group']})", head]
    for row in [*data["rows"], data["total"]]:
        name = str(row["name"])[:24] if row is not data["total"] else "TOTAL"
        lines.append(f"{name:<26}" + "".join(f"{fmt(row[k]):>13}" for _, k, fmt in COLUMNS))
    return "\n".join(lines)
