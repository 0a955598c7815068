"""监察看板 /admin/board: the live supervision board (supervisors and admins).

The page is a shell; board.js reads GET /api/v1/board, follows the hall's Socket.IO room
(re-reading the board at most once a second after events, updating the alert list from
``alert`` events at once) and acknowledges alerts with POST /api/v1/alerts/<id>/ack.
Today's targeted rates, green or red against the hall's targets, are drawn with the page;
现场办结率 with 补正率 and 不予受理率 beside it (DESIGN.md §2: sending an applicant away for
materials or refusing them never flatters it unseen).
"""
from __future__ import annotations

from admin.blueprint import bp
from admin.pages import render, supervisor_page
from hall.domain.i18n import N_
from hall.services.supervision import exports, reports
from hall.web.context import hall_context

BESIDE_ONSITE = [(N_("Correction rate (补正率)"), "correction_rate"),
                 (N_("Refusal rate (不予受理率)"), "refusal_rate")]


@bp.get("/board")
def board_page():
    actor, refusal = supervisor_page()
    if refusal is not None:
        return refusal
    today = reports.report(hall_context(), period="day", group="hall", hall_id=actor.hall_id)
    total, figures = today["total"], []
    for label, measure in exports.TARGETED.items():
        figures.append((label, measure, total.get(measure), today["targets"][measure],
                        total["target_status"].get(measure)))
        if measure == "onsite_completion_rate":
            figures += [(side, key, total.get(key), None, None) for side, key in BESIDE_ONSITE]
    return render("admin/board.html", actor=actor, active="board", figures=figures)
