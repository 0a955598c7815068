"""监察看板 /admin/board: the live supervision board (supervisors and admins).

The page is a shell; board.js reads GET /api/v1/board, follows the hall's Socket.IO room
(re-reading the board at most once a second after events, updating the alert list from
``alert`` events at once) and acknowledges alerts with POST /api/v1/alerts/<id>/ack.
"""
from __future__ import annotations

from admin.blueprint import bp
from admin.pages import render, supervisor_page


@bp.get("/board")
def board_page():
    actor, refusal = supervisor_page()
    if refusal is not None:
        return refusal
    return render("admin/board.html", actor=actor, active="board")
