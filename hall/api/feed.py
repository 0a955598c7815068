"""Read-only feeds: queues, the event log (resync), case look-up (办件查询)."""
from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag

from hall.api.schemas import (
    CaseCodeQuery,
    CaseLookup,
    CasePath,
    ErrorResponse,
    EventsOut,
    EventsQuery,
    HallQuery,
    QueuesOut,
)
from hall.realtime.events import readable_rooms, rooms_for
from hall.services.queue import queries
from hall.web.auth import current_actor
from hall.web.context import hall_context

api = APIBlueprint("feed", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="feed")],
                   abp_responses={"401": ErrorResponse, "404": ErrorResponse,
                                  "422": ErrorResponse})


@api.get("/queues", responses={"200": QueuesOut})
def queues(query: HallQuery):
    """Public: what a kiosk or the phone page shows about waiting lines."""
    return queries.queues(hall_context(), query.hall or queries.default_hall(hall_context()))


@api.get("/events", responses={"200": EventsOut}, security=[{"device": []}, {"session": []}])
def events(query: EventsQuery):
    """The hall's event log after ``after``: only the events of the caller's audience, as
    its live rooms carry them (hall/realtime/events.py); continue from ``next_after``."""
    actor = current_actor()
    rooms = readable_rooms(actor)

    def readable(event_type: str, payload: dict) -> bool:
        return not rooms.isdisjoint(rooms_for(actor.hall_id, event_type, payload))

    return queries.events_after(hall_context(), actor.hall_id, query.after, query.limit,
                                readable)


@api.get("/cases/<number>", responses={"200": CaseLookup})
def case(path: CasePath, query: CaseCodeQuery):
    """办件查询: the case number and its look-up code (查询码), both on the 受理回执; an
    unknown number and a wrong code answer alike, and look-ups are rate-limited."""
    return queries.case_by_number(hall_context(), path.number, query.code)
