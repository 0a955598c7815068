"""办件查询: a visitor looks a case up by its number and its look-up code (查询码), both
printed on the 受理回执 (case numbers are sequential: the number alone is no secret).

``/case`` is a phone page rendered on the server (a form that works without script; the
answer is the same page at ``/case/<number>?code=…``, what the receipt's QR code opens).
Without the code the page asks for it; an unknown number and a wrong code answer alike.
``/kiosk/<device>/case-prefix`` tells the kiosk's touch screen its hall's code, so a visitor
there types only the digits (the date and the sequence) on an on-screen number pad, then the
code; the kiosk then asks the public ``GET /api/v1/cases/<number>?code=…`` like anyone else.

What a visitor types is forgiven: lower case, spaces, full-width characters, any dash, no
dashes at all, or only the digits (the server's first hall's code is put in front).
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale, gettext

from hall.domain.cases import SUSPEND_REASONS, parse_case_number
from hall.domain.complaints import CATEGORIES, DEFAULT_DAYS
from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.services.complaints.intake import complaint_days
from hall.services.context import read
from hall.services.queue import booking_catalog, queries
from hall.services.ratings import late
from hall.web import rating_form
from hall.web.context import hall_context
from hall.web.pages import fresh
from kiosk.blueprint import bp
from kiosk.views import _kiosk  # the kiosk's own token (or a supervisor previewing it)

MAX_TYPED = 60  # longer than any case number (40) with spaces; the rest is ignored
MAX_CODE = 20  # the code is 6 digits; spaces forgiven
_DASHES = re.compile(r"[\s\-‐‑‒–—―−_/.·]+")
_DIGITS_ONLY = re.compile(r"(\d{8})(\d{4,})")
_GLUED = re.compile(r"([A-Z0-9]*[A-Z])(\d{8})(\d{4,})")
# the words a visitor reads for each state (msgids shared with the back office's case list)
STATE_WORDS = {"accepted": N_("Accepted"), "in_progress": N_("In progress"),
               "suspended": N_("Suspended"), "done": N_("Completed"),
               "returned": N_("Returned")}


def normalize(typed: str, hall_code: str | None = None) -> str:
    """The case number a visitor meant: ``smzx 20261123 0007`` → ``SMZX-20261123-0007``.

    Anything that still is not a case number comes back cleaned but otherwise as typed (the
    look-up then says it is unknown, which is the truth)."""
    text = unicodedata.normalize("NFKC", typed[:MAX_TYPED]).upper()
    spaced = _DASHES.sub("-", text).strip("-")
    if parse_case_number(spaced):
        return spaced
    glued = spaced.replace("-", "")  # SMZX202611230007, or 202611230007 without the code
    candidates = []
    if m := _GLUED.fullmatch(glued):
        candidates.append("-".join(m.groups()))
    if hall_code and (m := _DIGITS_ONLY.fullmatch(glued)):
        candidates.append("-".join((hall_code, *m.groups())))
    return next((c for c in candidates if parse_case_number(c)), spaced)


@bp.get("/case")
def case_form():
    hall = _first_hall()
    typed = (request.args.get("number") or "").strip()
    if typed:
        number = normalize(typed, hall.code.upper() if hall else None)
        if number:
            return redirect(url_for("kiosk.case_page", number=number, **_kept()), 303)
    return _page(hall, None, typed=typed, status=200,
                 problem=gettext("Enter the case number") if "number" in request.args else None)


@bp.get("/case/<path:number>")
def case_page(number: str):
    hall = _first_hall()
    wanted = normalize(number, hall.code.upper() if hall else None)
    if not wanted:
        return redirect(url_for("kiosk.case_form"), 303)
    if wanted != number:  # one address per case: /case/smzx-… → /case/SMZX-…
        return redirect(url_for("kiosk.case_page", number=wanted, **_kept()), 301)
    code = (request.args.get("code") or "").strip()[:MAX_CODE]
    if not code:  # the number alone shows nothing: ask for the code on the receipt
        problem = gettext("Enter the look-up code") if "code" in request.args else None
        return _page(hall, None, typed=wanted, status=200, problem=problem)
    try:
        found = (queries.case_by_number(hall_context(), wanted, code) if len(wanted) <= 40
                 else None)
    except DomainError:
        found = None
    if found is None:
        problem = gettext("No case has the number %(number)s with this look-up code. Please "
                          "check both against your receipt.", number=wanted)
        return _page(hall, None, typed=wanted, status=404, problem=problem)
    offer = late.offer_for_case(hall_context(), number=wanted, code=code)  # 好差评, issue 19
    return _page(hall, _words(found), typed=wanted, status=200,
                 rating=rating_form.words(offer))


@bp.get("/kiosk/<int:device>/case-prefix")
def case_prefix(device: int):
    """The kiosk's hall code: the part of its case numbers a visitor need not type."""
    actor = _kiosk(device)
    code = read(hall_context(), lambda uow: booking_catalog.hall_by_ref(uow.conn,
                                                                        actor.hall_id).code)
    return {"prefix": code.upper()}


# ---- helpers -----------------------------------------------------------------------


def _kept() -> dict[str, str]:
    """The query a redirect keeps: the language, and the look-up code if one was typed."""
    return {k: request.args[k][:MAX_CODE] for k in ("lang", "code") if request.args.get(k)}


def _first_hall() -> Any | None:
    try:
        return read(hall_context(), lambda uow: booking_catalog.hall_by_ref(uow.conn, None))
    except DomainError:
        return None


def _english() -> bool:
    return str(get_locale() or "zh_CN").startswith("en")


def _words(case: dict[str, Any]) -> dict[str, Any]:
    """The answer in a visitor's words: the state, the dates, and where it stands on time."""
    state, urgency = case["state"], case.get("urgency", "normal")
    english = _english()
    due = _day(case["due_date"])
    view = {**case,
            "service_name": case.get("service_en") if english and case.get("service_en")
            else case["service"],
            "state_text": gettext(STATE_WORDS[state]) if state in STATE_WORDS else state,
            "accepted_text": _day(case["accepted_on"]), "due_text": due,
            "done_text": _day(case["done_on"]) if case.get("done_on") else None,
            "urgency": urgency if state not in ("done", "returned") else "closed"}
    if state == "suspended":
        view["timing"] = gettext(
            "Suspended since %(day)s for %(reason)s: the time limit stops until the case is "
            "resumed, and the days it stands still are added to the due date.",
            day=_day(case["suspended_on"]),
            reason=gettext(SUSPEND_REASONS.get(case["suspend_reason"], "")))
    elif state == "done":
        view["timing"] = gettext("Completed on %(day)s.", day=view["done_text"])
    elif state == "returned":
        view["timing"] = gettext("Returned to the applicant. Please read the notice you were "
                                 "given, or ask at the hall.")
    elif urgency == "red":
        view["timing"] = gettext("The promised date (%(day)s) has passed and the case is not "
                                 "finished yet.", day=due)
    elif urgency == "yellow":
        view["timing"] = gettext("Due soon: it should be finished by %(day)s.", day=due)
    else:
        view["timing"] = gettext("On schedule: it will be finished by %(day)s.", day=due)
    if case.get("extension_days"):  # the notice of the extension (延期告知)
        view["notice"] = gettext(
            "Extension notice: the time limit of this case was extended by %(days)s working "
            "days with approval, because: %(reason)s. The new due date is %(day)s.",
            days=case["extension_days"], reason=case.get("extension_reason") or "", day=due)
    return view


def _day(iso: str) -> str:
    return format_date(date.fromisoformat(iso), "long")


def _page(hall: Any | None, case: dict[str, Any] | None, *, typed: str, status: int,
          problem: str | None = None, rating: dict[str, Any] | None = None) -> Response:
    english = _english()
    code = hall.code.upper() if hall else "SMZX"
    today = hall_context().clock.now().astimezone(ZoneInfo(hall.timezone if hall else
                                                           "Asia/Shanghai")).date()
    html = render_template(
        "case/case.html", lang="en" if english else "zh-CN", english=english, case=case,
        typed=typed, problem=problem, example=f"{code}-{today:%Y%m%d}-0001",
        categories={k: gettext(v) for k, v in CATEGORIES.items()},
        complaint_days=complaint_days(hall) if hall else DEFAULT_DAYS, rating=rating,
        hall_name=(hall.name_en if english and hall.name_en else hall.name) if hall else "")
    return fresh(html, status)  # the state changes; never a stale answer
