"""Synthetic history for a seeded hall: a month of tickets, ratings, cases, follow-ups and
counter spells, written in bulk (not through the service layer: a million tickets must load
in seconds). Used by the report tests, ``bench/report.py`` and demos that want charts.

Deterministic for a given seed. Every row obeys the life cycle (called after issued,
started after called …) so the measures see realistic data.
"""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from hall.domain.workdays import WorkCalendar
from hall.store.models import (
    Case,
    Counter,
    CounterInterval,
    CounterService,
    FollowUp,
    Hall,
    Rating,
    Service,
    Staff,
    Ticket,
)

OUTCOMES = ["done"] * 60 + ["accepted"] * 20 + ["correction"] * 8 + ["refused"] * 4 + \
    ["inquiry"] * 8
LEVELS = [5] * 70 + [4] * 18 + [3] * 7 + [2] * 3 + [1] * 2
CHUNK = 5000


def generate(engine, *, first: date, days: int, per_day: int, seed: int = 1,
             hall_code: str | None = None) -> dict[str, int]:
    """Fill ``days`` working days from ``first`` with ``per_day`` tickets each."""
    rng = random.Random(seed)
    with engine.begin() as conn:
        hall = conn.execute(select(Hall.__table__).where(
            Hall.code == hall_code) if hall_code else select(Hall.__table__)).first()
        tz = ZoneInfo(hall.timezone)
        # a chain (多窗联办) is visited at its steps' services, never as itself
        services = [(r.id, r.prefix) for r in conn.execute(
            select(Service.id, Service.prefix, Service.chain).where(
                Service.hall_id == hall.id)) if not r.chain]
        counters = conn.execute(select(Counter.id).where(Counter.hall_id == hall.id)
                                ).scalars().all()
        serving = {}
        for cid, sid in conn.execute(select(CounterService.counter_id,
                                            CounterService.service_id)):
            serving.setdefault(sid, []).append(cid)
        staff = conn.execute(select(Staff.id).where(Staff.hall_id == hall.id)).scalars().all()
        counter_staff = {c: staff[i % len(staff)] if staff else None
                         for i, c in enumerate(counters)}
        start_id = (conn.execute(select(Ticket.id).order_by(Ticket.id.desc()).limit(1))
                    .scalar() or 0) + 1
        cal = WorkCalendar()
        totals = {"tickets": 0, "ratings": 0, "cases": 0, "followups": 0}
        day, made_days, next_id = first, 0, start_id
        while made_days < days:
            if cal.is_workday(day):
                next_id = _day(conn, rng, hall, tz, day, per_day, services, serving,
                               counter_staff, next_id, totals)
                made_days += 1
            day += timedelta(days=1)
    return totals


def _day(conn, rng, hall, tz, day, per_day, services, serving, counter_staff, next_id,
         totals) -> int:
    open_at = datetime(day.year, day.month, day.day, 9, tzinfo=tz)
    tickets: list[dict[str, Any]] = []
    ratings, cases, followups = [], [], []
    numbers: dict[str, int] = {}
    for i in range(per_day):
        sid, prefix = services[rng.randrange(len(services))]
        numbers[prefix] = numbers.get(prefix, 0) + 1
        issued = open_at + timedelta(seconds=rng.uniform(0, 8 * 3600))
        tid = next_id + i
        t = dict(id=tid, hall_id=hall.id, service_id=sid, day=day, prefix=prefix,
                 seq_no=numbers[prefix], number=f"{prefix}{numbers[prefix]:03d}",
                 token=f"h{tid:x}{rng.getrandbits(32):08x}", kind="normal",
                 priority_reason=None, appointment_at=None, state="waiting",
                 issued_at=issued, queued_at=issued, called_at=None, started_at=None,
                 finished_at=None, released_at=None, counter_id=None, staff_id=None,
                 target_counter_id=None, parent_id=None, issued_by="device:kiosk:1",
                 call_reason=None, recalls=0, outcome=None, outcome_note=None, fee_cents=0,
                 person_hash=None)
        roll = rng.random()
        if roll < 0.03:
            t["state"] = "cancelled"
        elif roll > 0.005:  # a few are still waiting at the end of the day
            cid = rng.choice(serving.get(sid) or list(counter_staff))
            t.update(counter_id=cid, staff_id=counter_staff[cid],
                     called_at=issued + timedelta(seconds=rng.expovariate(1 / 600)),
                     recalls=rng.choice([0] * 9 + [1]))
            if roll < 0.08:
                t.update(state="no_show", released_at=t["called_at"] + timedelta(minutes=3))
            elif roll < 0.10:
                t.update(state="transferred", released_at=t["called_at"] + timedelta(minutes=2))
            else:
                t["started_at"] = t["called_at"] + timedelta(seconds=rng.uniform(10, 120))
                t["finished_at"] = t["started_at"] + timedelta(seconds=rng.uniform(60, 1500))
                t["outcome"] = rng.choice(OUTCOMES)
                t["fee_cents"] = rng.choice([0, 0, 0, 1000, 2500])
                t["state"] = "done"
                if rng.random() < 0.6:
                    level = rng.choice(LEVELS)
                    t["state"] = "rated"
                    ratings.append(dict(ticket_id=tid, hall_id=hall.id, counter_id=cid,
                                        staff_id=t["staff_id"], level=level,
                                        reason="等候时间长" if level <= 2 else None,
                                        comment=None,
                                        at=t["finished_at"] + timedelta(seconds=30)))
                    if level <= 2:
                        closed = rng.random() < 0.7
                        followups.append(dict(
                            hall_id=hall.id, ticket_id=tid, counter_id=cid,
                            staff_id=t["staff_id"], level=level, reason="等候时间长",
                            owner_id=None, opened_at=t["finished_at"],
                            due_date=day + timedelta(days=3),
                            state="closed" if closed else "open", actions=None,
                            result="已整改" if closed else None,
                            closed_at=t["finished_at"] + timedelta(days=1) if closed else None,
                            closed_by=None))
                if t["outcome"] == "accepted":
                    due = day + timedelta(days=7)
                    done_on = day + timedelta(days=rng.choice([2, 5, 7, 9]))
                    finished = rng.random() < 0.8
                    cases.append(dict(
                        hall_id=hall.id, number=f"{day:%Y%m%d}-{tid}", ticket_id=tid,
                        service_id=sid, counter_id=cid, staff_id=t["staff_id"],
                        applicant_masked="张*", accepted_at=t["finished_at"],
                        accepted_on=day, due_date=due, warning_date=due - timedelta(days=2),
                        state="done" if finished else "accepted",
                        done_at=None, done_on=done_on if finished else None))
        tickets.append(t)
    for table, rows in ((Ticket, tickets), (Rating, ratings), (Case, cases),
                        (FollowUp, followups)):
        for k in range(0, len(rows), CHUNK):
            conn.execute(insert(table), rows[k:k + CHUNK])
    conn.execute(insert(CounterInterval), [
        dict(counter_id=c, staff_id=s, state=state, reason=reason,
             start=open_at + timedelta(hours=a), end=open_at + timedelta(hours=b))
        for c, s in counter_staff.items()
        for state, reason, a, b in (("open", None, 0, 3), ("paused", "午休", 3, 4.5),
                                    ("open", None, 4.5, 8))])
    totals["tickets"] += len(tickets)
    totals["ratings"] += len(ratings)
    totals["cases"] += len(cases)
    totals["followups"] += len(followups)
    return next_id + per_day
