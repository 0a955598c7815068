"""Reports as tables: CSV and XLSX (openpyxl), with headings in the reader's language.

The same column list feeds both formats and the reports page, so the three never disagree.
Rates stay fractions in XLSX (shown with a percent format, so a spreadsheet can compute on
them) and become percentages with one decimal in CSV; durations are minutes; fees yuan.

Every text cell goes through ``text_cell``: a name someone typed (a service, a window, a
staff member, the hall) that begins like a formula (``=HYPERLINK(…)``) is written as text
with a leading apostrophe, so no spreadsheet runs it.
"""
from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

from hall.domain.assessment import ITEMS, SCORED_GROUPS
from hall.domain.i18n import N_

TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"  # hall/translations
Gettext = Callable[[str], str]

# (label, how to read it from a row, kind): kind is count | rate | minutes | yuan | hours |
# points | lines (a score's items, as text)
COLUMNS: list[tuple[str, Callable[[dict], Any], str]] = [
    (N_("Tickets issued"), lambda r: r["issued"], "count"),
    (N_("Called"), lambda r: r["called"], "count"),
    (N_("Served"), lambda r: r["served"], "count"),
    (N_("Done on the spot (办结)"), lambda r: r["outcomes"]["done"], "count"),
    (N_("Accepted (受理)"), lambda r: r["outcomes"]["accepted"], "count"),
    (N_("Materials missing (补正)"), lambda r: r["outcomes"]["correction"], "count"),
    (N_("Refused (不予受理)"), lambda r: r["outcomes"]["refused"], "count"),
    (N_("Inquiries (咨询)"), lambda r: r["outcomes"]["inquiry"], "count"),
    (N_("Wait p50 (min)"), lambda r: r["wait_p50_s"], "minutes"),
    (N_("Wait p90 (min)"), lambda r: r["wait_p90_s"], "minutes"),
    (N_("Wait mean (min)"), lambda r: r["wait_mean_s"], "minutes"),
    (N_("Service p50 (min)"), lambda r: r["service_p50_s"], "minutes"),
    (N_("Service p90 (min)"), lambda r: r["service_p90_s"], "minutes"),
    (N_("Service mean (min)"), lambda r: r["service_mean_s"], "minutes"),
    (N_("Service level"), lambda r: r["service_level"], "rate"),
    (N_("No-show rate"), lambda r: r["no_show_rate"], "rate"),
    (N_("On-the-spot completion rate (现场办结率)"), lambda r: r["onsite_completion_rate"],
     "rate"),
    (N_("Correction rate (补正率)"), lambda r: r["correction_rate"], "rate"),
    (N_("Refusal rate (不予受理率)"), lambda r: r["refusal_rate"], "rate"),
    (N_("On-time completion rate (按时办结率)"), lambda r: r["on_time_rate"], "rate"),
    (N_("Satisfaction rate (满意率)"), lambda r: r["satisfaction_rate"], "rate"),
    (N_("Ratings"), lambda r: r["rated"], "count"),
    (N_("Very satisfied"), lambda r: r["ratings"]["5"], "count"),
    (N_("Satisfied"), lambda r: r["ratings"]["4"], "count"),
    (N_("Basically satisfied"), lambda r: r["ratings"]["3"], "count"),
    (N_("Dissatisfied"), lambda r: r["ratings"]["2"], "count"),
    (N_("Very dissatisfied"), lambda r: r["ratings"]["1"], "count"),
    (N_("Follow-ups opened"), lambda r: r["followups_opened"], "count"),
    (N_("Follow-up rate"), lambda r: r["followup_rate"], "rate"),
    (N_("Revisits"), lambda r: r["revisits"], "count"),
    (N_("Revisit satisfaction"), lambda r: r["revisit_satisfaction"], "rate"),
    (N_("Recalls"), lambda r: r["recalls"], "count"),
    (N_("Transfers"), lambda r: r["transfers"], "count"),
    (N_("No-shows"), lambda r: r["no_show"], "count"),
    (N_("Cases received"), lambda r: r["cases_received"], "count"),
    (N_("Cases done"), lambda r: r["cases_done"], "count"),
    (N_("Cases concluded"), lambda r: r["cases_concluded"], "count"),
    (N_("Overdue cases (超期件数)"), lambda r: r["cases_overdue"], "count"),
    (N_("Urgings (催办)"), lambda r: r["urgings"], "count"),
    (N_("Admonitions (效能告诫)"), lambda r: r["admonitions"], "count"),
    (N_("First contacts (首问)"), lambda r: r["first_contacts"], "count"),
    (N_("Numbers taken for visitors (代取号)"), lambda r: r["tickets_taken"], "count"),
    (N_("Fees collected (yuan)"), lambda r: r["fees_cents"], "yuan"),
    (N_("Open (h)"), lambda r: r.get("open_s"), "hours"),
    (N_("Idle (h)"), lambda r: r.get("idle_s"), "hours"),
]
# 日考核 of a staff member or a window (SCORED_GROUPS only): over the period, the sum of the
# daily scores (a week's is its 周汇总), their mean, the days scored, and the counts behind
SCORE_COLUMNS: list[tuple[str, Callable[[dict], Any], str]] = [
    (N_("Daily assessment: total points"), lambda r: _score(r, "sum"), "points"),
    (N_("Daily assessment: mean points"), lambda r: _score(r, "mean"), "points"),
    (N_("Days assessed"), lambda r: _score(r, "days_scored"), "count"),
    (N_("Points deducted and credited"), lambda r: _score(r, "lines"), "lines"),
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may read as a formula
# the columns a target colours (hall/domain/targets.py): label → the report's measure key
TARGETED = {
    N_("Service level"): "service_level",
    N_("On-the-spot completion rate (现场办结率)"): "onsite_completion_rate",
    N_("On-time completion rate (按时办结率)"): "on_time_rate",
    N_("Satisfaction rate (满意率)"): "satisfaction_rate",
}
MARKS = {"met": N_("met"), "missed": N_("missed")}
GREEN, RED = "C6EFCE", "FFC7CE"  # the spreadsheet's usual good / bad fills
GROUP_LABELS = {"hall": N_("Hall"), "department": N_("Department"), "service": N_("Service"),
                "counter": N_("Window"), "staff": N_("Staff member"),
                "staff_department": N_("Staff member's department")}


def _score(row: dict[str, Any], key: str) -> Any:
    return (row.get("score") or {}).get(key)


def columns(report: dict[str, Any]) -> list[tuple[str, Callable[[dict], Any], str]]:
    """The report's columns: the figures, and the assessment where it scores its rows."""
    return COLUMNS + (SCORE_COLUMNS if report["group"] in SCORED_GROUPS else [])


def kinds(report: dict[str, Any]) -> list[str]:
    """Each column's kind, the first (the row's name) and the pause columns included."""
    return ["text"] + [kind for _l, _g, kind in columns(report)] + \
        ["hours"] * len(pause_reasons(report))


def _lines(lines: list[dict[str, Any]], _: Gettext) -> str:
    """A score's items as words: "Bad reviews 1 (-2); …" (what moved it, and by how much)."""
    return "; ".join(f"{_(ITEMS[ln['item']])} {ln['count']} ({ln['points']:+g})"
                     for ln in lines)


def translator(lang: str = "zh_CN") -> Gettext:
    """gettext for ``lang`` without a Flask request (the CLI exports too)."""
    if lang.startswith("en"):
        return NullTranslations().gettext
    return Translations.load(str(TRANSLATIONS), ["zh_Hans_CN"]).gettext


def _value(raw: Any, kind: str, for_csv: bool, _: Gettext) -> Any:
    if raw is None:
        return None
    if kind == "lines":
        return _lines(raw, _)
    if kind == "minutes":
        return round(raw / 60, 1)
    if kind == "hours":
        return round(raw / 3600, 2)
    if kind == "yuan":
        return round(raw / 100, 2)
    if kind == "rate" and for_csv:
        return round(raw * 100, 1)
    return raw


def text_cell(text: Any) -> Any:
    """``text`` as a spreadsheet cell that can only be text (CSV and XLSX alike)."""
    return "'" + text if isinstance(text, str) and text.startswith(FORMULA_START) else text


def pause_reasons(report: dict[str, Any]) -> list[str]:
    return sorted((report["total"].get("pauses") or {}).keys())


def table(report: dict[str, Any], _: Gettext, for_csv: bool = False
          ) -> tuple[list[str], list[list[Any]]]:
    reasons = pause_reasons(report)
    cols = columns(report)
    headers = [_(GROUP_LABELS[report["group"]])] + [
        _(label) + (" %" if kind == "rate" and for_csv else "") for label, _get, kind in cols
    ] + [_("Paused (h): %(reason)s") % {"reason": r} for r in reasons]
    rows = []
    for row in [*report["rows"], {**report["total"], "name": _("Total")}]:
        pauses = row.get("pauses") or {}
        rows.append([row["name"]] + [_value(get(row), kind, for_csv, _)
                                     for _l, get, kind in cols]
                    + [_value(pauses.get(r), "hours", for_csv, _) for r in reasons])
    return headers, rows


def sheet(report: dict[str, Any], _: Gettext, for_csv: bool = False
          ) -> tuple[list[str], list[list[Any]]]:
    """``table`` for a file a spreadsheet opens: every text cell through ``text_cell``."""
    headers, rows = table(report, _, for_csv)
    return [text_cell(h) for h in headers], [[text_cell(v) for v in row] for row in rows]


def marks(report: dict[str, Any]) -> list[list[str | None]]:
    """Parallel to ``table``'s rows and columns: "met" / "missed" where a target colours the
    cell (green / red), else None."""
    reasons = pause_reasons(report)
    out = []
    for row in [*report["rows"], report["total"]]:
        status = row.get("target_status") or {}
        out.append([None] + [status.get(TARGETED[label]) if label in TARGETED else None
                             for label, _get, _kind in columns(report)]
                   + [None] * len(reasons))
    return out


def to_csv(report: dict[str, Any], _: Gettext) -> str:
    """UTF-8 with a BOM so that Excel opens Chinese text right. CSV has no colours: each
    targeted rate is followed, at the end of the line, by whether it met its target."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    headers, rows = sheet(report, _, for_csv=True)
    targets = report.get("targets") or {}
    goals = [(label, measure) for label, measure in TARGETED.items() if measure in targets]
    writer.writerow(headers + [text_cell(_("%(measure)s: target %(target)s%%") % {
        "measure": _(label), "target": round(targets[m] * 100, 1)}) for label, m in goals])
    for row, data in zip(rows, [*report["rows"], report["total"]], strict=True):
        status = data.get("target_status") or {}
        writer.writerow(["" if v is None else v for v in row]
                        + [_(MARKS[status[m]]) if status.get(m) else "" for _l, m in goals])
    return out.getvalue()


def to_xlsx(report: dict[str, Any], _: Gettext) -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("Figures")[:31]
    period = report["period"]
    ws.append([text_cell(f"{report['hall']}  {period['label']}  "
                         f"({period['start']} – {period['end']})")])
    ws["A1"].font = Font(bold=True, size=14)
    headers, rows = sheet(report, _)
    write_table(ws, headers, rows, kinds(report), marks(report))

    charts = report["charts"]
    hours = wb.create_sheet(_("By hour")[:31])
    hours.append([_("Hour"), _("Tickets issued"), _("Served")])
    for h, issued, served in zip(charts["hours"], charts["issued_by_hour"],
                                 charts["served_by_hour"], strict=True):
        hours.append([f"{h:02d}:00", issued, served])
    line = LineChart()
    line.title = _("Arrivals and visits served by hour")
    line.add_data(Reference(hours, min_col=2, max_col=3, min_row=1, max_row=25),
                  titles_from_data=True)
    line.set_categories(Reference(hours, min_col=1, min_row=2, max_row=25))
    hours.add_chart(line, "E2")

    waits = wb.create_sheet(_("Waits")[:31])
    waits.append([_("Wait from (min)"), _("Tickets")])
    for edge, n in zip(charts["wait_bands_s"], charts["wait_bands"], strict=True):
        waits.append([edge // 60, n])
    bar = BarChart()
    bar.title = _("Wait distribution")
    bar.add_data(Reference(waits, min_col=2, min_row=1, max_row=len(charts["wait_bands"]) + 1),
                 titles_from_data=True)
    bar.set_categories(Reference(waits, min_col=1, min_row=2,
                                 max_row=len(charts["wait_bands"]) + 1))
    waits.add_chart(bar, "D2")

    goals = wb.create_sheet(_("Targets")[:31])
    goals.append([_("Measure"), _("Target")])
    for label, measure in TARGETED.items():
        if measure in (report.get("targets") or {}):
            goals.append([_(label), report["targets"][measure]])
            goals.cell(goals.max_row, 2).number_format = "0.0%"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def write_table(ws: Any, headers: list[str], rows: list[list[Any]], kinds: list[str],
                row_marks: list[list[str | None]]) -> None:
    """Below the sheet's title line: the headings (bold), then each row with its cells
    formatted by kind (rates as percentages, durations with decimals) and filled green or
    red where a target marks them; the last row (the total) bold."""
    from openpyxl.styles import Font, PatternFill

    ws.append(headers)
    for c in ws[ws.max_row]:
        c.font = Font(bold=True)
    fills = {"met": PatternFill("solid", fgColor=GREEN), "missed": PatternFill("solid",
                                                                            fgColor=RED)}
    for row, marked in zip(rows, row_marks, strict=True):
        ws.append(row)
        for c, kind, mark in zip(ws[ws.max_row], kinds, marked, strict=True):
            if kind == "rate":
                c.number_format = "0.0%"
            elif kind in ("minutes", "hours", "yuan", "points"):
                c.number_format = "0.00" if kind != "minutes" else "0.0"
            if mark:
                c.fill = fills[mark]
    ws[f"A{ws.max_row}"].font = Font(bold=True)
    ws.column_dimensions["A"].width = 28
    ws.freeze_panes = "B3"


def cell(value: Any, kind: str) -> str:
    """A figure as the page and the text report show it (the XLSX holds the number)."""
    if value is None:
        return "–"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "minutes":
        return f"{value:.1f}"
    if kind in ("hours", "yuan", "points"):
        return f"{value:.2f}"
    return str(value)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = True) -> str:
    room = " " * max(width - _width(text), 0)
    return room + text if right else text + room


def as_text(report: dict[str, Any], _: Gettext) -> str:
    """`hall report` as text: the page's table turned on its side (a line per measure, a
    column per row and the total), the same figures in the same formats, each targeted
    rate marked ✓ (met) or ✗ (missed), and the targets above the table."""
    headers, rows = table(report, _)
    marks_ = marks(report)
    period = report["period"]
    targets = report.get("targets") or {}
    lines = [f"{report['hall']}  {period['label']}  ({period['start']} – {period['end']})  "
             f"{_(GROUP_LABELS[report['group']])}"]
    if targets:
        lines.append(_("Targets") + ": " + "  ".join(
            f"{_(label)} ≥ {targets[m] * 100:.1f}%" for label, m in TARGETED.items()
            if m in targets))
    names = [str(r[0]) for r in rows]
    shown = [[cell(v, k) if k != "text" else str(v)
              for v, k in zip(row, kinds(report), strict=True)] for row in rows]
    for col, row_marks in zip(shown, marks_, strict=True):
        for i, mark in enumerate(row_marks):
            if mark:
                col[i] += "✓" if mark == "met" else "✗"
    label_w = max(_width(h) for h in headers[1:]) + 2
    widths = [max(_width(n), *(_width(c) for c in col[1:])) + 2
              for n, col in zip(names, shown, strict=True)]
    lines.append(_pad("", label_w, False) + "".join(
        _pad(n, w) for n, w in zip(names, widths, strict=True)))
    for i, label in enumerate(headers[1:], start=1):
        lines.append(_pad(label, label_w, False) + "".join(
            _pad(col[i], w) for col, w in zip(shown, widths, strict=True)))
    return "\n".join(lines)
