"""好差评 data exchange (issue 19 item 5): every rating becomes a record in the field set
provincial 好差评 interfaces publish (Guangdong's names), written to the outbox in the
rating's own transaction and uploaded by the outbox worker; never on the pad's path.

Evaluation record (one per rating, key ``evalSerialNo``, so the endpoint refuses a
repeat): ``recordType`` "evaluation"; ``evalProcess`` 1 受理 (the visit that accepted a
承诺件) / 2 办结 (an on-the-spot visit, or a case's completion); ``affairSerialNo`` the
case number (else the ticket's day and number); ``affairCode`` the service's 实施清单 code
(its guide's ``affair_code``, else its code); ``affairName``, ``departmentCode``,
``affairDealNo`` (工号), ``affairDealOfficer``, ``affairApplyTime`` / ``affairDoneTime`` /
``evalTime`` as yyyyMMddHHmmss in the hall's zone, ``affairResult`` (below), ``userType`` /
``certificateType`` (hall settings ``haocha_user_type``, default "1", natural person;
``haocha_certificate_type``, default "111", 居民身份证), ``star`` 1–5, ``hallCode``,
``windowNo``, and the reason, comment and dimension scores given.

A case's stages (issue 19 item 5, decided): the province takes a 办件's 受理 and 办结 as
data of their own — to know every 办件 that can be rated, and to count the unrated — so
each becomes an *affair* record (``recordType`` "affair", stages.py, topic
``haocha.affair``), written in the transaction that accepted or concluded the case,
whether or not anyone rates it: the fields above without ``star`` and without the
``eval*`` ones (a star nobody gave is never made up), key ``<case number>-<evalProcess>``,
so each stage is sent once. A rating references its stage by (``affairSerialNo``,
``evalProcess``). The kinds are told apart by that one field, not by two endpoint paths:
the one configured endpoint takes both (a province whose interface splits 办件信息 and
评价信息 gets a second URL setting here). ``affairResult``: at 受理 ""; at a case's 办结
办结 (done) or 退回 (returned without approval: the negative decision after acceptance);
on a rating of a visit concluded at the window, its outcome: 办结, 不予受理, 补正, 咨询.
Only cases have stages: a visit concluded at the window (即办件, 不予受理 …) opens no case
in Hall, and the province learns of it from its rating alone. Suspension (中止) and
extension (延期) move a case's clock, not its stage, and send nothing.

Supervisors see pending / sent / failed with each row's reason (``status``), send a failed
row again (``resend``), and export a period's records in the same fields as CSV or XLSX
(``records``, ``to_csv``, ``to_xlsx``).
"""
from __future__ import annotations

import csv
import io
import os
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from hall.domain.access import Actor
from hall.domain.errors import DomainError, Forbidden, NotFound
from hall.domain.i18n import N_
from hall.services import repo
from hall.services.context import Context, Result, UnitOfWork, read, run
from hall.services.outbox import store
from hall.services.outbox.http import JsonEndpoint
from hall.services.supervision.exports import text_cell
from hall.store.models import Case, Counter, Department, OutboxRow, Service, Staff, Ticket

TOPIC = "haocha.rating"  # evaluation records
AFFAIR_TOPIC = "haocha.affair"  # a case's stages (stages.py)
TOPICS = (TOPIC, AFFAIR_TOPIC)
EVALUATION, AFFAIR = "evaluation", "affair"  # recordType
ACCEPTANCE, COMPLETION = "1", "2"
# affairResult: a visit concluded at the window (its outcome), a concluded case (its state)
OUTCOME_RESULT = {"done": "办结", "refused": "不予受理", "correction": "补正", "inquiry": "咨询"}
CASE_RESULT = {"done": "办结", "returned": "退回"}
FIELDS = ("recordType", "evalSerialNo", "evalProcess", "affairSerialNo", "affairCode",
          "affairName", "departmentCode", "affairDealNo", "affairDealOfficer",
          "affairApplyTime", "affairDoneTime", "affairResult", "userType", "certificateType",
          "star", "evalTime", "hallCode", "windowNo", "evalReason", "evalContent",
          "evalDimensions")
MAX_EXPORT_DAYS = 366


def stamp(at: datetime | None, zone: str) -> str:
    """yyyyMMddHHmmss in the hall's zone ("" when unknown)."""
    return at.astimezone(ZoneInfo(zone)).strftime("%Y%m%d%H%M%S") if at else ""


def affair_code(guide: dict[str, Any] | None, service_code: str) -> str:
    """The service's 实施清单 code: its guide's ``affair_code``, else its own code."""
    return str((guide or {}).get("affair_code") or service_code)


def person_types(settings: dict[str, Any]) -> dict[str, str]:
    """``userType`` / ``certificateType`` from the hall's settings."""
    return {"userType": str(settings.get("haocha_user_type", "1")),
            "certificateType": str(settings.get("haocha_certificate_type", "111"))}


def enqueue_rating(uow: UnitOfWork, *, ticket_id: int, level: int, at: datetime,
                   reason: str | None, comment: str | None,
                   dimensions: dict[str, int] | None = None,
                   completion_of_case: bool = False) -> str:
    """Write the record of a rating to the outbox (in the rating's transaction); its key."""
    t, c, s, d, k, st = (Ticket.__table__, Case.__table__, Service.__table__,
                         Department.__table__, Counter.__table__, Staff.__table__)
    row = uow.conn.execute(
        select(t.c.id, t.c.hall_id, t.c.day, t.c.number, t.c.issued_at, t.c.finished_at,
               t.c.outcome, c.c.id.label("case_id"), c.c.number.label("case_number"),
               c.c.done_at.label("case_done_at"), c.c.state.label("case_state"),
               s.c.code.label("service_code"), s.c.name.label("service_name"),
               s.c.guide, d.c.code.label("department_code"),
               k.c.number.label("window_no"), st.c.number.label("staff_no"),
               st.c.name.label("staff_name"))
        .select_from(t.join(s, s.c.id == t.c.service_id)
                     .join(d, d.c.id == s.c.department_id)
                     .outerjoin(c, c.c.ticket_id == t.c.id)
                     .outerjoin(k, k.c.id == t.c.counter_id)
                     .outerjoin(st, st.c.id == t.c.staff_id))
        .where(t.c.id == ticket_id)).one()
    hall = repo.hall_config(uow, row.hall_id).row
    zone, settings = hall.timezone, hall.settings or {}
    accepted_case = row.case_id is not None and not completion_of_case
    process = ACCEPTANCE if accepted_case else COMPLETION
    key = f"{hall.code}-{row.id}-{process}"
    done_at = row.case_done_at if completion_of_case else row.finished_at
    result = "" if accepted_case else (CASE_RESULT.get(row.case_state, "")
                                       if completion_of_case
                                       else OUTCOME_RESULT.get(row.outcome or "", ""))
    record = {
        "recordType": EVALUATION, "evalSerialNo": key, "evalProcess": process,
        "affairSerialNo": row.case_number or f"{row.day:%Y%m%d}-{row.number}",
        "affairCode": affair_code(row.guide, row.service_code),
        "affairName": row.service_name, "departmentCode": row.department_code,
        "affairDealNo": row.staff_no or "", "affairDealOfficer": row.staff_name or "",
        "affairApplyTime": stamp(row.issued_at, zone),
        "affairDoneTime": "" if accepted_case else stamp(done_at, zone),
        "affairResult": result, **person_types(settings), "star": level,
        "evalTime": stamp(at, zone), "hallCode": hall.code,
        "windowNo": str(row.window_no or ""), "evalReason": reason or "",
        "evalContent": comment or "", "evalDimensions": dict(dimensions or {}),
    }
    store.enqueue(uow, row.hall_id, TOPIC, f"{TOPIC}:{key}", record)
    return key


def adapters_from_environment(env: Any = None) -> dict[str, JsonEndpoint]:
    """The outbox adapters this machine is configured for, by topic (URL and token only
    from the environment: ``HALL_HAOCHA_URL``, ``HALL_HAOCHA_TOKEN``); one endpoint
    takes both kinds of record."""
    env = os.environ if env is None else env
    if not env.get("HALL_HAOCHA_URL"):
        return {}
    endpoint = JsonEndpoint(env["HALL_HAOCHA_URL"], env.get("HALL_HAOCHA_TOKEN"))
    return dict.fromkeys(TOPICS, endpoint)


# --- what supervisors see, and the period's export ------------------------------------------

def _require_supervisor(actor: Actor) -> None:
    if not (actor.is_staff and actor.role in ("supervisor", "admin")):
        raise Forbidden(N_("Only supervisors see the rating exchange"), "authorization")


def status(ctx: Context, *, actor: Actor, state: str | None = None,
           limit: int = 200) -> dict[str, Any]:
    """Pending / sent / failed counts of the hall's records, and the latest rows (failed
    first) with their reasons."""
    _require_supervisor(actor)

    def query(uow: UnitOfWork) -> dict[str, Any]:
        rows = store.latest(uow, actor.hall_id, OutboxRow.topic.in_(TOPICS), state, limit)
        return {"counts": store.counts(uow, actor.hall_id, "haocha."),
                "records": [{**store.view(r), "record": r.payload} for r in rows]}

    return read(ctx, query)


def records(ctx: Context, *, actor: Actor, start: date | None = None,
            end: date | None = None) -> dict[str, Any]:
    """The records of ratings given and case stages reached on hall-local days start..end
    (default: this month so far), in the upload's fields: ``{"since", "until", "records"}``.

    Filtered in SQL on the row's ``created_at`` (index ``ix_outbox_hall_created``): a record
    is written in its rating's or its stage's own transaction, so that instant is its
    ``evalTime`` (a rating), its 受理 or its ``affairDoneTime`` (a stage)."""
    _require_supervisor(actor)

    def query(uow: UnitOfWork) -> dict[str, Any]:
        zone = ZoneInfo(repo.hall_config(uow, actor.hall_id).row.timezone)
        today = uow.now.astimezone(zone).date()
        last = end or today
        first = start or min(today.replace(day=1), last)
        if last < first:
            raise DomainError("invalid_period", N_("The period ends before it starts"),
                              "until")
        if (last - first).days >= MAX_EXPORT_DAYS:
            raise DomainError("period_too_long", N_("Export at most %(n)s days at a time"),
                              "until", n=MAX_EXPORT_DAYS)
        low = datetime.combine(first, time.min, zone).astimezone(UTC)
        high = datetime.combine(last + timedelta(days=1), time.min, zone).astimezone(UTC)
        o = OutboxRow.__table__
        rows = uow.conn.execute(select(o.c.payload).where(
            o.c.hall_id == actor.hall_id, o.c.topic.in_(TOPICS), o.c.created_at >= low,
            o.c.created_at < high).order_by(o.c.created_at, o.c.id)).scalars()
        return {"since": first, "until": last, "records": list(rows)}

    return read(ctx, query)


def resend(ctx: Context, *, actor: Actor, record_id: int) -> Result:
    """A supervisor sends a failed record again (its cause fixed: a service's 实施清单 code
    set, the endpoint's configuration corrected); it goes back to pending, due now."""
    _require_supervisor(actor)

    def command(uow: UnitOfWork) -> dict[str, Any]:
        o = OutboxRow.__table__
        row = uow.conn.execute(select(o).where(o.c.id == record_id, o.c.topic.in_(TOPICS),
                                               o.c.hall_id == actor.hall_id)).first()
        if row is None:
            raise NotFound("record", "record_id")
        if not store.requeue(uow, actor.hall_id, record_id):
            raise DomainError("record_not_failed", N_("Only a failed record is sent again"),
                              "state")
        again = uow.conn.execute(select(o).where(o.c.id == record_id)).one()
        return {**store.view(again), "record": again.payload}

    return run(ctx, command)


def _cells(record: dict[str, Any]) -> list[Any]:
    """A record as a spreadsheet row: the dimension scores as ``k=v;…``, and every text
    that begins like a formula (a visitor's comment ``=HYPERLINK(…``, a name) kept as text
    (``text_cell``); the record sent to the province is left as given."""
    return [text_cell(";".join(f"{k}={v}" for k, v in (record.get(f) or {}).items())
                      if f == "evalDimensions" else record.get(f, "")) for f in FIELDS]


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    """UTF-8 with BOM (Excel), the interface's field names as the header."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(FIELDS)
    writer.writerows(_cells(r) for r in rows)
    return ("\ufeff" + out.getvalue()).encode()


def to_xlsx(rows: list[dict[str, Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "haocha"
    sheet.append(list(FIELDS))
    for r in rows:
        sheet.append(_cells(r))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
