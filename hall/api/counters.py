"""Counter commands: sign-in, open/pause/resume/close and every step of a visit.

Each view validates, calls one service command and returns its value (DESIGN.md §3).
"""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_openapi3 import APIBlueprint, Tag

from hall.api.schemas import (
    AutoDispatchBody,
    AutoDispatchOut,
    CallBody,
    CalledByNumber,
    CallOut,
    CounterChange,
    CounterList,
    CounterPath,
    ErrorResponse,
    FinishBody,
    Finished,
    Generic,
    HoldBody,
    PauseBody,
    Recalled,
    SignedIn,
    TicketChange,
    TicketRef,
    TransferBody,
    Transferred,
)
from hall.domain.access import Actor
from hall.domain.callnext import REASONS
from hall.domain.errors import Forbidden
from hall.domain.i18n import N_
from hall.domain.parallel import PartSpec
from hall.services.counters import state as counters
from hall.services.counters import terminal as counter_board
from hall.services.counters import today as counter_today
from hall.services.queue import calling, queries, visits
from hall.web.auth import current_actor, session_id
from hall.web.context import hall_context

api = APIBlueprint("counters", __name__, url_prefix="/api/v1/counters",
                   abp_tags=[Tag(name="counters")],
                   abp_security=[{"device": []}, {"session": []}],
                   abp_responses={"401": ErrorResponse, "403": ErrorResponse,
                                  "404": ErrorResponse, "409": ErrorResponse,
                                  "422": ErrorResponse})


def _do(command, path: CounterPath, **kwargs):
    return command(hall_context(), counter_id=path.counter_id, actor=current_actor(),
                   **kwargs).value


@api.get("", responses={"200": CounterList})
def index():
    actor = current_actor()
    return {"counters": queries.counters(hall_context(), actor.hall_id)}


def _viewer(counter_id: int) -> Actor:
    """Who may read a counter's board and figures: its own staff, keypad or pad; the hall's
    supervisors and agents. (The hall itself is fenced by the query: repo.owned.)"""
    actor = current_actor()
    if actor.kind == "staff" and actor.role in ("supervisor", "admin"):
        return actor
    if actor.kind == "device" and actor.role == "agent":
        return actor
    if actor.counter_id == counter_id and (
            actor.kind == "staff" or (actor.kind == "device" and actor.role in ("keypad",
                                                                                  "pad"))):
        return actor
    raise Forbidden(N_("Staff may act only at the counter they are signed in at"), "counter")


@api.get("/<int:counter_id>", responses={"200": Generic})
def board(path: CounterPath):
    """The terminal's picture of the counter: its state, the visitor at the window (with why
    they were chosen and the visit's time-limit clock), held and missed tickets, queues."""
    actor = _viewer(path.counter_id)
    view = counter_board.board(hall_context(), path.counter_id, actor)
    if view["current"] is not None:
        view["current"]["call_reason_text"] = explain(view["current"])
    return view


@api.get("/<int:counter_id>/today", responses={"200": Generic})
def today(path: CounterPath):
    """Today's own figures: served, average service time, outcomes, ratings."""
    actor = _viewer(path.counter_id)
    return counter_today.today(hall_context(), path.counter_id, actor)


def explain(current: dict[str, Any]) -> str | None:
    """Why the visitor at the window was called, in the reader's language: the reason
    code's message (hall/domain/callnext.REASONS) with the call's parameters. A call
    recorded before codes were kept shows its sentence as it was stored."""
    message = REASONS.get(current.get("call_reason_code") or "")
    if message is None:
        return current.get("call_reason")
    return _(message) % (current.get("call_reason_params") or {})


@api.post("/<int:counter_id>/sign-in", responses={"200": SignedIn})
def sign_in(path: CounterPath):
    actor = current_actor()
    if not actor.is_staff:
        raise Forbidden(N_("Only staff sign in at a counter"), "authorization")
    return counters.sign_in(hall_context(), counter_id=path.counter_id, staff_id=actor.id,
                            sid=session_id()).value


@api.post("/<int:counter_id>/open", responses={"200": CounterChange})
def open_(path: CounterPath):
    return _do(counters.open_counter, path)


@api.post("/<int:counter_id>/pause", responses={"200": CounterChange})
def pause(path: CounterPath, body: PauseBody):
    return _do(counters.pause, path, reason=body.reason)


@api.post("/<int:counter_id>/resume", responses={"200": CounterChange})
def resume(path: CounterPath):
    return _do(counters.resume, path)


@api.post("/<int:counter_id>/close", responses={"200": CounterChange})
def close(path: CounterPath):
    return _do(counters.close, path)


@api.post("/<int:counter_id>/auto-dispatch", responses={"200": AutoDispatchOut})
def auto_dispatch(path: CounterPath, body: AutoDispatchBody):
    """Turn the hall's auto-dispatch on or off for this window (its staff, a supervisor)."""
    return _do(counters.set_auto_dispatch, path, on=body.on)


@api.post("/<int:counter_id>/call-next", responses={"200": CallOut})
def call_next(path: CounterPath):
    ticket = _do(calling.call_next, path)
    return {"ticket": ticket, "message": None if ticket else _("Nobody is waiting")}


@api.post("/<int:counter_id>/call", responses={"200": CalledByNumber})
def call(path: CounterPath, body: CallBody):
    return _do(calling.call_number, path, number=body.number)


@api.post("/<int:counter_id>/recall", responses={"200": Recalled})
def recall(path: CounterPath):
    return _do(calling.recall, path)


@api.post("/<int:counter_id>/skip", responses={"200": TicketChange})
def skip(path: CounterPath):
    return _do(calling.skip, path)


@api.post("/<int:counter_id>/start", responses={"200": TicketChange})
def start(path: CounterPath):
    return _do(calling.start, path)


@api.post("/<int:counter_id>/finish", responses={"200": Finished})
def finish(path: CounterPath, body: FinishBody):
    return _do(visits.finish, path, outcome=body.outcome, note=body.note,
               fee_cents=body.fee_cents, applicant=body.applicant, fast_track=body.fast_track,
               parts=[PartSpec(**p.model_dump()) for p in body.parts])


@api.post("/<int:counter_id>/transfer", responses={"200": Transferred})
def transfer(path: CounterPath, body: TransferBody):
    return _do(visits.transfer, path, to_service=body.to_service, to_counter=body.to_counter,
               note=body.note, confirm_closed=body.confirm_closed)


@api.post("/<int:counter_id>/hold", responses={"200": TicketChange})
def hold(path: CounterPath, body: HoldBody):
    return _do(calling.hold, path, note=body.note)


@api.post("/<int:counter_id>/unhold", responses={"200": TicketChange})
def unhold(path: CounterPath, body: TicketRef):
    return _do(calling.unhold, path, ticket_id=body.ticket_id)


@api.post("/<int:counter_id>/reinstate", responses={"200": TicketChange})
def reinstate(path: CounterPath, body: TicketRef):
    return _do(calling.reinstate, path, ticket_id=body.ticket_id)
