"""效能监察 over HTTP (issue 18): targets colour the figures on the board, the reports page
and the exports; urging reaches the window live; admonitions are acknowledged by the person;
the monthly bulletin as a PDF."""
from __future__ import annotations

import csv
import io
import json
import re

from openpyxl import load_workbook
from sqlalchemy import text

from tests.e2e.conftest import sign_in_at_counter
from tests.e2e.test_counter_api import act, issued


def serve_with(client, kiosk_headers, staff, outcomes: list[str], counter: int = 1) -> None:
    for outcome in outcomes:
        issued(client, kiosk_headers)
        act(staff, counter, "call-next")
        act(staff, counter, "start")
        act(staff, counter, "finish", outcome=outcome,
            **({"applicant": "张三"} if outcome == "accepted" else {}))


def set_targets(app, **targets) -> None:
    ctx = app.extensions["hall"]
    with ctx.engine.begin() as conn:
        raw = conn.execute(text("SELECT settings FROM halls")).scalar_one()
        settings = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
        conn.execute(text("UPDATE halls SET settings = :s"),
                     {"s": json.dumps({**settings, "targets": targets})})
    ctx.cache.clear()


def onsite_cell(page: str) -> str:
    """The reports page's total row: the class of its 现场办结率 cell."""
    head = re.findall(r"<th[^>]*>([^<]*)</th>", page.split('id="report-table"')[1])
    total = re.findall(r"<td([^>]*)>([^<]*)</td>", page.split('class="total"')[1])
    i = next(i for i, h in enumerate(head) if "现场办结率" in h)
    return total[i][0] + " " + total[i][1]


def test_targets_colour_the_figures(app, client, kiosk_headers, staff_client,
                                    supervisor_client):
    sign_in_at_counter(staff_client)
    serve_with(client, kiosk_headers, staff_client, ["done", "accepted", "accepted"])
    # 现场办结率 1 / 3 = 33.3 %: below the default target of 90 % → red everywhere
    page = supervisor_client.get("/admin/reports?period=day&group=counter").text
    assert "target-missed" in onsite_cell(page) and "33.3%" in onsite_cell(page)
    data = supervisor_client.get("/api/v1/reports?period=day&group=counter").json
    assert data["targets"]["onsite_completion_rate"] == 0.9
    assert data["total"]["target_status"]["onsite_completion_rate"] == "missed"
    assert data["total"]["target_status"]["satisfaction_rate"] is None  # nothing rated
    board = supervisor_client.get("/admin/board").text
    strip = board.split('id="board-figures"')[1].split("</section>")[0]
    assert re.search(r'class="target-missed" data-measure="onsite_completion_rate"><span>33.3%',
                     strip)
    assert "target 90%" in strip or "目标 90%" in strip

    xlsx = supervisor_client.get("/api/v1/reports?period=day&group=counter&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).worksheets[0]
    col = next(c.column for c in sheet[2] if "现场办结率" in str(c.value))
    assert sheet.cell(sheet.max_row, col).fill.fgColor.rgb.endswith("FFC7CE")  # red
    rows = list(csv.reader(io.StringIO(supervisor_client.get(
        "/api/v1/reports?period=day&group=counter&format=csv&lang=en").text.lstrip("\ufeff"))))
    mark = next(i for i, h in enumerate(rows[0]) if h.startswith(
        "On-the-spot completion rate (现场办结率): target 90"))
    assert rows[-1][mark] == "missed"

    set_targets(app, onsite_completion=30)  # the hall's own target: 30 % → green
    page = supervisor_client.get("/admin/reports?period=day&group=counter").text
    assert "target-met" in onsite_cell(page)
    xlsx = supervisor_client.get("/api/v1/reports?period=day&group=counter&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).worksheets[0]
    assert sheet.cell(sheet.max_row, col).fill.fgColor.rgb.endswith("C6EFCE")  # green
    board = supervisor_client.get("/admin/board").text
    assert 'class="target-met" data-measure="onsite_completion_rate"' in board
