"""日考核 from the records, by a versioned scheme (issue 18), on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import UTC, date, datetime

from hall.domain.access import Actor
from hall.services.queue import calling, tickets, visits
from hall.services.ratings import rating
from hall.services.supervision import admonitions, assessment, exports, reports
from tests.conftest import add_case, refused
from tests.integration.conftest import kiosk, pad_at, signed_in_at


def serve(ctx, hall, clock, staff, service: str, minutes: float, outcome: str) -> int:
    t = tickets.issue(ctx, hall_id=hall["id"], service=service, actor=kiosk(hall)).value
    calling.call_next(ctx, counter_id=hall["counters"][1], actor=staff)
    calling.start(ctx, counter_id=hall["counters"][1], actor=staff)
    clock.advance(minutes=minutes)
    visits.finish(ctx, counter_id=hall["counters"][1], actor=staff, outcome=outcome,
                  **({"applicant": "张三"} if outcome == "accepted" else {}))
    return t["id"]


def boss(hall) -> Actor:
    return Actor("staff", hall["staff"]["wang"], hall["id"], "supervisor", label="王强")


def a_day_of_li(ctx, hall, clock) -> None:
    """Mon 23 Nov 2026 at window 1, 李娜: three visits, two ratings, an overdue case, a
    reminder (worked out in the test below)."""
    li = signed_in_at(ctx, hall, 1)
    one = serve(ctx, hall, clock, li, "hj", 25, "done")  # 户籍办理's limit is 20 min: over
    rating.rate(ctx, ticket_id=one, level=5, actor=pad_at(hall, 1))
    serve(ctx, hall, clock, li, "sfz", 5, "accepted")  # within 10 min
    three = serve(ctx, hall, clock, li, "hj", 10, "done")
    rating.rate(ctx, ticket_id=three, level=1, actor=pad_at(hall, 1), reason="服务态度差")
    # a case of window 1 due the day before, still open: overdue from this day on
    today = clock.now().date()
    due = date.fromordinal(today.toordinal() - 1)
    add_case(ctx, hall, f"T-{today:%Y%m%d}-0009", due, due, due)
    admonitions.issue(ctx, actor=boss(hall), level="reminder", staff_id=hall["staff"]["li"],
                      reason="窗口台面杂乱")


def test_daily_score_from_records(ctx, hall, clock):
    a_day_of_li(ctx, hall, clock)
    day = date(2026, 11, 23)
    scores = assessment.assess(ctx, hall["id"], day, day)
    li = next(r for r in scores["staff"] if r["key"] == hall["staff"]["li"])
    window = next(r for r in scores["counter"] if r["key"] == hall["counters"][1])
    # 李娜 (the default scheme, version 0): base 100; one visit over its limit −1; one bad
    # review −2; one reminder −1; 满意率 1/2 = 50 % < 95 %: no credit; 现场办结率: 2 done,
    # 1 accepted = 66.7 % < 90 %: no credit → 96. The case was accepted by nobody known
    # (written straight to the table), so only the window carries it.
    assert li["days"] == [{
        "day": "2026-11-23", "score": 96.0, "version": 0,
        "counts": {"visits": 3, "done": 2, "accepted": 1, "ratings": 2, "good_ratings": 1,
                   "late": 0, "absent": 0, "overdue_case": 0, "visit_over_limit": 1,
                   "bad_review": 1, "complaint_upheld": 0, "admonition_reminder": 1,
                   "admonition_admonition": 0, "admonition_criticism": 0},
        "lines": [{"item": "visit_over_limit", "count": 1, "points": -1},
                  {"item": "bad_review", "count": 1, "points": -2},
                  {"item": "admonition_reminder", "count": 1, "points": -1}]}]
    # window 1: the same visits and ratings, the overdue case (−2), no admonition → 95
    assert window["days"][0]["score"] == 95.0
    assert [ln["item"] for ln in window["days"][0]["lines"]] == [
        "overdue_case", "visit_over_limit", "bad_review"]
    assert (li["sum"], li["mean"], li["weeks"]) == (96.0, 96.0, {"2026-W48": 96.0})
    # recomputable: asked again, the same
    assert assessment.assess(ctx, hall["id"], day, day) == scores


def test_score_scheme_change_keeps_last_month(ctx, hall, clock):
    clock.current = datetime(2026, 10, 27, 2, tzinfo=UTC)  # a Tuesday in October
    a_day_of_li(ctx, hall, clock)
    clock.current = datetime(2026, 11, 2, 2, tzinfo=UTC)  # October is over
    october = assessment.assess(ctx, hall["id"], date(2026, 10, 1), date(2026, 10, 31))
    li_oct = next(r for r in october["staff"] if r["key"] == hall["staff"]["li"])
    # 96 on the 27th (as worked out above); on the 28th the 身份证办理 case she accepted on
    # the 27th (即办件: due the same day) is overdue: 100 − 2 = 98; the mean is 97
    assert [(d["day"], d["score"]) for d in li_oct["days"]] == [
        ("2026-10-27", 96.0), ("2026-10-28", 98.0)]
    assert (li_oct["mean"], li_oct["sum"], li_oct["rank"]) == (97.0, 194.0, 1)

    clock.current = datetime(2026, 11, 23, 2, tzinfo=UTC)
    refused("scheme_in_the_past", "valid_from", assessment.set_scheme, ctx, actor=boss(hall),
            hall_id=hall["id"], rules={"bad_review": -10}, valid_from=date(2026, 10, 1))
    refused("invalid_scheme", "rules", assessment.set_scheme, ctx, actor=boss(hall),
            hall_id=hall["id"], rules={"napping": -1})
    new = assessment.set_scheme(ctx, actor=boss(hall), hall_id=hall["id"],
                                rules={"bad_review": -10, "admonition_reminder": -4}).value
    assert (new["version"], new["valid_from"]) == (1, "2026-11-23")
    assert assessment.current_scheme(ctx, hall["id"])["rules"]["bad_review"] == -10
    # last month reads the same: its days keep version 0
    assert assessment.assess(ctx, hall["id"], date(2026, 10, 1), date(2026, 10, 31)) == october
    # a day of this month under version 1: 100 − 1 − 10 − 4 = 85
    clock.current = datetime(2026, 11, 24, 2, tzinfo=UTC)
    a_day_of_li(ctx, hall, clock)
    tuesday = date(2026, 11, 24)
    now = assessment.assess(ctx, hall["id"], tuesday, tuesday)
    li = next(r for r in now["staff"] if r["key"] == hall["staff"]["li"])
    assert (li["days"][0]["score"], li["days"][0]["version"]) == (85.0, 1)


def test_lateness_and_absence_on_the_rota_cost_points(ctx, hall, clock):
    """Attendance (issue 20) feeds the day's score: each shift a person came late to
    (迟到) and each they missed (缺岗) is counted against them and their rota window."""
    from hall.services.config import accounts
    from hall.services.counters import state as counters
    from hall.services.staff import leave, rota

    monday = date(2026, 11, 23)

    def at(hh: int, mm: int) -> datetime:  # the Monday in Shanghai, as UTC
        return datetime(2026, 11, 23, hh - 8, mm, tzinfo=UTC)

    hall["staff"]["zhao"] = accounts.add_user(ctx, login="zhao", name="赵敏").value["id"]
    for counter, login in ((1, "li"), (2, "zhao")):
        for shift in ("am", "pm"):
            rota.assign(ctx, boss(hall), counter=counter, day=monday, shift=shift, post="A",
                        staff_id=hall["staff"][login])
    clock.current = at(9, 20)  # 李娜: 20 minutes late in the morning, on time after lunch
    li = signed_in_at(ctx, hall, 1, "li")
    clock.current = at(12, 0)
    counters.close(ctx, counter_id=hall["counters"][1], actor=li)
    clock.current = at(13, 30)
    signed_in_at(ctx, hall, 1, "li")
    clock.current = at(18, 0)  # 赵敏 never came; her afternoon was approved leave
    zhao = Actor("staff", hall["staff"]["zhao"], hall["id"], "staff")
    asked = leave.request(ctx, zhao, kind="sick", start=at(13, 0), end=at(17, 30),
                          reason="就医").value
    leave.decide(ctx, boss(hall), asked["id"], approve=True)

    scores = assessment.assess(ctx, hall["id"], monday, monday)
    by_staff = {r["key"]: r["days"] for r in scores["staff"]}
    li_day, = by_staff[hall["staff"]["li"]]
    assert (li_day["counts"]["late"], li_day["counts"]["absent"]) == (1, 0)
    assert li_day["lines"] == [{"item": "late", "count": 1, "points": -1}]
    assert li_day["score"] == 99.0
    zhao_day, = by_staff[hall["staff"]["zhao"]]
    assert (zhao_day["counts"]["late"], zhao_day["counts"]["absent"]) == (0, 1)
    assert zhao_day["lines"] == [{"item": "absent", "count": 1, "points": -5}]
    assert zhao_day["score"] == 95.0
    window = {r["key"]: r["days"][0]["counts"] for r in scores["counter"]}
    assert (window[hall["counters"][1]]["late"], window[hall["counters"][2]]["absent"]) == \
        (1, 1)


def test_no_score_for_a_day_that_has_not_come(ctx, hall, clock):
    # Mon 23 Nov: 李娜 accepts a 身份证办理 case (即办件: due the same day), still open at
    # 10:00. It is overdue only once Tuesday comes; asked on Monday, Tuesday has no score
    # (the case may yet be finished today).
    a_day_of_li(ctx, hall, clock)
    week = assessment.assess(ctx, hall["id"], date(2026, 11, 23), date(2026, 11, 29))
    li = next(r for r in week["staff"] if r["key"] == hall["staff"]["li"])
    assert [d["day"] for d in li["days"]] == ["2026-11-23"]
    clock.current = datetime(2026, 11, 24, 1, tzinfo=UTC)  # Tuesday 09:00: it has come
    week = assessment.assess(ctx, hall["id"], date(2026, 11, 23), date(2026, 11, 29))
    li = next(r for r in week["staff"] if r["key"] == hall["staff"]["li"])
    assert [(d["day"], d["score"]) for d in li["days"]] == [("2026-11-23", 96.0),
                                                           ("2026-11-24", 98.0)]


def test_reports_show_each_score_with_the_counts_behind_it(ctx, hall, clock):
    # 李娜's Monday and Tuesday (a_day_of_li each day): Monday 96 as worked out above;
    # Tuesday the same 96 less 2 for Monday's 即办件 case, overdue from Tuesday → 94.
    # The week's report by staff: 周汇总 190 over 2 days (mean 95), and the lines behind it.
    a_day_of_li(ctx, hall, clock)
    clock.current = datetime(2026, 11, 24, 2, tzinfo=UTC)
    a_day_of_li(ctx, hall, clock)
    data = reports.report(ctx, period="week", on="2026-11-23", group="staff",
                          hall_id=hall["id"])
    li = next(r for r in data["rows"] if r["key"] == hall["staff"]["li"])
    assert li["score"] == {
        "sum": 190.0, "mean": 95.0, "days_scored": 2, "rank": 1,
        "weeks": {"2026-W48": 190.0},
        "lines": [{"item": "overdue_case", "count": 1, "points": -2},
                  {"item": "visit_over_limit", "count": 2, "points": -2},
                  {"item": "bad_review", "count": 2, "points": -4},
                  {"item": "admonition_reminder", "count": 2, "points": -2}]}
    assert "score" not in data["total"]  # a hall has no score of its own

    # the table the page, CSV, XLSX and text share: the score with its counts in words
    en = exports.translator("en")
    headers, rows = exports.table(data, en)
    row = next(r for r in rows if r[0] == li["name"])
    at = headers.index("Daily assessment: total points")
    assert headers[at:at + 4] == ["Daily assessment: total points",
                                  "Daily assessment: mean points", "Days assessed",
                                  "Points deducted and credited"]
    assert row[at:at + 4] == [190.0, 95.0, 2, "Overdue cases 1 (-2); Visits over the time "
                              "limit 2 (-2); Bad reviews 2 (-4); Reminders (提醒) 2 (-2)"]
    assert rows[-1][at:at + 4] == [None, None, None, None]  # the total
    text = exports.as_text(data, en).splitlines()
    assert next(ln for ln in text if ln.startswith("Daily assessment: total points")
                ).split()[-2:] == ["190.00", "–"]
    csv_lines = exports.to_csv(data, en).splitlines()
    assert "Points deducted and credited" in csv_lines[0]
    assert "Bad reviews 2 (-4)" in next(ln for ln in csv_lines if li["name"] in ln)

    # by window: Monday 95 (above); Tuesday 100 − 2·2 overdue (Monday's 即办件 and the case
    # due Monday) − 1 over the limit − 2 bad review = 93
    windows = reports.report(ctx, period="week", on="2026-11-23", group="counter",
                             hall_id=hall["id"])
    one = next(r for r in windows["rows"] if r["key"] == hall["counters"][1])
    assert (one["score"]["sum"], one["score"]["days_scored"]) == (188.0, 2)
    # grouped by service, nothing is scored: no score columns
    by_service = reports.report(ctx, period="week", on="2026-11-23", group="service",
                                hall_id=hall["id"])
    assert "Days assessed" not in exports.table(by_service, en)[0]


def test_an_upheld_complaint_costs_its_window_and_staff_points(ctx, hall, clock):
    """投诉属实: a deduction of the scheme (−5 by default) against the window and staff
    member the complaint names, on the day it was found 属实; one found unfounded costs
    nothing."""
    from hall.services.complaints import handling, intake

    a_day_of_li(ctx, hall, clock)  # 李娜 96, window 1 95 (worked out above)
    against = intake.Target(counter_id=hall["counters"][1], staff_id=hall["staff"]["li"])
    for upheld in (True, False):  # one found 属实, one not
        filed = intake.by_staff(ctx, actor=boss(hall), source="phone_call",
                                text="态度生硬", category="attitude", target=against).value
        handling.reply(ctx, actor=boss(hall), complaint_id=filed["id"], text="已核实",
                       upheld=upheld)
    day = date(2026, 11, 23)
    scores = assessment.assess(ctx, hall["id"], day, day)
    li = next(r for r in scores["staff"] if r["key"] == hall["staff"]["li"])["days"][0]
    window = next(r for r in scores["counter"] if r["key"] == hall["counters"][1])["days"][0]
    # the default scheme: −5 for an upheld complaint; the other one costs nothing
    assert (li["counts"]["complaint_upheld"], li["score"]) == (1, 91.0)
    assert {"item": "complaint_upheld", "count": 1, "points": -5} in li["lines"]
    assert (window["counts"]["complaint_upheld"], window["score"]) == (1, 90.0)
