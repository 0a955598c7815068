"""SQLAlchemy 2.x typed models. The schema itself is created by Alembic migrations only.

Index notes (why call-next and numbering are O(log n) in the number of tickets):
- ``ix_tickets_queue (service_id, state, kind, queued_at, id)``: each queue head is one
  index seek, however many tickets the day or the year holds;
- ``number_counters`` / ``service_days``: one row per (hall, prefix, day) and (service, day),
  updated in place (UPSERT … RETURNING), never ``max(number)+1``;
- ``events (hall_id, seq)`` primary key: resync reads ``seq > N`` by range scan.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    literal_column,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hall.domain import regionfold as region_counts
from hall.domain.cases import new_lookup_code
from hall.store.types import UTCDateTime

# BigInteger ids that are still SQLite rowids (SQLite only aliases "INTEGER PRIMARY KEY").
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Hall(Base):
    __tablename__ = "halls"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    target_wait_s: Mapped[int] = mapped_column(default=900)
    priority_ratio: Mapped[int] = mapped_column(default=2)
    max_wait_s: Mapped[int] = mapped_column(default=2700)
    rating_window_s: Mapped[int] = mapped_column(default=600)
    recall_limit: Mapped[int] = mapped_column(default=3)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)  # pause/priority reasons …
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class Department(Base):
    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("hall_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    sort: Mapped[int] = mapped_column(default=0)


class Service(Base):
    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("hall_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    prefix: Mapped[str] = mapped_column(String(4))
    kind: Mapped[str] = mapped_column(String(16), default="instant")
    legal_days: Mapped[int] = mapped_column(default=0)
    promised_days: Mapped[int] = mapped_column(default=0)
    expected_visit_s: Mapped[int] = mapped_column(default=600)
    time_limit_s: Mapped[int] = mapped_column(default=1200)
    warning_s: Mapped[int] = mapped_column(default=900)
    # 警戒时限 of its cases: amber this many working days before the due day
    warning_days: Mapped[int] = mapped_column(default=1, server_default="1")
    # 绿色通道: the shortened 承诺时限 (working days) of a case registered as fast-track;
    # None = the service has no fast track
    fast_track_days: Mapped[int | None] = mapped_column(default=None)
    daily_quota: Mapped[int | None] = mapped_column(default=None)
    per_person_limit: Mapped[int | None] = mapped_column(default=None)
    hours: Mapped[list[Any]] = mapped_column(default=list)
    guide: Mapped[dict[str, Any]] = mapped_column(default=dict)  # materials, basis, fee, steps
    # appointments (预约): {"slot_minutes": 30, "capacity": 4, "days_ahead": 7}; {} = none
    booking: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # 多窗联办: the codes of the services this one chains, in order ([] = a plain service)
    chain: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort: Mapped[int] = mapped_column(default=0)


class Staff(Base):
    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    number: Mapped[str] = mapped_column(String(32), default="")
    role: Mapped[str] = mapped_column(String(16), default="staff")
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    # bumped by a password reset, role change, deactivation or "sign out everywhere": a
    # session cookie carries the version it was issued under and dies when they differ
    auth_version: Mapped[int] = mapped_column(default=1)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    # set with a one-time password (an admin's create or reset, `hall user add`, the first
    # run's admin): until the person chooses their own, their session may do nothing else
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # the unit the person is seconded from (派驻单位, 双重管理): reports group by it as well
    # as by the window's services' departments (a department of the same hall; no FK so the
    # column was added without copying the table)
    department_id: Mapped[int | None] = mapped_column(default=None)
    # the 值班牌 photo: a random file name under INSTANCE/photos (hall/services/staff/photos.py)
    photo: Mapped[str | None] = mapped_column(String(64), default=None)


class Counter(Base):
    __tablename__ = "counters"
    __table_args__ = (UniqueConstraint("hall_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    number: Mapped[int]
    name: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16), default="closed")
    pause_reason: Mapped[str | None] = mapped_column(String(100), default=None)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    current_ticket_id: Mapped[int | None] = mapped_column(BigId, default=None)
    priority_streak: Mapped[int] = mapped_column(default=0)
    led_address: Mapped[int | None] = mapped_column(default=None)
    state_since: Mapped[datetime | None] = mapped_column(default=None)
    # a window taken out of the layout keeps its row (tickets and reports point at it)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # the staff session signed in at the window (its random id, never the cookie) and when
    # that session was last used, at most a minute stale: sessions are signed cookies, so
    # this is how the watch knows a window's staff session has idled out (counters/signout.py)
    staff_session: Mapped[str | None] = mapped_column(String(64), default=None)
    staff_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    # the hall's auto-dispatch may call the next visitor here (staff turn it off per window)
    auto_dispatch: Mapped[bool] = mapped_column(Boolean, default=True,
                                                server_default=true())


class RotaEntry(Base):
    """排班: one post (A holds the window, B covers it: AB岗) of a window on a day's shift
    (shift codes are the hall's, ``halls.settings["shifts"]``)."""

    __tablename__ = "rota"
    __table_args__ = (UniqueConstraint("counter_id", "day", "shift", "post", name="uq_rota_post"),
                      Index("ix_rota_hall_day", "hall_id", "day"),
                      Index("ix_rota_staff_day", "staff_id", "day"))
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int]
    counter_id: Mapped[int]
    day: Mapped[date] = mapped_column(Date)
    shift: Mapped[str] = mapped_column(String(16))
    post: Mapped[str] = mapped_column(String(1))
    staff_id: Mapped[int]


class Leave(Base):
    """请销假: a staff member's request for leave, approved or refused by a supervisor, and
    ended by 销假 (``returned_at``). Approved leave excuses absence and hands the person's
    A posts to the window's B post."""

    __tablename__ = "leaves"
    __table_args__ = (Index("ix_leaves_staff", "staff_id", "state", "start_at"),
                      Index("ix_leaves_hall_state", "hall_id", "state", "start_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int]
    staff_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))  # hall/domain/duty.LEAVE_KINDS
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))  # pending|approved|refused|returned|cancelled
    requested_at: Mapped[datetime]
    decided_by: Mapped[int | None] = mapped_column(default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    returned_at: Mapped[datetime | None] = mapped_column(default=None)


class CounterService(Base):
    __tablename__ = "counter_services"
    counter_id: Mapped[int] = mapped_column(ForeignKey("counters.id"), primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), primary_key=True)
    weight: Mapped[int] = mapped_column(default=1)


class CounterInterval(Base):
    """Open/paused spells of a counter, for idle and pause-time measures."""

    __tablename__ = "counter_intervals"
    __table_args__ = (Index("ix_counter_intervals_counter_start", "counter_id", "start"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    counter_id: Mapped[int] = mapped_column(ForeignKey("counters.id"))
    staff_id: Mapped[int | None] = mapped_column(default=None)
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(100), default=None)
    start: Mapped[datetime]
    end: Mapped[datetime | None] = mapped_column(default=None)


class Device(Base):
    __tablename__ = "devices"
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"), default=None)
    url: Mapped[str | None] = mapped_column(String(300), default=None)
    last_seen: Mapped[datetime | None] = mapped_column(default=None)
    health: Mapped[dict[str, Any]] = mapped_column(default=dict)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (Index("ix_appointments_service_slot", "service_id", "slot_start"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    code: Mapped[str] = mapped_column(String(16), unique=True)
    slot_start: Mapped[datetime]
    slot_end: Mapped[datetime]
    phone_masked: Mapped[str] = mapped_column(String(16), default="")
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    person_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    # the number for near-turn messages, asked for on /book: kept only until check-in (the
    # ticket's notify subscription takes it over) or cancellation
    notify_phone: Mapped[str | None] = mapped_column(String(16), default=None)
    # the name given on /book, masked (张*女士): its check-in's ticket carries it, for the
    # hall that calls by name (issue 21)
    holder_masked: Mapped[str | None] = mapped_column(String(20), default=None)
    state: Mapped[str] = mapped_column(String(16), default="booked")  # booked|checked_in|cancelled
    ticket_id: Mapped[int | None] = mapped_column(BigId, default=None)
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)


class SlotBooking(Base):
    """Booked count per (service, slot): capacity is checked and taken in one UPSERT."""

    __tablename__ = "slot_bookings"
    service_id: Mapped[int] = mapped_column(primary_key=True)
    slot_start: Mapped[datetime] = mapped_column(primary_key=True)
    booked: Mapped[int] = mapped_column(default=0)


class PersonDay(Base):
    """Tickets a person (keyed hash of the ID number, never the number) took per service/day."""

    __tablename__ = "person_days"
    person_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    issued: Mapped[int] = mapped_column(default=0)


class PrintJob(Base):
    """A ticket (or its visit's paper) sent to a printer: printed, failed (with the reason) or
    waiting for an agent.
    A failed job never loses its ticket; staff reprint it (a new job for the same ticket)."""

    __tablename__ = "print_jobs"
    __table_args__ = (Index("ix_print_jobs_device_state", "device_id", "state"),
                      Index("ix_print_jobs_ticket", "ticket_id"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    ticket_id: Mapped[int] = mapped_column(BigId)
    device_id: Mapped[int | None] = mapped_column(default=None)  # the printer (or kiosk) device
    # None: the queue ticket itself; else the paper its visit produced (acceptance, refusal,
    # correction: hall/domain/outcomes.DOCUMENTS), printed at the window
    document: Mapped[str | None] = mapped_column(String(16), default=None)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending|printed|failed
    # printed, status unknown: sent whole, but the printer did not answer after it; flagged
    # for staff (an alert) and never printed again by itself
    unconfirmed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(String(200), default=None)
    requested_by: Mapped[str | None] = mapped_column(String(60), default=None)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None] = mapped_column(default=None)


def _where(condition: str) -> dict[str, Any]:
    """A partial index's condition, on both databases."""
    return {"sqlite_where": text(condition), "postgresql_where": text(condition)}


def _not_null(column: str) -> dict[str, Any]:
    """A partial index of only the rows where ``column`` is set."""
    return _where(f"{column} IS NOT NULL")


def kind_is(column, kind: str):
    """``column = '<kind>'`` with the kind as an SQL constant, never a bound parameter (see
    ix_tickets_appointments)."""
    if kind not in ("normal", "priority", "appointment"):
        raise ValueError(f"not a ticket kind: {kind!r}")
    return column == literal_column(f"'{kind}'")


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        # a chain ticket's steps share its number, one row per step (多窗联办)
        UniqueConstraint("hall_id", "prefix", "day", "seq_no", "step", name="uq_tickets_number"),
        Index("ix_tickets_queue", "service_id", "state", "kind", "queued_at", "id"),
        # call-next's appointment heads, in slot order (repo.queue_heads): partial, so the
        # walk-ins (nearly every ticket) never write into it (migration 0095). Every
        # statement on tickets names its kind as an SQL constant (``kind_is``): SQLite
        # re-prepares a statement binding ``kind = ?`` on each run to test the value against
        # a partial index on kind (measured before: the call-next union 0.09 → 0.45 ms).
        Index("ix_tickets_appointments", "kind", "service_id", "state", "appointment_at", "id",
              **_where("kind = 'appointment'")),
        # partial (migration 0066): most tickets leave these columns empty, and every query
        # using them compares the column with a value
        Index("ix_tickets_directed", "target_counter_id", "state", "queued_at",
              **_not_null("target_counter_id")),
        Index("ix_tickets_hall_day", "hall_id", "day"),
        # a service's recent service times (the estimates): finished tickets only, so that
        # issuing writes nothing into it (migration 0097)
        Index("ix_tickets_service_day", "service_id", "day", "finished_at",
              **_not_null("finished_at")),
        Index("ix_tickets_counter_state", "counter_id", "state", **_not_null("counter_id")),
        # call by number of a carried ticket
        Index("ix_tickets_carried", "carried_to", **_not_null("carried_to")),
        Index("ix_tickets_chain_day", "chain_id", "day", **_not_null("chain_id")),  # chains
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    day: Mapped[date] = mapped_column(Date)
    prefix: Mapped[str] = mapped_column(String(4))
    seq_no: Mapped[int]
    number: Mapped[str] = mapped_column(String(12))
    token: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="normal")
    priority_reason: Mapped[str | None] = mapped_column(String(50), default=None)
    appointment_at: Mapped[datetime | None] = mapped_column(default=None)
    state: Mapped[str] = mapped_column(String(16), default="waiting")
    issued_at: Mapped[datetime]
    queued_at: Mapped[datetime]  # queue order: issue time, or re-entry time after reinstate
    called_at: Mapped[datetime | None] = mapped_column(default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    # when a counter let go without finishing (skip, hold, transfer): ends its busy time
    released_at: Mapped[datetime | None] = mapped_column(default=None)
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"), default=None)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    target_counter_id: Mapped[int | None] = mapped_column(default=None)
    parent_id: Mapped[int | None] = mapped_column(BigId, default=None)
    issued_by: Mapped[str | None] = mapped_column(String(40), default=None)
    call_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    # the same reason as data (hall/domain/callnext.REASONS), for reading in any language
    call_reason_code: Mapped[str | None] = mapped_column(String(16), default=None)
    call_reason_params: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    recalls: Mapped[int] = mapped_column(default=0)
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)
    outcome_note: Mapped[str | None] = mapped_column(Text, default=None)
    fee_cents: Mapped[int] = mapped_column(default=0)
    person_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    # 首问负责: the staff member the visitor asked first, who took this ticket for them
    first_staff_id: Mapped[int | None] = mapped_column(default=None)
    # the holder's name masked (张*), from the ID card swiped at the kiosk or the
    # appointment; shown next to the number when the hall calls by name (issue 21)
    holder_masked: Mapped[str | None] = mapped_column(String(20), default=None)
    # the overnight queue carried this waiting ticket to that service day (number and
    # place kept; ``day`` stays the day it was issued)
    carried_to: Mapped[date | None] = mapped_column(Date, default=None)
    # 多窗联办: the chain service this ticket was taken for (None: a plain ticket) and which
    # of its steps this row is the visit of; every step is a row with the same number
    chain_id: Mapped[int | None] = mapped_column(default=None)
    step: Mapped[int] = mapped_column(SmallInteger, server_default="1")  # none in Python:
    # the prepared insert (store/hot.py) leaves it to the database


class Inquiry(Base):
    """首问: one inquiry at the 咨询/导办 desk — who was asked first, the question (and its
    service), the answer or referral, the window handed to, the ticket taken for the visitor."""

    __tablename__ = "inquiries"
    __table_args__ = (Index("ix_inquiries_hall_at", "hall_id", "at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    hall_id: Mapped[int]
    staff_id: Mapped[int]
    at: Mapped[datetime]
    service_id: Mapped[int | None] = mapped_column(default=None)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    counter_id: Mapped[int | None] = mapped_column(default=None)
    ticket_id: Mapped[int | None] = mapped_column(BigId, default=None)


class TicketHistory(Base):
    """Append-only: every transition with its time and who did it."""

    __tablename__ = "ticket_history"
    __table_args__ = (Index("ix_ticket_history_ticket", "ticket_id", "id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(BigId)
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    counter_id: Mapped[int | None] = mapped_column(default=None)
    actor: Mapped[str | None] = mapped_column(String(60), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)


class NumberCounter(Base):
    __tablename__ = "number_counters"
    hall_id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class ServiceDay(Base):
    __tablename__ = "service_days"
    service_id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    issued: Mapped[int] = mapped_column(default=0)


class WaitingCount(Base):
    """How many tickets of a service and kind are ``waiting`` now, whatever their day.

    Kept by the database itself: triggers on ``tickets`` (migration 0007) add or take one
    in the same statement as every insert, update of state/kind/service and delete, so no
    code path, bulk load or hand-made fix can make it drift from a real COUNT. Issuing and
    calling read it instead of counting the line (hall/services/queue/standing.py). A
    migration that rebuilds ``tickets`` on SQLite (batch "move and copy") drops its
    triggers and must create them again; tests/integration/test_queue_counts.py notices.
    """

    __tablename__ = "waiting_counts"
    service_id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    waiting: Mapped[int] = mapped_column(default=0)


class Event(Base):
    __tablename__ = "events"
    hall_id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime]
    type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]]


class CaseClockColumns:
    """The life cycle and clock of a case, and of each part of a case in parts
    (hall/domain/cases.py): due_date = accepted_on + promised + extension_days +
    suspended_days working days; while suspended, suspended_on is set."""

    accepted_on: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    warning_date: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default="accepted")
    done_at: Mapped[datetime | None] = mapped_column(default=None)
    done_on: Mapped[date | None] = mapped_column(Date, default=None)
    extension_days: Mapped[int] = mapped_column(default=0, server_default="0")
    extension_reason: Mapped[str | None] = mapped_column(Text, default=None)
    extended_by: Mapped[int | None] = mapped_column(default=None)  # the approving supervisor
    extended_at: Mapped[datetime | None] = mapped_column(default=None)
    suspended_days: Mapped[int] = mapped_column(default=0, server_default="0")
    suspended_on: Mapped[date | None] = mapped_column(Date, default=None)
    suspended_at: Mapped[datetime | None] = mapped_column(default=None)
    suspend_reason: Mapped[str | None] = mapped_column(String(16), default=None)


class Case(CaseClockColumns, Base):
    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_hall_state_due", "hall_id", "state", "due_date"),
                      # reports count cases received and done in a period
                      Index("ix_cases_hall_accepted", "hall_id", "accepted_on"),
                      Index("ix_cases_hall_done", "hall_id", "done_on"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    number: Mapped[str] = mapped_column(String(40), unique=True)
    ticket_id: Mapped[int] = mapped_column(BigId)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    counter_id: Mapped[int | None] = mapped_column(default=None)
    staff_id: Mapped[int | None] = mapped_column(default=None)
    applicant_masked: Mapped[str] = mapped_column(String(60), default="")
    # 查询码: with the number, what the public look-up asks for (printed on the 受理回执)
    lookup_code: Mapped[str] = mapped_column(String(8), default=new_lookup_code,
                                             server_default="")
    accepted_at: Mapped[datetime]
    # the 承诺时限 the case was accepted with (a fast-track case's is shortened); None for
    # cases from before it was kept: the service's own
    promised_days: Mapped[int | None] = mapped_column(default=None)
    fast_track: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class CasePart(CaseClockColumns, Base):
    """并联审批: one department's part of a case (hall/domain/parallel.py), with its own
    promise, state and clock (the same columns as the case's own). The case's due date,
    warning date and state are derived from its parts whenever one of them moves."""

    __tablename__ = "case_parts"
    __table_args__ = (UniqueConstraint("case_id", "seq"),
                      UniqueConstraint("case_id", "department_id"),
                      # department reports count the parts of the cases in a period
                      Index("ix_case_parts_hall_department", "hall_id", "department_id"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"))
    seq: Mapped[int]  # 1, 2, … in the order the parts were given: the part's number
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    staff_id: Mapped[int | None] = mapped_column(default=None)  # who handles it (承办人)
    promised_days: Mapped[int]


class CaseClock(Base):
    """Append-only: each extension, suspension and resumption of a case, and the due day
    before and after it."""

    __tablename__ = "case_clock"
    __table_args__ = (Index("ix_case_clock_case", "case_id", "id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(BigId)
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(16))  # extend | suspend | resume
    days: Mapped[int] = mapped_column(default=0)  # working days added to the due day
    reason: Mapped[str | None] = mapped_column(String(16), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    actor_id: Mapped[int | None] = mapped_column(default=None)
    due_before: Mapped[date] = mapped_column(Date)
    due_after: Mapped[date] = mapped_column(Date)
    part_id: Mapped[int | None] = mapped_column(BigId, default=None)  # a part's clock moved


class Urging(Base):
    """催办: a supervisor urges a window (about one of its cases, or its work); it stays on
    that window's terminal until acknowledged, and is kept with the answer and the times."""

    __tablename__ = "urgings"
    __table_args__ = (Index("ix_urgings_counter_open", "counter_id", "acked_at"),
                      Index("ix_urgings_hall_at", "hall_id", "at"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    counter_id: Mapped[int]
    case_id: Mapped[int | None] = mapped_column(BigId, default=None)
    staff_id: Mapped[int | None] = mapped_column(default=None)  # at the window when urged
    note: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int]
    at: Mapped[datetime]
    acked_at: Mapped[datetime | None] = mapped_column(default=None)
    acked_by: Mapped[int | None] = mapped_column(default=None)
    answer: Mapped[str | None] = mapped_column(Text, default=None)


class Admonition(Base):
    """效能告诫 against a staff member or a department: never deleted; withdrawn with a
    reason; the person acknowledges it on their terminal."""

    __tablename__ = "admonitions"
    __table_args__ = (Index("ix_admonitions_hall_at", "hall_id", "issued_at"),
                      Index("ix_admonitions_staff", "staff_id", "acked_at"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    level: Mapped[str] = mapped_column(String(16))  # reminder | admonition | criticism
    staff_id: Mapped[int | None] = mapped_column(default=None)
    department_id: Mapped[int | None] = mapped_column(default=None)
    reason: Mapped[str] = mapped_column(Text)
    evidence_kind: Mapped[str | None] = mapped_column(String(16), default=None)
    evidence_ref: Mapped[str | None] = mapped_column(String(64), default=None)
    issued_by: Mapped[int]
    issued_at: Mapped[datetime]
    acked_at: Mapped[datetime | None] = mapped_column(default=None)
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)
    withdrawn_by: Mapped[int | None] = mapped_column(default=None)
    withdraw_reason: Mapped[str | None] = mapped_column(Text, default=None)


class ScoreScheme(Base):
    """A version of the hall's 日考核 points scheme (hall/domain/assessment.py), in force from
    ``valid_from`` until the next version's: past days keep the version they were scored by."""

    __tablename__ = "score_schemes"
    __table_args__ = (UniqueConstraint("hall_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    version: Mapped[int]
    valid_from: Mapped[date] = mapped_column(Date)
    rules: Mapped[dict[str, Any]]
    created_by: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime]


class Rating(Base):
    __tablename__ = "ratings"
    ticket_id: Mapped[int] = mapped_column(BigId, primary_key=True)  # one rating per ticket
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    counter_id: Mapped[int | None]
    staff_id: Mapped[int | None]
    level: Mapped[int]
    reason: Mapped[str | None] = mapped_column(String(100), default=None)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    at: Mapped[datetime]
    channel: Mapped[str | None] = mapped_column(String(16), default=None)  # pad|keypad|phone
    dimensions: Mapped[dict[str, Any] | None] = mapped_column(default=None)  # 礼仪: 5 …


class CaseRating(Base):
    """A 承诺件 rated again at 办结 (一事多评): the visit's own rating is its 受理 stage."""

    __tablename__ = "case_ratings"
    case_id: Mapped[int] = mapped_column(BigId, primary_key=True)  # one per case
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    level: Mapped[int]
    reason: Mapped[str | None] = mapped_column(String(100), default=None)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    dimensions: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    channel: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]


class FollowUp(Base):
    """差评整改: opened by a rating of 1–2, owned, due in working days, closed by a supervisor."""

    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_hall_state_due", "hall_id", "state", "due_date"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    ticket_id: Mapped[int] = mapped_column(BigId, unique=True)
    counter_id: Mapped[int | None] = mapped_column(default=None)
    staff_id: Mapped[int | None] = mapped_column(default=None)  # who was rated
    level: Mapped[int]
    reason: Mapped[str | None] = mapped_column(String(100), default=None)
    owner_id: Mapped[int | None] = mapped_column(default=None)  # who must act
    opened_at: Mapped[datetime]
    due_date: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default="open")  # open|assigned|closed
    actions: Mapped[str | None] = mapped_column(Text, default=None)
    result: Mapped[str | None] = mapped_column(Text, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_by: Mapped[int | None] = mapped_column(default=None)
    # 回访: the visitor told what was done, and their answer (satisfied | unsatisfied |
    # unreachable); a follow-up closes only once it has one
    revisit_answer: Mapped[str | None] = mapped_column(String(16), default=None)
    revisit_note: Mapped[str | None] = mapped_column(Text, default=None)
    revisit_at: Mapped[datetime | None] = mapped_column(default=None)
    revisit_by: Mapped[int | None] = mapped_column(default=None)


class Alert(Base):
    """电子监察 alerts. ``key`` names the condition (e.g. ``visit_over:123``) so a rule raises
    it once and clears it when the condition ends; open alerts have ``cleared_at`` NULL."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_hall_open", "hall_id", "cleared_at", "raised_at"),
                      Index("ix_alerts_key", "hall_id", "key"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16), default="warning")  # warning|critical
    counter_id: Mapped[int | None] = mapped_column(default=None)
    ticket_id: Mapped[int | None] = mapped_column(BigId, default=None)
    device_id: Mapped[int | None] = mapped_column(default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    raised_at: Mapped[datetime]
    cleared_at: Mapped[datetime | None] = mapped_column(default=None)
    acked_at: Mapped[datetime | None] = mapped_column(default=None)
    acked_by: Mapped[int | None] = mapped_column(default=None)
    ack_note: Mapped[str | None] = mapped_column(Text, default=None)


class ReportDay(Base):
    """A hall's day whose rows in day_stats/counter_days are built (days with no tickets too)."""

    __tablename__ = "report_days"
    hall_id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    built_at: Mapped[datetime]


class DayStat(Base):
    """A closed day's tickets summed per (service, counter, staff): reports add these rows up
    instead of re-reading a month of tickets. Distributions are exact two-level histograms of
    whole seconds (hall.domain.histogram); 0 stands for "no counter" / "no staff"."""

    __tablename__ = "day_stats"
    hall_id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    service_id: Mapped[int] = mapped_column(primary_key=True)
    counter_id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(primary_key=True)
    issued: Mapped[int] = mapped_column(default=0)
    called: Mapped[int] = mapped_column(default=0)
    within_target: Mapped[int] = mapped_column(default=0)
    no_show: Mapped[int] = mapped_column(default=0)
    cancelled: Mapped[int] = mapped_column(default=0)
    recalls: Mapped[int] = mapped_column(default=0)
    transfers: Mapped[int] = mapped_column(default=0)
    fees_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    wait_s_total: Mapped[int] = mapped_column(BigInteger, default=0)
    service_s_total: Mapped[int] = mapped_column(BigInteger, default=0)
    outcomes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # counts per minute; the seconds inside each minute are rows of day_fine, so a report
    # folds the minutes of every row and reads only the minutes its percentiles fall in
    waits: Mapped[dict[str, Any]] = mapped_column(default=dict)
    services: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ratings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    issued_by_hour: Mapped[dict[str, Any]] = mapped_column(default=dict)
    served_by_hour: Mapped[dict[str, Any]] = mapped_column(default=dict)


# The seconds inside one minute of a day_stats row's wait or service histogram, as sixty
# integer counters (s0 … s59): a report sums just the minutes its percentiles fall in with
# plain integer SUMs, no JSON to parse. One row per (day row, measure, minute) that has any.
DayFine = Table(
    "day_fine", Base.metadata,
    Column("hall_id", Integer, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("service_id", Integer, primary_key=True),
    Column("counter_id", Integer, primary_key=True),
    Column("staff_id", Integer, primary_key=True),
    Column("measure", String(16), primary_key=True),  # waits | services
    Column("minute", Integer, primary_key=True),
    *[Column(f"s{i}", Integer, nullable=False, default=0) for i in range(60)],
    Index("ix_day_fine_minute", "hall_id", "measure", "minute", "day"),
)


class CounterDay(Base):
    """A closed day's counter time per (counter, staff): open, idle and pause by reason."""

    __tablename__ = "counter_days"
    hall_id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    counter_id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(primary_key=True)
    open_s: Mapped[float] = mapped_column(default=0)
    idle_s: Mapped[float] = mapped_column(default=0)
    pauses: Mapped[dict[str, Any]] = mapped_column(default=dict)


class AuditEntry(Base):
    """Who changed what in the configuration, when, and the row before and after (issue 9).
    Written in the same transaction as the change, so no change goes unrecorded."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_hall_at", "hall_id", "at"),
                      Index("ix_audit_entity", "hall_id", "entity", "entity_id"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    hall_id: Mapped[int | None] = mapped_column(default=None)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(60))  # Actor.audit(): staff:admin:3, system …
    actor_name: Mapped[str] = mapped_column(String(100), default="")
    action: Mapped[str] = mapped_column(String(32))  # create|update|delete|import|login …
    entity: Mapped[str] = mapped_column(String(32))  # service|counter|staff|device|hall …
    entity_id: Mapped[str | None] = mapped_column(String(64), default=None)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    ip: Mapped[str | None] = mapped_column(String(64), default=None)


class SignInFailure(Base):
    """Wrong passwords in a row for one login name from one address (whether or not the
    account exists): they lock that pair only, with backoff, never the account for all."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_last_at", "last_at"),)
    login: Mapped[str] = mapped_column(String(64), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    last_at: Mapped[datetime]


class Pairing(Base):
    """A device asking to join the hall: it shows ``code`` on its screen, an admin approves
    it (creating the device), and the device claims its token once with ``claim_hash``'s
    secret. Codes are short, so requests expire within minutes and are rate-limited."""

    __tablename__ = "pairings"
    __table_args__ = (Index("ix_pairings_code", "code", "state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8))
    claim_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # what the device says it is
    name: Mapped[str] = mapped_column(String(100), default="")
    info: Mapped[dict[str, Any]] = mapped_column(default=dict)  # user agent, address, screen
    # pending | approved | rejected | claimed
    state: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    hall_id: Mapped[int | None] = mapped_column(default=None)
    device_id: Mapped[int | None] = mapped_column(default=None)
    decided_by: Mapped[int | None] = mapped_column(default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    address: Mapped[str | None] = mapped_column(String(64), default=None)  # who asked


class Complaint(Base):
    """投诉建议 (issue 19): from a ticket's or case's phone page, the kiosk, or entered by
    staff (a phone call, the 意见簿, a 12345 work order); handled by a supervisor within
    working days, replied to, answered by the complainant, reopened once if not satisfied.

    The phone is kept masked plus a keyed hash; ``reply_phone`` holds the number only while
    the complaint is open, so the reply can be sent, and is erased when it is closed."""

    __tablename__ = "complaints"
    __table_args__ = (Index("ix_complaints_hall_state_due", "hall_id", "state", "due_date"),
                      Index("ix_complaints_ticket", "ticket_id"),
                      Index("ix_complaints_case", "case_id"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    number: Mapped[str] = mapped_column(String(24), unique=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)  # the complainant's page
    source: Mapped[str] = mapped_column(String(16))  # hall/domain/complaints.SOURCES
    work_order: Mapped[str | None] = mapped_column(String(40), default=None)  # 12345
    category: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(BigId, default=None)
    case_id: Mapped[int | None] = mapped_column(BigId, default=None)
    counter_id: Mapped[int | None] = mapped_column(default=None)
    staff_id: Mapped[int | None] = mapped_column(default=None)
    department_id: Mapped[int | None] = mapped_column(default=None)
    service_id: Mapped[int | None] = mapped_column(default=None)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    phone_masked: Mapped[str] = mapped_column(String(16), default="")
    phone_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    reply_phone: Mapped[str | None] = mapped_column(String(16), default=None)
    entered_by: Mapped[int | None] = mapped_column(default=None)
    state: Mapped[str] = mapped_column(String(16), default="received")
    handler_id: Mapped[int | None] = mapped_column(default=None)
    received_at: Mapped[datetime]
    received_on: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    reply: Mapped[str | None] = mapped_column(Text, default=None)
    replied_at: Mapped[datetime | None] = mapped_column(default=None)
    replied_by: Mapped[int | None] = mapped_column(default=None)
    satisfied: Mapped[bool | None] = mapped_column(Boolean, default=None)
    reopened: Mapped[int] = mapped_column(default=0)
    upheld: Mapped[bool | None] = mapped_column(Boolean, default=None)  # 属实: for 效能告诫
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_by: Mapped[int | None] = mapped_column(default=None)
    history: Mapped[list[Any]] = mapped_column(default=list)


class OutboxRow(Base):
    """The durable outbox (DESIGN.md §7): a message or record leaving the hall, written in
    the same transaction as the fact that causes it and sent later by the outbox worker
    (hall/services/outbox/). ``key`` makes it exactly-once per record: writing the same key
    again does nothing, and the receiving end is told the key to refuse a repeat."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("key", name="uq_outbox_key"),
                      Index("ix_outbox_due", "state", "topic", "next_at"),
                      Index("ix_outbox_hall_created", "hall_id", "created_at"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    hall_id: Mapped[int | None] = mapped_column(default=None)
    topic: Mapped[str] = mapped_column(String(40))  # which adapter sends it
    key: Mapped[str] = mapped_column(String(120))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_at: Mapped[datetime]  # not before: the backoff
    lease_until: Mapped[datetime | None] = mapped_column(default=None)  # a worker holds it
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


class NotifySubscription(Base):
    """A visitor's wish to be told when their turn is near (issue 21): by SMS to a phone
    (``address`` is the number, kept only while messages may still go, then erased; the
    masked number and its keyed hash stay for ``keep_days``) or by a WeChat subscribe
    message (``address`` is the openid). ``reminders``: near-turn messages written so far
    (at most two); ``closed``: the called or no-show notice was written."""

    __tablename__ = "notify_subscriptions"
    __table_args__ = (UniqueConstraint("ticket_id", name="uq_notify_ticket"),
                      Index("ix_notify_open", "hall_id", "closed"),
                      Index("ix_notify_hash_day", "address_hash", "day"),
                      Index("ix_notify_erase", "erase_at"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    hall_id: Mapped[int]
    ticket_id: Mapped[int] = mapped_column(BigId)
    service_id: Mapped[int]
    channel: Mapped[str] = mapped_column(String(16))  # sms | wechat
    address: Mapped[str | None] = mapped_column(String(64), default=None)
    address_masked: Mapped[str] = mapped_column(String(32))
    address_hash: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    reminders: Mapped[int] = mapped_column(default=0)
    last_ahead: Mapped[int | None] = mapped_column(default=None)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    erase_at: Mapped[datetime]


class UplinkMark(Base):
    """A hall's uplink to its region (DESIGN.md §8): the hall's name in the region
    (``hall_uid``) and the last ``seq`` of its event log the broker has confirmed."""

    __tablename__ = "region_uplink"
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"), primary_key=True)
    hall_uid: Mapped[str] = mapped_column(String(64), unique=True)
    shipped_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    shipped_at: Mapped[datetime | None] = mapped_column(default=None)
    # the settings the region judges the hall by, as last shipped (hall.settings event)
    settings_sent: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class RegionEvent(Base):
    """In the region's database: one hall's event, once per (hall_uid, seq)."""

    __tablename__ = "region_events"
    hall_uid: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime]
    type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]]
    ingested_at: Mapped[datetime]


class RegionMark(Base):
    """In the region's database: a hall's high-water mark, the last seq ingested (every
    seq up to it is in ``region_events``); moved in the transaction that writes them."""

    __tablename__ = "region_marks"
    hall_uid: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    at: Mapped[datetime | None] = mapped_column(default=None)


class Region(Base):
    """A place of the region's tree (市 → 区县 → 乡镇), in the region's database."""

    __tablename__ = "regions"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))  # city | county | town
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), default=None)


class RegionHall(Base):
    """A hall of the region (its uid, as its uplink ships it) and the place it serves."""

    __tablename__ = "region_halls"
    hall_uid: Mapped[str] = mapped_column(String(64), primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    name: Mapped[str] = mapped_column(String(200))
    board_url: Mapped[str | None] = mapped_column(String(500), default=None)  # its own board
    # the hall's zone (its days) and target wait, as the hall has them: the region folds
    # the hall's events into days and waits within the target with these
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai",
                                          server_default="Asia/Shanghai")
    target_wait_s: Mapped[int] = mapped_column(default=900, server_default="900")


class RegionAccount(Base):
    """A region supervisor or admin: their rights cover their place and every place below."""

    __tablename__ = "region_accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))  # supervisor | admin
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # moves on at a password change: every session signed in under the old one ends
    auth_version: Mapped[int] = mapped_column(default=1, server_default="1")


# --- what the region folds from the ingested events (hall/services/region/fold.py), in the
# same transaction as the events: the board and the reports read these, never the log

class RegionTicket(Base):
    """A hall's ticket as its events tell it: the facts a report counts (the hall's own
    definitions, hall/domain/rollup.py) and the line the board shows."""

    __tablename__ = "region_tickets"
    hall_uid: Mapped[str] = mapped_column(String(64), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    day: Mapped[date] = mapped_column(Date)  # the local day it was issued, as the hall's
    service_id: Mapped[int]
    counter_id: Mapped[int | None] = mapped_column(default=None)
    state: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)
    issued_at: Mapped[datetime]
    queued_at: Mapped[datetime]
    called_at: Mapped[datetime | None] = mapped_column(default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    released_at: Mapped[datetime | None] = mapped_column(default=None)
    recalls: Mapped[int] = mapped_column(default=0)
    rating: Mapped[int | None] = mapped_column(default=None)
    __table_args__ = (Index("ix_region_tickets_waiting", "hall_uid", "state", "queued_at"),)


class RegionCase(Base):
    """A hall's case (办件) as its ``case.*`` events tell it: what 按时办结率 and 超期件数 count
    (hall/domain/measures.py ``CaseRecord``)."""

    __tablename__ = "region_cases"
    hall_uid: Mapped[str] = mapped_column(String(64), primary_key=True)
    number: Mapped[str] = mapped_column(String(40), primary_key=True)
    service_id: Mapped[int | None] = mapped_column(default=None)
    accepted_on: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16))
    done_on: Mapped[date | None] = mapped_column(Date, default=None)
    suspended_on: Mapped[date | None] = mapped_column(Date, default=None)
    __table_args__ = (Index("ix_region_cases_due", "hall_uid", "due_date"),
                      Index("ix_region_cases_done", "hall_uid", "done_on"))


class RegionHallSettings(Base):
    """A hall's settings as its uplink last shipped them (``hall.settings``): its zone and
    target wait (how its events are folded) and its targets (考核目标: green or red)."""

    __tablename__ = "region_hall_settings"
    hall_uid: Mapped[str] = mapped_column(String(64), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    target_wait_s: Mapped[int]
    targets: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    changed_at: Mapped[datetime]


class RegionService(Base):
    """A hall's service (事项) and its department, as its tickets name them."""

    __tablename__ = "region_services"
    hall_uid: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int | None] = mapped_column(default=None)
    department: Mapped[str | None] = mapped_column(String(200), default=None)


class RegionWindow(Base):
    """A hall's window (窗口) and its last state."""

    __tablename__ = "region_windows"
    hall_uid: Mapped[str] = mapped_column(String(64), primary_key=True)
    counter_id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int]
    state: Mapped[str] = mapped_column(String(16))


class RegionAlert(Base):
    """A hall's alert (预警), open until the hall clears it."""

    __tablename__ = "region_alerts"
    hall_uid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alert_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(16))
    counter_id: Mapped[int | None] = mapped_column(default=None)
    raised_at: Mapped[datetime]
    cleared_at: Mapped[datetime | None] = mapped_column(default=None)


class RegionLive(Base):
    """A hall's live figures for the region board, kept at ingest (one row per hall)."""

    __tablename__ = "region_live"
    hall_uid: Mapped[str] = mapped_column(String(64), primary_key=True)
    waiting: Mapped[int] = mapped_column(default=0)
    open_windows: Mapped[int] = mapped_column(default=0)
    oldest_queued_at: Mapped[datetime | None] = mapped_column(default=None)
    open_alerts: Mapped[int] = mapped_column(default=0)
    critical_alerts: Mapped[int] = mapped_column(default=0)
    last_event_at: Mapped[datetime | None] = mapped_column(default=None)


class RegionDayStat(Base):
    """A hall's day per service: the additive counts its reports need (and the longest
    wait), moved at ingest by each ticket's change, so a month over 100 halls is one
    indexed GROUP BY."""

    __table__ = Table(
        "region_day_stats", Base.metadata,
        Column("hall_uid", String(64), primary_key=True),
        Column("day", Date, primary_key=True),
        Column("service_id", Integer, primary_key=True),
        *[Column(name, BigInteger, nullable=False) for name in region_counts.COUNTS],
        Index("ix_region_day_stats_day", "day", "hall_uid"),
    )


class RegionPublication(Base):
    """In the region's database: one published version of the service catalog (实施清单)
    or of the assessment scheme; each publish of a changed file is the next version."""

    __tablename__ = "region_publications"
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # catalog | scheme
    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    digest: Mapped[str] = mapped_column(String(64))  # sha256 of the body, canonical JSON
    body: Mapped[dict[str, Any]]
    published_at: Mapped[datetime]


class ConfigVersion(Base):
    """In a hall's database: a version of the region's catalog or scheme as the downlink
    received it, pending until a hall of this database adopts it; the one adopted last is
    the base of the next three-way merge (hall/domain/catalog.py)."""

    __tablename__ = "region_config_versions"
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    digest: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any]]
    published_at: Mapped[datetime]
    received_at: Mapped[datetime]


class ConfigAdoption(Base):
    """The version of the region's catalog or scheme a hall adopted last."""

    __tablename__ = "region_config_adoptions"
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    version: Mapped[int]
    adopted_at: Mapped[datetime]
    adopted_by: Mapped[str] = mapped_column(String(60))  # Actor.audit()


class ConfigConflict(Base):
    """A field the hall changed locally that the region changed too (or that differs with
    no adopted version to tell who changed it): the region's value and the hall's, until
    an admin chooses (``region``: applied; ``local``: kept); ``settled`` when the two
    became equal or the region dropped the entry."""

    __tablename__ = "region_config_conflicts"
    __table_args__ = (Index("ix_region_conflicts_hall_state", "hall_id", "kind", "state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id"))
    kind: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str] = mapped_column(String(64))  # a service code, or rules | targets
    field: Mapped[str] = mapped_column(String(40))
    version: Mapped[int]  # the region's version the region value is from
    region_value: Mapped[Any | None] = mapped_column(JSON, default=None)
    local_value: Mapped[Any | None] = mapped_column(JSON, default=None)
    state: Mapped[str] = mapped_column(String(8), default="open")  # open|region|local|settled
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_by: Mapped[str | None] = mapped_column(String(60), default=None)


# A hall's waits per (day, service) as the region folds them: per minute of wait with any,
# the count of each second as s0 … s59 (the hall's ``day_fine`` shape). Moved at ingest by
# each ticket's change with plain integer additions, so the histograms merge exactly and
# a report's p50/p90 are the hall's (hall/services/region/waits.py).
RegionWaitFine = Table(
    "region_wait_fine", Base.metadata,
    Column("hall_uid", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("service_id", Integer, primary_key=True),
    Column("minute", Integer, primary_key=True),
    *[Column(f"s{i}", Integer, nullable=False, default=0) for i in range(60)],
    # the second pass picks (hall, service, minute) over a period's days
    Index("ix_region_wait_fine_pick", "hall_uid", "service_id", "minute", "day"),
)

# The same waits on two levels up (hall/services/region/waits.py): per hour of wait the
# count of each minute (m0 … m59), and per block of 60 hours the count of each hour
# (h0 … h59). A month report's first pass reads the hours (a row or two per hall, day and
# service), then only the minutes and seconds of the buckets its percentiles fall in.
RegionWaitMinutes = Table(
    "region_wait_minutes", Base.metadata,
    Column("hall_uid", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("service_id", Integer, primary_key=True),
    Column("hour", Integer, primary_key=True),
    *[Column(f"m{i}", Integer, nullable=False, default=0) for i in range(60)],
    Index("ix_region_wait_minutes_pick", "hall_uid", "service_id", "hour", "day"),
)
RegionWaitHours = Table(
    "region_wait_hours", Base.metadata,
    Column("hall_uid", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("service_id", Integer, primary_key=True),
    Column("block", Integer, primary_key=True),
    *[Column(f"h{i}", Integer, nullable=False, default=0) for i in range(60)],
)
