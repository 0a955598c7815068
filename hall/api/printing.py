"""Print jobs: print a ticket, reprint it (staff), and the agent side of jobs whose printer
hangs off another PC.

- ``POST /print-jobs`` {ticket_id, device_id?, lang?}: a job for a ticket just issued; when
  the server drives the printer (the kiosk's device has a printer URL) it prints at once
  and answers with the outcome in plain words; otherwise the job is announced to the agent
  (``print.requested`` in room ``device:<id>``) and answered ``pending``.
- ``POST /print-jobs`` {ticket_id, document}: the paper a finished visit produced (受理回执,
  不予受理通知书, 一次性告知书) on its window's printer, for the window's staff; a window
  without a printer answers 409 ``printer_required`` (the terminal prints the page instead).
- ``POST /tickets/{id}/reprint`` {device_id?, lang?}: the same, for staff or the kiosk.
- ``GET /print-jobs?state=pending``: a device's jobs (an agent after a reconnect).
- ``GET /print-jobs/{id}``: a job with what to print and the label texts.
- ``POST /print-jobs/{id}/result`` {state, error, status}: the agent's answer.

The ticket is always committed before its job exists, so no printer trouble can lose it.
"""
from __future__ import annotations

from typing import Any, Literal

from flask import current_app
from flask_babel import force_locale, get_locale, gettext
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ConfigDict, Field, model_validator

from hall.api.schemas import BigId, DocumentKind, ErrorResponse, Id, Strict, TicketIdPath
from hall.services.devices import printing
from hall.web.auth import current_actor
from hall.web.context import hall_context
from hall.web.pages import base_url

api = APIBlueprint("printing", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="printing")],
                   abp_responses={"401": ErrorResponse, "403": ErrorResponse,
                                  "404": ErrorResponse, "409": ErrorResponse,
                                  "422": ErrorResponse})
SECURED = [{"device": []}, {"session": []}]
Lang = Literal["zh_CN", "en"]



class PrintBody(Strict):
    ticket_id: BigId
    device_id: Id | None = Field(default=None, description="the kiosk whose printer to use (staff)")
    lang: Lang | None = Field(default=None, description="language of the printed labels")
    document: DocumentKind | None = Field(
        default=None, description="print the paper the finished visit produced, on its "
                                  "window's printer, instead of the queue ticket")


class ReprintBody(Strict):
    """Optional: without a body, the ticket is printed where it was, in its language."""

    model_config = ConfigDict(**Strict.model_config, openapi_extra={"required": False})
    device_id: Id | None = None
    lang: Lang | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_body(cls, value: Any) -> Any:
        return {} if value is None else value  # "reprint it" needs no body at all


class JobPath(BaseModel):
    job_id: BigId


class JobsQuery(BaseModel):
    state: Literal["pending", "printed", "failed", "unconfirmed", "all"] = Field(
        default="pending", description="unconfirmed: printed, status unknown (staff check)")
    device_id: Id | None = None
    limit: int = Field(default=50, ge=1, le=500)


class JobQuery(BaseModel):
    lang: Lang | None = None


class PrinterHealth(BaseModel):
    """The printer's status as the agent read it (DLE EOT)."""

    model_config = ConfigDict(extra="allow")
    online: bool | None = None
    paper: Literal["ok", "near_end", "out", "unknown"] | None = None
    cover_open: bool | None = None
    errors: int | None = Field(default=None, ge=0)
    error: str | None = Field(default=None, max_length=200)


class ResultBody(Strict):
    state: Literal["printed", "failed"]
    error: str | None = Field(default=None, max_length=200)
    status: PrinterHealth | None = None
    unconfirmed: bool = Field(default=False, description="printed: the whole job reached "
                              "the printer, but it did not answer the status query after it")


class PrintJobOut(BaseModel):
    id: int
    ticket_id: int
    number: str
    device_id: int | None = Field(description="the device whose printer prints it")
    document: DocumentKind | None = Field(default=None,
                                          description="None: the queue ticket; else the "
                                                      "visit's paper")
    state: Literal["pending", "printed", "failed"]
    unconfirmed: bool = Field(default=False, description="printed, status unknown: flagged "
                                                         "for staff to check")
    attempts: int
    error: str | None
    requested_by: str | None
    created_at: str
    done_at: str | None


class PrintOut(BaseModel):
    """The job just made and, when the server drove the printer, how it went."""

    job: PrintJobOut
    state: Literal["pending", "printed", "failed"]
    printed: bool | None = Field(description="None while an agent has the job")
    reasons: list[str] = Field(description="why it failed, for people")
    status: dict | None = Field(description="the printer's status after printing")
    qr_url: str
    lang: Lang
    message: str = Field(description="what the kiosk tells the visitor (for a document: "
                                     "what the terminal tells the window's staff)")


class JobsOut(BaseModel):
    jobs: list[PrintJobOut]


class JobOut(PrintJobOut):
    """A job with what goes on the paper, and the label texts in ``lang``."""

    content: dict = Field(description="drivers.escpos.ticket.TicketContent as JSON; a "
                                      "document's: drivers.escpos.document.DocumentContent")
    lang: Lang
    labels: dict[str, str]


@api.post("/print-jobs", responses={"201": PrintOut}, security=SECURED)
def create(body: PrintBody):
    return _print(body.ticket_id, body.device_id, body.lang, body.document), 201


@api.post("/tickets/<int:ticket_id>/reprint", responses={"201": PrintOut}, security=SECURED)
def reprint(path: TicketIdPath, body: ReprintBody):
    """Staff (or the kiosk that issued it) print a ticket again: a new job."""
    return _print(path.ticket_id, body.device_id, body.lang), 201


@api.get("/print-jobs", responses={"200": JobsOut}, security=SECURED)
def listing(query: JobsQuery):
    state = None if query.state == "all" else query.state
    return {"jobs": printing.jobs(hall_context(), actor=current_actor(), state=state,
                                  device_id=query.device_id, limit=query.limit)}


@api.get("/print-jobs/<int:job_id>", responses={"200": JobOut}, security=SECURED)
def fetch(path: JobPath, query: JobQuery):
    lang = query.lang or "zh_CN"
    with force_locale(lang):
        job = printing.job(hall_context(), job_id=path.job_id, actor=current_actor(),
                           base_url=base_url(), translate=gettext, english=lang == "en")
        return {**job, "lang": lang, "labels": labels()}


@api.post("/print-jobs/<int:job_id>/result", responses={"200": PrintJobOut},
          security=[{"device": []}])
def result(path: JobPath, body: ResultBody):
    health = body.status.model_dump(exclude_none=True) if body.status else {}
    return printing.finish_job(hall_context(), job_id=path.job_id,
                               printed=body.state == "printed", error=body.error,
                               health=health, actor=current_actor(),
                               unconfirmed=body.unconfirmed).value


def _print(ticket_id: int, device_id: int | None, lang: str | None,
           document: str | None = None) -> dict[str, Any]:
    lang = lang or str(get_locale() or "zh_CN")
    lang = "en" if lang.startswith("en") else "zh_CN"
    with force_locale(lang):
        return printing.print_ticket(
            hall_context(), ticket_id=ticket_id, actor=current_actor(), device_id=device_id,
            base_url=base_url(), lang=lang, printer=current_app.extensions.get("hall.printer"),
            labels=labels(), translate=gettext, timeout=current_app.config.get("PRINT_TIMEOUT"),
            document=document)


def labels() -> dict[str, str]:
    """The printed labels and printer messages in the current locale (for an agent, or
    the thread that prints without a request context)."""
    printer = current_app.extensions.get("hall.printer")
    return {m: gettext(m) for m in (printer.MSGIDS if printer is not None else ())}
