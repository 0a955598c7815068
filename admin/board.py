"""监察看板 /admin/board: the live supervision board (supervisors and admins).

The page is a shell; board.js reads GET /api/v1/board, follows the hall's Socket.IO room
(re-reading the board at most once a second after events, updating the alert list from
``alert`` events at once) and acknowledges alerts with POST /api/v1/alerts/<id>/ack.
Today's targeted rates, green or red against the hall's targets, are drawn with the page.
"""
from __future__ import annotations

from admin.blueprint import bp
from admin.pages import render, supervisor_page
from hall.services.supervision import exports, reports
from hall.web.context import hall_context


@bp.get("/board")
def board_page():
    actor, refusal = supervisor_page()
    if refusal is not None:
        return refusal
    today = reports.report(hall_context(), period="day", group="hall", hall_id=actor.hall_id)
    figures = [(label, measure, today["total"].get(measure), today["targets"][measure],
                today["total"]["target_status"].get(measure))
               for label, measure in exports.TARGETED.items()]
    return render("admin/board.html", actor=actor, active="board", figures=figures)
