"""The supervision board over HTTP: ``GET /api/v1/board`` (supervisors and admins).

Alerts are acknowledged through ``POST /api/v1/alerts/<id>/ack`` (hall/api/alerts.py); the
board only reads. Its page follows the hall's room on Socket.IO and re-reads this.
"""
from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from hall.api.schemas import ErrorResponse, Generic
from hall.domain.access import Actor
from hall.domain.errors import Forbidden
from hall.domain.i18n import N_
from hall.services.supervision import board as service
from hall.web.auth import current_actor
from hall.web.context import hall_context

api = APIBlueprint("board", __name__, url_prefix="/api/v1/board", abp_tags=[Tag(name="board")],
                   abp_security=[{"session": []}],
                   abp_responses={"401": ErrorResponse, "403": ErrorResponse})


def supervisor() -> Actor:
    actor = current_actor()
    if not (actor.is_staff and actor.role in ("supervisor", "admin")):
        raise Forbidden(N_("Only supervisors see the board"), "authorization")
    return actor


@api.get("", responses={"200": Generic})
def board():
    """Every window (state, staff, visitor and time-limit clock, idle since), every queue
    (waiting, oldest ticket) and the open alerts of the signed-in supervisor's hall."""
    return service.board(hall_context(), supervisor().hall_id)
