"""The visitor's paper from a window: 受理 gives a 受理回执, 不予受理 a 不予受理通知书, 补正 the
一次性告知书 (hall/domain/outcomes.py says which outcome gives which).

A document is worded once, here, from what the finish recorded (the ticket's outcome and
note, the case it opened, the window and who served) and the hall's settings, as plain
data: ``drivers.escpos.document.DocumentContent`` as JSON — a title, lines (``field``,
``heading``, ``text``, ``item``, ``note``) and a QR code's URL. The window's printer prints
that (hall/services/devices/printing.py) and the terminal's print page draws the same
(counter/documents.py), so the two can never disagree. Times are the hall's own; dates
are ISO (2026-11-30), as on the queue ticket.

Texts a hall sets itself (``contact_phone``, ``refusal_basis``, ``refusal_review`` in the
layout's ``[hall]``) are printed as written; without them the refusal notice cites the
defaults below, in the reader's language.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from hall.domain.access import Actor
from hall.domain.errors import DomainError, Forbidden, NotFound
from hall.domain.i18n import N_
from hall.domain.outcomes import DOCUMENTS, Outcome
from hall.services import repo
from hall.services.context import Context, UnitOfWork, read
from hall.services.views import case_url, phone_url
from hall.store.models import Case, Counter, Staff

Translate = Callable[[str], str]
FINISHED = ("done", "rated")
TIME = "%Y-%m-%d %H:%M"

DEFAULT_BASIS = N_("Article 32 of the Administrative Licensing Law of the People's "
                   "Republic of China")
DEFAULT_REVIEW = N_("If you disagree with this decision, you may apply for administrative "
                    "reconsideration within 60 days of receiving this notice, or bring an "
                    "administrative lawsuit before a people's court within 6 months.")
LABEL_CASE = N_("Case number")
LABEL_CODE = N_("Look-up code")
LABEL_SERVICE = N_("Service")
LABEL_APPLICANT = N_("Applicant")
LABEL_ACCEPTED = N_("Accepted at")
LABEL_DUE = N_("Due date")
LABEL_PROMISED = N_("%(date)s (within %(days)s working days)")
LABEL_TICKET = N_("Ticket number")
LABEL_WINDOW = N_("Window")
WINDOW = N_("Window %(counter)s")
LABEL_STAFF = N_("Handled by")
STAFF = N_("%(name)s (staff no. %(number)s)")
LABEL_ISSUED = N_("Issued at")
LABEL_PHONE = N_("Enquiries")
HEAD_RECEIVED = N_("Materials received")
HEAD_REASON = N_("Reason for refusal")
HEAD_BASIS = N_("Basis of this decision")
HEAD_REVIEW = N_("How to seek review")
HEAD_MISSING = N_("Materials to bring")
TEXT_ACCEPTED = N_("Your application has been accepted. Keep this receipt: its case number "
                   "shows how the case stands and is needed to collect the result.")
TEXT_REFUSED = N_("After review, your application is not accepted, for the reason below.")
TEXT_CORRECTION = N_("After review, your application needs the materials below. Please "
                     "bring all of them together next time; nothing else will be asked for.")
SCAN_CASE = N_("Scan to see how your case stands")
SCAN_GUIDE = N_("Scan for the service guide")


def document(ctx: Context, *, ticket_id: int, actor: Actor, base_url: str,
             translate: Translate = lambda s: s, english: bool = False) -> dict[str, Any]:
    """The document a finished visit produced, for the staff who print it."""

    def query(uow: UnitOfWork) -> dict[str, Any]:
        ticket = printable(uow.conn, ticket_id, actor)
        return {"ticket_id": ticket.id, "number": ticket.number,
                **content(uow, ticket, kind_of(ticket), base_url, translate, english)}

    return read(ctx, query)


def printable(conn, ticket_id: int, actor: Actor, kind: str | None = None) -> Any:
    """A finished visit of ``actor``'s hall whose paper (``kind``, if given) they may print."""
    ticket = repo.ticket_row(conn, ticket_id, actor, lock=False, field="ticket_id")
    may_print(actor, ticket)
    kind_of(ticket, kind)
    return ticket


def may_print(actor: Actor, ticket: Any) -> None:
    """Staff at the window the visit ended at, the one who served it, or supervisors."""
    if actor.is_staff and (actor.role in ("supervisor", "admin")
                           or (ticket.counter_id is not None
                               and actor.counter_id == ticket.counter_id)
                           or actor.id == ticket.staff_id):
        return
    raise Forbidden(N_("Only the window that served this visit prints its papers"),
                    "ticket_id")


def kind_of(ticket: Any, wanted: str | None = None) -> str:
    """The kind of paper a finished ticket's outcome gives (checked against ``wanted``)."""
    kind = Outcome(ticket.outcome).document if ticket.outcome else None
    if ticket.state not in FINISHED or kind is None or wanted not in (None, kind):
        raise DomainError("no_document", N_("Ticket %(number)s has no paper to print"),
                          "ticket_id", number=ticket.number)
    return kind


def content(uow: UnitOfWork, ticket: Any, kind: str, base_url: str, _: Translate,
            english: bool) -> dict[str, Any]:
    """``kind``'s document for ``ticket`` (DocumentContent as JSON), in ``_``'s language."""
    config = repo.hall_config(uow, ticket.hall_id)
    hall, settings = config.row, config.row.settings or {}
    svc = repo.service_row(uow.conn, ticket.hall_id, ticket.service_id)
    base = repo.public_base(uow, ticket.hall_id, base_url)
    facts = {"service": svc.name_en if english and svc.name_en else svc.name,
             "window": _window(uow.conn, ticket.counter_id, _)}
    if kind == "acceptance":
        case = _case(uow.conn, ticket.id)
        if case is None:
            raise NotFound("case", "ticket_id")
        facts.update(staff=_staff(uow.conn, case.staff_id or ticket.staff_id, _),
                     at=f"{config.settings.local(case.accepted_at):{TIME}}")
        lines = _acceptance(case, svc, facts, _)
        qr, caption = case_url(base, case.number, case.lookup_code), _(SCAN_CASE)
    else:
        facts.update(staff=_staff(uow.conn, ticket.staff_id, _),
                     at=f"{config.settings.local(ticket.finished_at):{TIME}}")
        lines = [_field(_(LABEL_SERVICE), facts["service"]),
                 _field(_(LABEL_TICKET), ticket.number), _field(_(LABEL_WINDOW), facts["window"]),
                 _field(_(LABEL_STAFF), facts["staff"]), _field(_(LABEL_ISSUED), facts["at"])]
        if kind == "refusal":
            lines += _refusal(ticket, settings, _)
            qr, caption = "", ""
        else:
            lines += [_text(_(TEXT_CORRECTION)),
                      *_items(_(HEAD_MISSING), missing(ticket.outcome_note))]
            qr, caption = phone_url(base, ticket.token), _(SCAN_GUIDE)
    if settings.get("contact_phone"):
        label = _(LABEL_PHONE)
        lines.append({"kind": "note", "label": "", "text": f"{label}{_sep(label)}"
                                                          f"{settings['contact_phone']}"})
    lines = [line for line in lines if line["kind"] != "field" or line["text"]]  # unknown: out
    return {"kind": kind, "hall_name": hall.name_en if english and hall.name_en else hall.name,
            "title": _(DOCUMENTS[kind]), "lines": lines, "qr_url": qr, "qr_caption": caption}


TITLE_EXTENSION = N_("Extension notice")
LABEL_DUE_BEFORE = N_("Due date before")
LABEL_EXTENDED = N_("Extended by")
EXTENDED_DAYS = N_("%(days)s working days")
LABEL_APPROVED = N_("Approved by")
HEAD_EXTENSION_REASON = N_("Reason for the extension")
TEXT_EXTENDED = N_("With approval, the time limit of your case is extended once, as below. "
                   "The case page shows the new due date.")


def extension_notice(ctx: Context, *, number: str, actor: Actor, base_url: str,
                     translate: Translate = lambda s: s, english: bool = False
                     ) -> dict[str, Any]:
    """延期告知书: the applicant's notice of an approved extension (DocumentContent as JSON),
    for a supervisor or the window that accepted the case to print."""
    _ = translate

    def query(uow: UnitOfWork) -> dict[str, Any]:
        from hall.store.models import CaseClock

        c, k = Case.__table__, CaseClock.__table__
        case = uow.conn.execute(select(c).where(c.c.number == number.strip().upper())).first()
        if case is None or case.hall_id != actor.hall_id:
            raise NotFound("case", "number")
        if not (actor.is_staff and (actor.role in ("supervisor", "admin")
                                    or actor.counter_id == case.counter_id)):
            raise Forbidden(N_("Only the window that served this visit prints its papers"),
                            "number")
        moved = uow.conn.execute(select(k).where(k.c.case_id == case.id, k.c.action == "extend")
                                 .order_by(k.c.id.desc()).limit(1)).first()
        if moved is None:
            raise DomainError("no_document", N_("Case %(number)s was not extended"), "number",
                              number=case.number)
        config = repo.hall_config(uow, case.hall_id)
        hall, settings = config.row, config.row.settings or {}
        svc = repo.service_row(uow.conn, case.hall_id, case.service_id)
        lines = [_field(_(LABEL_CASE), case.number),
                 _field(_(LABEL_SERVICE), svc.name_en if english and svc.name_en else svc.name),
                 _field(_(LABEL_APPLICANT), case.applicant_masked),
                 _field(_(LABEL_ACCEPTED), f"{config.settings.local(case.accepted_at):{TIME}}"),
                 _text(_(TEXT_EXTENDED)),
                 _field(_(LABEL_DUE_BEFORE), moved.due_before.isoformat()),
                 _field(_(LABEL_EXTENDED), _(EXTENDED_DAYS) % {"days": moved.days}),
                 _field(_(LABEL_DUE), moved.due_after.isoformat()),
                 _field(_(LABEL_APPROVED), _staff(uow.conn, case.extended_by, _)),
                 _field(_(LABEL_ISSUED), f"{config.settings.local(moved.at):{TIME}}"),
                 _heading(_(HEAD_EXTENSION_REASON)), _text(case.extension_reason or "")]
        if settings.get("contact_phone"):
            label = _(LABEL_PHONE)
            lines.append({"kind": "note", "label": "",
                          "text": f"{label}{_sep(label)}{settings['contact_phone']}"})
        base = repo.public_base(uow, case.hall_id, base_url)
        return {"kind": "extension", "number": case.number,
                "hall_name": hall.name_en if english and hall.name_en else hall.name,
                "title": _(TITLE_EXTENSION),
                "lines": [ln for ln in lines if ln["kind"] != "field" or ln["text"]],
                "qr_url": case_url(base, case.number), "qr_caption": _(SCAN_CASE)}

    return read(ctx, query)


def _acceptance(case: Any, svc: Any, facts: dict[str, str], _: Translate
                ) -> list[dict[str, str]]:
    due = case.due_date.isoformat()
    days = case.promised_days or svc.promised_days  # a fast-track case's is shortened
    lines = [_field(_(LABEL_CASE), case.number), _field(_(LABEL_CODE), case.lookup_code),
             _field(_(LABEL_SERVICE), facts["service"])]
    if case.applicant_masked:
        lines.append(_field(_(LABEL_APPLICANT), case.applicant_masked))
    lines += [_field(_(LABEL_ACCEPTED), facts["at"]),
              _field(_(LABEL_DUE), _(LABEL_PROMISED) % {"date": due, "days": days}
                     if days else due),
              _field(_(LABEL_WINDOW), facts["window"]), _field(_(LABEL_STAFF), facts["staff"]),
              *_items(_(HEAD_RECEIVED), _materials(svc)), _text(_(TEXT_ACCEPTED))]
    return lines


def _refusal(ticket: Any, settings: dict[str, Any], _: Translate) -> list[dict[str, str]]:
    return [_text(_(TEXT_REFUSED)),
            _heading(_(HEAD_REASON)), _text((ticket.outcome_note or "").strip()),
            _heading(_(HEAD_BASIS)), _text(settings.get("refusal_basis") or _(DEFAULT_BASIS)),
            _heading(_(HEAD_REVIEW)),
            _text(settings.get("refusal_review") or _(DEFAULT_REVIEW))]


def missing(note: str | None) -> list[str]:
    """The 补正 list as the finish recorded it: one material a line."""
    return [m.strip() for m in (note or "").splitlines() if m.strip()]


def case_of_ticket(conn, ticket_id: int) -> dict[str, Any] | None:
    """The case a visit opened (its number, look-up code and due date), for the phone page
    of the visitor who holds the ticket."""
    row = _case(conn, ticket_id)
    return {"number": row.number, "lookup_code": row.lookup_code,
            "due_date": row.due_date.isoformat()} if row else None


def _case(conn, ticket_id: int) -> Any:
    c = Case.__table__
    return conn.execute(select(c).where(c.c.ticket_id == ticket_id).order_by(c.c.id)).first()


def _window(conn, counter_id: int | None, _: Translate) -> str:
    number = conn.execute(select(Counter.number).where(Counter.id == counter_id)).scalar()
    return _(WINDOW) % {"counter": number} if number is not None else ""


def _staff(conn, staff_id: int | None, _: Translate) -> str:
    row = conn.execute(select(Staff.name, Staff.number).where(Staff.id == staff_id)).first()
    if row is None:
        return ""
    return _(STAFF) % {"name": row.name, "number": row.number} if row.number else row.name


def _materials(svc: Any) -> list[str]:
    materials = (svc.guide or {}).get("materials") or []
    return [materials] if isinstance(materials, str) else [str(m) for m in materials]


def _sep(label: str) -> str:
    """How a label meets its text, as the printer and the page both write it."""
    return ": " if label.isascii() else "："


def _field(label: str, text: str) -> dict[str, str]:
    return {"kind": "field", "label": label, "text": text}


def _heading(text: str) -> dict[str, str]:
    return {"kind": "heading", "label": "", "text": text}


def _text(text: str) -> dict[str, str]:
    return {"kind": "text", "label": "", "text": text}


def _items(heading: str, items: list[str]) -> list[dict[str, str]]:
    if not items:
        return []
    return [_heading(heading), *({"kind": "item", "label": str(i), "text": item}
                                 for i, item in enumerate(items, 1))]
