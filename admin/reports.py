"""报表 /admin/reports and 月通报 /admin/reports/bulletin (supervisors and admins).

The reports page is rendered on the server from ``reports.report`` and the very column list
the CSV and XLSX exports use (``exports.table``), so the page and the downloads never
disagree; reports.js draws the charts (Chart.js) from the figures in ``data-*`` attributes.
The bulletin ranks the month's departments and windows (admin/ranking.py) on a page made
for printing on A4.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from flask import request
from flask_babel import get_locale, gettext

from admin.blueprint import bp
from admin.pages import error_page, render, supervisor_page
from hall.domain import complaints, ranking
from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.services.config import zone
from hall.services.supervision import assessment, bulletin, exports, reports
from hall.web import pdf
from hall.web.context import hall_context
from hall.web.errors import translate

DEFAULTS = {"period": "day", "group": "counter"}


def _today(hall_id: int) -> date:
    """Today where the hall is (halls.timezone), not in the server's default zone: a hall
    five hours west of Beijing still has yesterday's evening when Beijing's day begins."""
    return zone.today(hall_context(), hall_id)


cell = exports.cell  # the page's formats are the text report's


def _table(data: dict[str, Any]) -> dict[str, Any]:
    headers, rows = exports.table(data, gettext)
    kinds = exports.kinds(data)
    return {"headers": headers, "kinds": kinds, "marks": exports.marks(data),
            "rows": [[cell(v, k) if k != "text" else v for v, k in zip(row, kinds, strict=True)]
                     for row in rows]}


def _chart_data(data: dict[str, Any]) -> dict[str, Any]:
    keep = ("name", "served", "issued", "satisfaction_rate", "onsite_completion_rate",
            "on_time_rate", "wait_p50_s", "service_level")
    return {**data["charts"], "group": data["group"],
            "rows": [{k: r.get(k) for k in keep} for r in data["rows"]]}


@bp.get("/reports")
def reports_page():
    actor, refusal = supervisor_page()
    if refusal is not None:
        return refusal
    form = {"period": request.args.get("period") or DEFAULTS["period"],
            "on": request.args.get("on") or _today(actor.hall_id).isoformat(),
            "end": request.args.get("end") or "",
            "group": request.args.get("group") or DEFAULTS["group"]}
    try:
        data = reports.report(hall_context(), period=form["period"], on=form["on"],
                              end=form["end"] or None, group=form["group"],
                              hall_id=actor.hall_id)
    except DomainError as err:
        return render("admin/reports.html", actor=actor, active="reports", form=form,
                      data=None, error={"field": err.field, "message": translate(err)},
                      groups=_groups(), status=400)
    query = {k: v for k, v in form.items() if v}
    lang = "en" if str(get_locale() or "").startswith("en") else "zh_CN"
    downloads = {fmt: "/api/v1/reports?" + urlencode({**query, "format": fmt, "lang": lang})
                 for fmt in ("csv", "xlsx")}
    return render("admin/reports.html", actor=actor, active="reports", form=form, data=data,
                  table=_table(data), charts=_chart_data(data), downloads=downloads,
                  groups=_groups(), error=None)


def _groups() -> list[tuple[str, str]]:
    return [(g, gettext(exports.GROUP_LABELS[g])) for g in reports.GROUPS]


def _month(value: str | None, hall_id: int) -> date:
    """The month asked for, else the last month that has data (hall/services/supervision/
    bulletin.py), so the bulletin never opens on an empty page when there is something."""
    if not value:
        return bulletin.last_month_with_data(hall_context(), hall_id, _today(hall_id))
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise DomainError("invalid_month", N_("Not a month (YYYY-MM): %(value)s"), "month",
                          value=value) from None


LEVEL_WORDS = {"reminder": N_("Reminder (提醒)"), "admonition": N_("Admonition (告诫)"),
               "criticism": N_("Public criticism (通报批评)")}


def _bulletin(hall_id: int, first: date) -> dict[str, Any]:
    """Everything the page and its PDF show: the month's figures against the targets, the
    rankings (departments and windows by the rates, staff and windows by their daily
    assessment) and the month's over-limit visits, overdue cases, urgings, admonitions and
    complaints."""
    ctx = hall_context()
    depts = reports.report(ctx, period="month", on=first, group="department", hall_id=hall_id)
    windows = reports.report(ctx, period="month", on=first, group="counter", hall_id=hall_id)
    p = reports.period_of("month", first)
    scores = assessment.assess(ctx, hall_id, p.start, p.end)
    lists = bulletin.lists(ctx, hall_id, p.start, p.end)
    admonition_rows = [{**a, "level": gettext(LEVEL_WORDS[a["level"]]),
                        "state": gettext("withdrawn") if a["withdrawn"] else
                        gettext("acknowledged") if a["acknowledged"] else ""}
                       for a in lists["admonitions"]]
    complaint_rows = [_complaint_row(c) for c in lists["complaints"]]
    return {"month": first.strftime("%Y-%m"), "hall": depts["hall"], "total": depts["total"],
            "departments": ranking.rank(depts["rows"]), "windows": ranking.rank(windows["rows"]),
            "staff_scores": scores["staff"], "window_scores": scores["counter"],
            "lists": lists, "admonition_rows": admonition_rows,
            "complaint_rows": complaint_rows,
            "generated": _today(hall_id).isoformat()}


def _complaint_row(c: dict[str, Any]) -> dict[str, Any]:
    """A complaint of the bulletin in the reader's words (the codes looked up first, so
    that extraction sees only the labels' own strings)."""
    category, state = complaints.CATEGORIES[c["category"]], complaints.STATE_LABELS[c["state"]]
    upheld = "" if c["upheld"] is None else gettext("Upheld") if c["upheld"] else \
        gettext("Not upheld")
    return {**c, "category": gettext(category), "state": gettext(state), "upheld": upheld}


@bp.get("/reports/bulletin")
def bulletin_page():
    actor, refusal = supervisor_page()
    if refusal is not None:
        return refusal
    try:
        first = _month(request.args.get("month"), actor.hall_id)
        data = _bulletin(actor.hall_id, first)
    except DomainError as err:
        return error_page(actor, 400, gettext("Monthly bulletin"), translate(err))
    if request.args.get("format") == "pdf":
        return pdf.bulletin_pdf("admin/bulletin_body.html", f"bulletin-{data['month']}.pdf",
                                **data)
    return render("admin/bulletin.html", actor=actor, active="bulletin", **data)
