"""Rating pad page (评价器): a tablet beside a window, paired with its counter.

A pad is a device of kind ``pad`` bound to one counter. Like a screen, its token comes once
in the URL (``/pad/<device>?token=…``); the page keeps it in localStorage and strips it from
the address bar. The script reads ``/pad/<device>/state`` with the bearer token, follows the
counter's room live (``ticket.finished`` shows the five 好差评 levels) and posts the rating
to ``POST /api/v1/tickets/<id>/rating``. The page carries no inline script: its CSP allows
only this origin's files.
"""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext

from hall.domain.errors import Forbidden
from hall.domain.i18n import N_
from hall.services.config import accounts
from hall.services.ratings import rating as ratings
from hall.services.staff import duty_card
from hall.web.auth import current_actor
from hall.web.context import hall_context
from hall.web.pages import page_context

bp = Blueprint("pad", __name__, template_folder="templates", static_folder="static",
               static_url_path="/pad/static")

# The faces, best first: level → (css class, SVG mouth path). Drawn inline, no downloads.
FACES = [(5, "M28 60 Q50 86 72 60"), (4, "M31 64 Q50 77 69 64"), (3, "M33 67 L67 67"),
         (2, "M31 72 Q50 60 69 72"), (1, "M28 76 Q50 54 72 76")]
RATE_TIMEOUT_S = 120  # the level screen goes back to idle after this (or when the window ends)
THANKS_S = 6




def _pad_token_ok(token: str, device_id: int) -> bool:
    actor = accounts.device_actor(hall_context(), token)
    return actor is not None and actor.role == "pad" and actor.id == device_id


@bp.get("/pad/<int:device_id>")
def page(device_id: int):
    token = request.args.get("token")
    if token is not None and not _pad_token_ok(token, device_id):
        return render_template(
            "pad/error.html", title=gettext("This rating pad is not registered"),
            detail=gettext("The token in the address is unknown, revoked or belongs to "
                           "another device. Register the pad with `hall device add --kind "
                           "pad --counter N` and open the address it prints."),
            **page_context()), 403
    levels = [(level, mouth, gettext(ratings.LEVELS[level])) for level, mouth in FACES]
    return render_template("pad/pad.html", device_id=device_id, levels=levels,
                           rate_timeout_s=RATE_TIMEOUT_S, thanks_s=THANKS_S, **page_context())


@bp.get("/pad/<int:device_id>/state")
def state(device_id: int):
    """The pad's counter, staff, reasons (with labels in the page's language) and the visit
    awaiting a rating; only for this pad's own token."""
    actor = current_actor()
    if actor.kind != "device" or actor.role != "pad" or actor.id != device_id:
        raise Forbidden(N_("Only this rating pad may read its state"), "authorization")
    data = ratings.pad_state(hall_context(), actor)
    data["duty"] = duty_card.card(hall_context(), actor.counter_id) if actor.counter_id else None
    data["reasons"] = [{"value": v, "label": reason_label(v),
                        "needs_comment": v in ratings.OTHER} for v in data["reasons"]]
    return data


def reason_label(value: str) -> str:
    """A default reason in the page's language; a hall's own reason as the hall wrote it."""
    label = ratings.DEFAULT_REASONS.get(value)
    return gettext(label) if label else value
