"""Tickets: issue (kiosk, reception), status by public token, cancel, rate; the paper a
finished visit produced, for its window's staff."""
from __future__ import annotations

from flask_babel import get_locale, gettext
from flask_openapi3 import APIBlueprint, Tag

from hall.api.appointments import with_check_in_note
from hall.api.schemas import (
    DocumentOut,
    ErrorResponse,
    IssueBody,
    NotifyBody,
    NotifyOut,
    Rated,
    RatingBody,
    TicketChange,
    TicketIdPath,
    TicketOut,
    TicketStatus,
    TokenPath,
)
from hall.domain.access import Actor
from hall.services.cases import documents
from hall.services.queue import idcard, notify, queries, tickets
from hall.services.ratings import late
from hall.services.ratings import rating as ratings
from hall.web.auth import current_actor
from hall.web.context import hall_context
from hall.web.pages import base_url

api = APIBlueprint("tickets", __name__, url_prefix="/api/v1/tickets",
                   abp_tags=[Tag(name="tickets")],
                   abp_responses={"401": ErrorResponse, "403": ErrorResponse,
                                  "404": ErrorResponse, "409": ErrorResponse,
                                  "422": ErrorResponse})
SECURED = [{"device": []}, {"session": []}]


@api.post("", responses={"201": TicketOut}, security=SECURED)
def issue(body: IssueBody):
    """Issue a ticket (kiosk or reception staff). ``id_number`` counts against the service's
    per-person daily limit (required when it has one) and is kept only as a keyed hash."""
    actor = current_actor()
    if body.card:  # an ID card laid on the kiosk's reader, sealed by the server
        result = idcard.issue_card(hall_context(), hall_id=actor.hall_id, service=body.service,
                                   actor=actor, card=body.card, kind=body.kind,
                                   priority_reason=body.priority_reason, phone=body.phone)
        return with_check_in_note(result.value), 201
    result = tickets.issue(hall_context(), hall_id=actor.hall_id, service=body.service,
                           actor=actor, kind=body.kind, priority_reason=body.priority_reason,
                           appointment_code=body.appointment_code, id_number=body.id_number,
                           phone=body.phone)
    return with_check_in_note(result.value), 201


@api.get("/<token>", responses={"200": TicketStatus})
def status(path: TokenPath):
    return queries.ticket_by_token(hall_context(), path.token)


@api.post("/<token>/notify", responses={"201": NotifyOut, "429": ErrorResponse})
def follow(path: TokenPath, body: NotifyBody):
    """The visitor (the ticket's phone page) leaves a phone, or a WeChat openid, to be told
    when few are ahead and when the number is called or passed. The number is kept masked
    with a keyed hash, and erased after the hall's number of days."""
    result = notify.subscribe(hall_context(), token=path.token, channel=body.channel,
                              phone=body.phone, openid=body.openid)
    return result.value, 201


@api.post("/<token>/cancel", responses={"200": TicketChange})
def cancel(path: TokenPath):
    """The visitor holding the ticket (its token is the proof) gives up their place."""
    ticket = queries.ticket_by_token(hall_context(), path.token)
    visitor = Actor("visitor", None, None, "holder")
    return tickets.cancel(hall_context(), hall_id=ticket["hall_id"], actor=visitor,
                          token=path.token).value


@api.post("/<int:ticket_id>/rating", responses={"201": Rated}, security=SECURED)
def rate(path: TicketIdPath, body: RatingBody):
    result = ratings.rate(hall_context(), ticket_id=path.ticket_id, level=body.level,
                          actor=current_actor(), reason=body.reason, comment=body.comment,
                          dimensions=body.dimensions)
    return result.value, 201


@api.post("/<token>/phone-rating", responses={"201": Rated})
def rate_by_phone(path: TokenPath, body: RatingBody):
    """The visitor rates from the ticket's phone page (its token is the proof), within the
    hall's days; once per visit across pad, keypad and phone. For a 承诺件 whose visit is
    rated, the case's 办结 rating once it is done (一事多评)."""
    result = late.rate_by_phone(hall_context(), token=path.token, level=body.level,
                                reason=body.reason, comment=body.comment,
                                dimensions=body.dimensions)
    return result.value, 201


@api.get("/<int:ticket_id>/document", responses={"200": DocumentOut}, security=SECURED)
def document(path: TicketIdPath):
    """The 受理回执, 不予受理通知书 or 一次性告知书 of a finished visit, in the reader's
    language, exactly as the window's printer and the print page show it."""
    return documents.document(hall_context(), ticket_id=path.ticket_id, actor=current_actor(),
                              base_url=base_url(), translate=gettext,
                              english=str(get_locale() or "").startswith("en"))
