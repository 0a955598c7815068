"""好差评 later from a visitor's page (issue 19): what ``hall.services.ratings.late.offer``
says can be rated now, in the reader's words, for templates/web/rating_form.html (the
ticket's phone page, display/views.py; the case's page, kiosk/case_lookup.py)."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import format_date, gettext

from hall.services.ratings import rating


def words(offer: dict[str, Any] | None) -> dict[str, Any] | None:
    if offer is None:
        return None
    labels = rating.DEFAULT_REASONS
    return {**offer, "levels": [(n, gettext(rating.LEVELS[n]))
                                for n in sorted(rating.LEVELS, reverse=True)],
            "reasons": [(r, gettext(labels[r]) if r in labels else r) for r in offer["reasons"]],
            "bad": rating.BAD,
            "until_day": format_date(date.fromisoformat(offer["until_day"]), "long")}
