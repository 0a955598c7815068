"""Reports over HTTP: JSON for the reports page, CSV and XLSX downloads (supervisors)."""
from __future__ import annotations

from typing import Literal

from flask import Response
from flask_babel import get_locale
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ConfigDict, Field

from hall.api.schemas import Day, ErrorResponse, Generic
from hall.domain.errors import Forbidden
from hall.domain.i18n import N_
from hall.services.supervision import exports, reports
from hall.web.auth import current_actor
from hall.web.context import hall_context

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

api = APIBlueprint("reports", __name__, url_prefix="/api/v1/reports",
                   abp_tags=[Tag(name="reports")],
                   abp_responses={"401": ErrorResponse, "403": ErrorResponse,
                                  "422": ErrorResponse})


class ReportQuery(BaseModel):
    period: Literal["day", "week", "month", "range"] = "day"
    on: Day | None = Field(default=None, description="a day in the period (default today); "
                                                     "the start of a range")
    end: Day | None = Field(default=None, description="last day of a range")
    group: Literal["hall", "department", "service", "counter", "staff",
                   "staff_department"] = "service"
    format: Literal["json", "csv", "xlsx"] = "json"


class ReportOut(Generic):
    """The report as JSON; ``format=csv`` or ``xlsx`` answers the same as a download."""

    model_config = ConfigDict(extra="allow", openapi_extra={"content": {
        "text/csv": {"schema": {"type": "string"}},
        XLSX: {"schema": {"type": "string", "format": "binary"}}}})


@api.get("", responses={"200": ReportOut}, security=[{"session": []}])
def report(query: ReportQuery):
    actor = current_actor()
    if not (actor.is_staff and actor.role in ("supervisor", "admin")):
        raise Forbidden(N_("Only supervisors see reports"), "authorization")
    data = reports.report(hall_context(), period=query.period, on=query.on, end=query.end,
                          group=query.group, hall_id=actor.hall_id)
    if query.format == "json":
        return data
    _ = exports.translator(str(get_locale() or "zh_CN"))
    name = f"hall-{data['period']['label']}-{query.group}.{query.format}"
    if query.format == "csv":
        body, mime = exports.to_csv(data, _).encode("utf-8"), CSV
    else:
        body, mime = exports.to_xlsx(data, _), XLSX
    return Response(body, mimetype=mime,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
