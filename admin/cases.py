"""办件 /admin/cases: the cases list with filters (service, state, urgency), yellow/red
rows, due dates, and start / done / returned (supervisors and admins).

The page is a shell with the filter menus; cases.js reads GET /api/v1/cases, acts with
POST /api/v1/cases/<number>/<action> and re-reads on ``case.*`` events of the hall's room.
"""
from __future__ import annotations

from admin.blueprint import bp
from admin.pages import render, supervisor_page
from hall.services.supervision import board
from hall.web.context import hall_context


@bp.get("/cases")
def cases_page():
    actor, refusal = supervisor_page()
    if refusal is not None:
        return refusal
    return render("admin/cases.html", actor=actor, active="cases",
                  **board.choices(hall_context(), actor.hall_id))
