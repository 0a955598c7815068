"""The 好差评 data exchange for supervisors (issue 19 item 5): pending / sent / failed
records with their reasons, sending a failed one again, and a period's records as CSV or
XLSX in the interface's own fields (session + CSRF)."""
from __future__ import annotations

from datetime import date
from typing import Literal

from flask import Response
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ConfigDict, Field

from hall.api.schemas import BigId, ErrorResponse, Generic, OutboxQuery
from hall.services.ratings import exchange
from hall.web.auth import current_actor
from hall.web.context import hall_context

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

api = APIBlueprint("exchange", __name__, url_prefix="/api/v1/exchange",
                   abp_tags=[Tag(name="exchange")],
                   abp_responses={"401": ErrorResponse, "403": ErrorResponse,
                                  "404": ErrorResponse, "409": ErrorResponse,
                                  "422": ErrorResponse})
SESSION = [{"session": []}]


class RecordPath(BaseModel):
    record_id: BigId


class ExportQuery(BaseModel):
    since: date | None = Field(default=None, description="first hall-local day, YYYY-MM-DD "
                                                          "(default: the month's first)")
    until: date | None = Field(default=None, description="last hall-local day, YYYY-MM-DD "
                                                          "(default: today)")
    format: Literal["json", "csv", "xlsx"] = "csv"


class ExchangeRow(BaseModel):
    id: int
    topic: str
    key: str
    state: Literal["pending", "sent", "failed"]
    attempts: int
    next_at: str | None
    last_error: str | None = Field(description="why the last try failed (the endpoint's "
                                               "answer)")
    created_at: str | None
    sent_at: str | None
    record: dict


class ExchangeCounts(BaseModel):
    pending: int
    sent: int
    failed: int


class ExchangeOut(BaseModel):
    counts: ExchangeCounts
    records: list[ExchangeRow]


class ExportOut(Generic):
    """The records as JSON; ``format=csv`` or ``xlsx`` answers the same as a download."""

    model_config = ConfigDict(extra="allow", openapi_extra={"content": {
        "text/csv": {"schema": {"type": "string"}},
        XLSX: {"schema": {"type": "string", "format": "binary"}}}})


@api.get("", responses={"200": ExchangeOut}, security=SESSION)
def status(query: OutboxQuery):
    """Counts by state and the latest records, failed first, with the reason of each."""
    return exchange.status(hall_context(), actor=current_actor(), state=query.state,
                           limit=query.limit)


@api.post("/<int:record_id>/resend", responses={"200": ExchangeRow}, security=SESSION)
def resend(path: RecordPath):
    """Send a failed record again (pending, due now); any other state is 409."""
    return exchange.resend(hall_context(), actor=current_actor(),
                           record_id=path.record_id).value


@api.get("/export", responses={"200": ExportOut}, security=SESSION)
def export(query: ExportQuery):
    """The records of ratings given on the days since..until (the hall's days)."""
    found = exchange.records(hall_context(), actor=current_actor(), start=query.since,
                             end=query.until)
    rows, first, last = found["records"], found["since"], found["until"]
    if query.format == "json":
        return {"since": first.isoformat(), "until": last.isoformat(), "records": rows}
    name = f"haocha-{first:%Y%m%d}-{last:%Y%m%d}.{query.format}"
    if query.format == "csv":
        body, mime = exchange.to_csv(rows), CSV
    else:
        body, mime = exchange.to_xlsx(rows), XLSX
    return Response(body, mimetype=mime,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
