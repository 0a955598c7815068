"""Reports over HTTP: supervisors get JSON, CSV and XLSX; others are refused."""
from __future__ import annotations

import io
from datetime import UTC, date, datetime

from openpyxl import load_workbook

from hall.seed.history import generate


def test_supervisor_downloads_the_month_in_three_formats(seeded, login_as, clock):
    generate(seeded.engine, first=date(2026, 11, 2), days=5, per_day=40, seed=3)
    clock.current = datetime(2026, 11, 23, 2, tzinfo=UTC)
    boss = login_as("zhao", "supervisor")
    q = "/api/v1/reports?period=month&on=2026-11-01&group=counter"
    data = boss.get(q).json
    assert data["period"]["label"] == "2026-11" and data["total"]["issued"] == 200
    csv_r = boss.get(q + "&format=csv&lang=en")
    assert csv_r.mimetype == "text/csv" and "Tickets issued" in csv_r.text
    assert 'filename="hall-2026-11-counter.csv"' in csv_r.headers["Content-Disposition"]
    xlsx = boss.get(q + "&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).worksheets[0]
    assert sheet["A2"].value == "窗口" and sheet.cell(sheet.max_row, 2).value == 200


def test_staff_may_not_read_reports_and_bad_queries_name_the_field(login_as):
    staff = login_as("li2", "staff")
    r = staff.get("/api/v1/reports")
    assert r.status_code == 403
    boss = login_as("zhao2", "supervisor")
    bad = boss.get("/api/v1/reports?group=planet")
    assert bad.status_code == 422 and bad.json["error"]["field"] == "group"
    bad = boss.get("/api/v1/reports?period=range&on=2026-11-05&end=2026-11-01")
    assert bad.status_code in (400, 422) and bad.json["error"]["field"] == "end"


def test_report_get_writes_nothing(seeded, login_as, clock):
    """The report API and the reports pages sum closed days live until the watch has rolled
    them up; reading writes no rollup row, and the figures are the same either way."""
    from sqlalchemy import text

    from hall.services.supervision.watch import Watch

    def rollup_rows() -> dict[str, int]:
        with seeded.engine.connect() as conn:
            return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                    for t in ("report_days", "day_stats", "day_fine", "counter_days")}

    generate(seeded.engine, first=date(2026, 11, 2), days=5, per_day=40, seed=3)
    clock.current = datetime(2026, 11, 23, 2, tzinfo=UTC)
    boss = login_as("zhao", "supervisor")
    q = "/api/v1/reports?period=month&on=2026-11-01&group=counter"
    live = boss.get(q).json
    assert live["total"]["issued"] == 200
    for url in (q + "&format=csv", q + "&format=xlsx", "/admin/reports/bulletin?month=2026-11",
                "/admin/reports?period=month&on=2026-11-01&group=service"):
        assert boss.get(url).status_code == 200, url
    assert rollup_rows() == {"report_days": 0, "day_stats": 0, "day_fine": 0,
                             "counter_days": 0}

    app = boss.application
    Watch(app).tick()  # the watch's first pass rolls the closed days up
    rows = rollup_rows()
    assert rows["report_days"] >= 22 and rows["day_stats"] > 0  # every closed day to 22 Nov
    rolled = boss.get(q).json
    assert rolled["rows"] == live["rows"] and rolled["total"] == live["total"]
    assert rollup_rows() == rows
