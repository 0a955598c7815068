"""Pages of the display blueprint and the JSON snapshots their scripts start from.

A screen is a device of kind ``screen``: its token comes once in the URL (``?token=``), the
page keeps it in localStorage and strips it from the address bar. The pages themselves hold
no hall data (the token is not in the URL after the first load); their scripts fetch the
snapshot with ``Authorization: Bearer <token>`` and then follow the live events.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from flask import current_app, render_template, request
from flask_babel import format_date, gettext

from display.blueprint import bp
from hall.domain.access import Actor
from hall.domain.complaints import CATEGORIES
from hall.domain.errors import DomainError, Forbidden
from hall.domain.i18n import N_
from hall.services.complaints import handling as complaints
from hall.services.config import accounts, zone
from hall.services.queue import queries
from hall.services.ratings import late
from hall.services.staff import duty_card
from hall.web import rating_form
from hall.web.auth import current_actor
from hall.web.context import hall_context
from hall.web.pages import page_context

STATIC = Path(__file__).resolve().parent / "static"
VOICE_LANGS = ("zh", "en")
# one clip proves a language's pack is installed; the player still falls back clip by clip
VOICE_PROBES = {"zh": "voice/zh/qing.wav", "en": "voice/en/number.wav"}


def _refuse(status: int, title: str, detail: str):
    return render_template("display/error.html", title=title, detail=detail), status


def _screen_token_ok(token: str, screen: int | None = None) -> bool:
    actor = accounts.device_actor(hall_context(), token)
    return (actor is not None and actor.role == "screen"
            and (screen is None or actor.id == screen))


def voice_settings() -> dict[str, Any]:
    """Per screen: ``?voice=zh,en|zh|off&repeat=2``; defaults from DISPLAY_VOICE(_REPEAT)."""
    cfg = current_app.config
    wanted = request.args.get("voice") or cfg.get("DISPLAY_VOICE", "zh,en")
    langs = [v for v in wanted.replace(" ", ",").split(",") if v in VOICE_LANGS]
    try:
        repeat = int(request.args.get("repeat") or cfg.get("DISPLAY_VOICE_REPEAT", 2))
    except ValueError:
        repeat = 2
    clips = [lang for lang, probe in VOICE_PROBES.items() if (STATIC / probe).is_file()]
    return {"langs": " ".join(langs), "repeat": max(1, min(repeat, 3)),
            "clips": " ".join(clips), "chime": int((STATIC / "voice/chime.wav").is_file())}


@bp.get("/display/hall/<int:screen>")
def hall_screen(screen: int):
    token = request.args.get("token")
    if token is not None and not _screen_token_ok(token, screen):
        return _refuse(403, gettext("This screen is not registered"),
                       gettext("The token in the address is unknown, revoked or belongs to "
                               "another screen. Register the screen with `hall device add "
                               "--kind screen` and open the address it prints."))
    return render_template("display/hall.html", screen=screen, voice=voice_settings(),
                           **page_context())


@bp.get("/display/counter/<int:counter_id>")
def counter_screen(counter_id: int):
    token = request.args.get("token")
    if token is not None and not _screen_token_ok(token):
        return _refuse(403, gettext("This screen is not registered"),
                       gettext("The token in the address is unknown, revoked or not a "
                               "screen's. Register the screen with `hall device add --kind "
                               "screen` and open the address it prints."))
    return render_template("display/counter.html", counter_id=counter_id, **page_context())


def _viewer(screen: int | None = None) -> Actor:
    """A screen device (this screen, when given) or a supervisor previewing it."""
    actor = current_actor()
    if actor.kind == "staff" and actor.role in ("supervisor", "admin"):
        return actor
    if actor.kind == "device" and actor.role == "screen" and screen in (None, actor.id):
        return actor
    raise Forbidden(N_("Only this hall's screens may show this page"), "authorization")


def hall_timezone(hall_id: int) -> str:
    """The hall's own zone (halls.timezone): its clock shows it, whatever the zone of the
    screen's OS or of the server."""
    return zone.timezone(hall_context(), hall_id)


def _snapshot(hall_id: int) -> dict[str, Any]:
    snap = queries.hall_snapshot(hall_context(), hall_id)
    snap["hall"]["timezone"] = hall_timezone(hall_id)
    return snap


@bp.get("/display/hall/<int:screen>/snapshot")
def hall_snapshot(screen: int):
    actor = _viewer(screen)
    return _snapshot(actor.hall_id)


@bp.get("/display/counter/<int:counter_id>/snapshot")
def counter_snapshot(counter_id: int):
    actor = _viewer()
    snap = _snapshot(actor.hall_id)
    counter = next((c for c in snap["counters"] if c["id"] == counter_id), None)
    if counter is None:
        raise DomainError("counter_not_found", N_("No counter %(number)s"), "counter",
                          number=counter_id)
    calls = [c for c in snap["recent_calls"] if c.get("counter_id") == counter_id]
    return {"last_seq": snap["last_seq"], "hall": snap["hall"], "counter": counter,
            "recent_calls": calls, "duty": duty_card.card(hall_context(), counter_id)}


@bp.get("/t/<token>")
def ticket_page(token: str):
    try:
        ticket = queries.ticket_by_token(hall_context(), token)
    except DomainError:
        return _refuse(404, gettext("Ticket not found"),
                       gettext("This ticket does not exist or is no longer kept. Take a new "
                               "ticket at the kiosk."))
    case = ticket.get("case")
    due = format_date(date.fromisoformat(case["due_date"]), "long") if case else None
    filed = complaints.of_ticket(hall_context(), token=token)
    carried = ticket.get("carried_to")
    carried = format_date(date.fromisoformat(carried), "long") if carried else None
    return render_template("display/ticket.html", ticket=ticket, token=token, case_due=due,
                           carried_to=carried,
                           complaints=filed, complaint_states=complaint_states(),
                           complaint_categories={k: gettext(v) for k, v in CATEGORIES.items()},
                           rating=rating_form.words(late.offer(hall_context(), token=token)),
                           **page_context(ticket["hall_id"]))


@bp.get("/complaint/<token>")
def complaint_page(token: str):
    """The complainant's own page (its token is the proof): the reply, and their answer."""
    try:
        found = complaints.for_complainant(hall_context(), token=token)
    except DomainError:
        return _refuse(404, gettext("Complaint not found"),
                       gettext("This address does not lead to a complaint. Please check it, "
                               "or ask at the hall's help desk."))
    due = format_date(date.fromisoformat(found["due_date"]), "long")
    return render_template("display/complaint.html", c=found, due=due,
                           complaint_states=complaint_states(),
                           categories={k: gettext(v) for k, v in CATEGORIES.items()},
                           **page_context())


def complaint_states() -> dict[str, str]:
    return {state: gettext(label) for state, label in COMPLAINT_STATES.items()}


COMPLAINT_STATES = {"received": N_("received"), "handling": N_("being handled"),
                    "replied": N_("replied"), "closed": N_("complaint closed")}
