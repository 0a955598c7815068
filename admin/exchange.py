"""好差评上报 /admin/exchange: the records leaving for the province's 好差评 system —
pending, sent and failed counts, the rows with each failure's reason and a button to send a
failed one again, and a period's records as CSV or XLSX (supervisors and admins).

The page is a shell; exchange.js reads GET /api/v1/exchange, sends again with
POST /api/v1/exchange/<id>/resend, and the export links are plain downloads of
GET /api/v1/exchange/export.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

from admin.blueprint import bp
from admin.pages import render, supervisor_page
from hall.web.context import hall_context
from hall.web.pages import page_context


@bp.get("/exchange")
def exchange_page():
    actor, refusal = supervisor_page()
    if refusal is not None:
        return refusal
    tz = page_context(actor.hall_id)["tz"]
    today = hall_context().clock.now().astimezone(ZoneInfo(tz)).date()
    return render("admin/exchange.html", actor=actor, active="exchange",
                  start=today.replace(day=1), end=today)
