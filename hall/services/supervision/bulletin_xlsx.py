"""A 月通报's rankings as an XLSX workbook: one sheet per ranking (the hall's departments
and windows, the region's halls), the columns of the printed ranking table
(hall/web/templates/web/ranking.html) with the month's total below, each rate green or
red against its target as the reports' export colours it (``exports.write_table``)."""
from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from hall.domain.i18n import N_
from hall.services.supervision.exports import Gettext, text_cell, write_table

# (label, how to read it from a ranked row, kind, the target that colours it)
RANKING: list[tuple[str, Callable[[dict], Any], str, str | None]] = [
    (N_("Satisfaction rate (满意率)"), lambda r: r["satisfaction_rate"], "rate",
     "satisfaction_rate"),
    (N_("On-the-spot completion rate (现场办结率)"), lambda r: r["onsite_completion_rate"],
     "rate", "onsite_completion_rate"),
    (N_("On-time completion rate (按时办结率)"), lambda r: r["on_time_rate"], "rate",
     "on_time_rate"),
    (N_("Served"), lambda r: r["served"], "count", None),
    (N_("Ratings"), lambda r: r["rated"], "count", None),
    (N_("Cases done"), lambda r: r["cases_done"], "count", None),
    (N_("Overdue cases (超期件数)"), lambda r: r["cases_overdue"], "count", None),
]


def to_xlsx(title: str, rankings: list[tuple[str, str, list[dict[str, Any]]]],
            total: dict[str, Any], _: Gettext) -> bytes:
    """``rankings``: (sheet name, heading of the name column, ranked rows) each."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    kinds = ["text", "text"] + [kind for _l, _g, kind, _t in RANKING]
    for sheet_name, heading, rows in rankings:
        ws = wb.create_sheet(text_cell(_(sheet_name))[:31])
        ws.append([text_cell(title)])
        ws["A1"].font = Font(bold=True, size=14)
        headers = [_("Rank"), text_cell(heading)] + [_(label) for label, *_r in RANKING]
        lines = [[f"{r['rank']}=" if r.get("tied") else r["rank"], text_cell(r["name"])]
                 + [get(r) for _l, get, _k, _t in RANKING] for r in rows]
        lines.append(["", _("Total")] + [get(total) for _l, get, _k, _t in RANKING])
        marks = [[None, None] + [(r.get("target_status") or {}).get(t) if t else None
                                 for *_r, t in RANKING] for r in [*rows, total]]
        write_table(ws, headers, lines, kinds, marks)
        ws.column_dimensions["B"].width = 28
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
