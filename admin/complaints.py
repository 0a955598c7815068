"""投诉建议 /admin/complaints (supervisors and admins): the hall's complaints with filters
(state, overdue), each with its target, source and history; take it, reply (属实 or not),
close it; and the staff entry of a complaint received by phone, in the 意见簿 or as a
12345 work order (its number kept).

The page is a shell with the words and menus; complaints.js reads GET /api/v1/complaints,
acts with POST /api/v1/complaints/<id>/take|reply|close and POST /api/v1/complaints, and
re-reads on ``complaint.*`` events of the hall's room.
"""
from __future__ import annotations

from flask_babel import gettext

from admin.blueprint import bp
from admin.pages import render, supervisor_page
from hall.domain import complaints as domain
from hall.services.supervision import admonitions, board
from hall.web.context import hall_context


@bp.get("/complaints")
def complaints_page():
    actor, refusal = supervisor_page()
    if refusal is not None:
        return refusal

    def words(labels: dict[str, str]) -> dict[str, str]:
        return {key: gettext(label) for key, label in labels.items()}

    return render("admin/complaints.html", actor=actor, active="complaints",
                  categories=words(domain.CATEGORIES), sources=words(domain.SOURCE_LABELS),
                  staff_sources={k: v for k, v in words(domain.SOURCE_LABELS).items()
                                 if k in domain.STAFF_SOURCES},
                  states=words(domain.STATE_LABELS), levels=words(admonitions.LEVELS),
                  **board.choices(hall_context(), actor.hall_id))
