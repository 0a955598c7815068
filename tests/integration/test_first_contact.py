"""首问 desk (hall/services/staff/first_contact.py): each inquiry logged with who was asked
first; a ticket taken for the visitor carries that person to the window that serves it."""
from __future__ import annotations

from datetime import date

from sqlalchemy import text

from hall.domain.access import Actor
from hall.services.counters import terminal
from hall.services.queue import calling
from hall.services.staff import first_contact
from tests.conftest import refused
from tests.integration.conftest import signed_in_at


def test_first_contact_recorded_on_ticket(ctx, hall):
    desk = Actor("staff", hall["staff"]["li"], hall["id"], "staff")  # at the 导办台
    # an answer only, and a referral to window 3
    first_contact.log(ctx, desk, question="户口迁移需要什么材料？",
                      answer="一次性告知：户口簿、身份证", service="hj")
    first_contact.log(ctx, desk, question="个税怎么申报？", answer="请到3号窗口", counter=3)
    # a number taken for the visitor (代取号)
    taken = first_contact.log(ctx, desk, question="办身份证", answer="已代取号", service="sfz",
                              take_ticket=True).value
    number = taken["ticket"]["number"]
    with ctx.engine.connect() as conn:
        first = conn.execute(text("SELECT first_staff_id FROM tickets WHERE id=:i"),
                             {"i": taken["ticket"]["id"]}).scalar_one()
    assert first == hall["staff"]["li"]

    # bad input names its field
    refused("question_required", "question", first_contact.log, ctx, desk, question=" ")
    refused("service_required", "service", first_contact.log, ctx, desk, question="取号",
            take_ticket=True)
    refused("counter_not_found", "counter", first_contact.log, ctx, desk, question="?",
            counter=42)
    refused("service_not_found", "service", first_contact.log, ctx, desk, question="?",
            service="nope", take_ticket=True)

    # the window that serves the ticket sees who was asked first
    wang = signed_in_at(ctx, hall, 2, "wang")
    called = calling.call_next(ctx, counter_id=hall["counters"][2], actor=wang).value
    assert called["number"] == number
    current = terminal.board(ctx, hall["counters"][2], hall["id"])["current"]
    assert current["first_contact"]["name"] == "李娜"

    # the desk's log and the counts per staff member
    log = first_contact.recent(ctx, desk)
    assert [(e["question"], e["counter"], e["ticket"]) for e in log] == [
        ("办身份证", None, number), ("个税怎么申报？", 3, None),
        ("户口迁移需要什么材料？", None, None)]
    assert first_contact.counts(ctx, hall["id"], date(2026, 11, 23), date(2026, 11, 23)) == [
        {"staff_id": hall["staff"]["li"], "name": "李娜", "inquiries": 3, "tickets_taken": 1}]
    assert first_contact.counts(ctx, hall["id"], date(2026, 11, 24), date(2026, 11, 24)) == []


def test_first_contacts_counted_per_staff_member_in_reports(ctx, hall):
    from hall.services.supervision import exports, reports

    li = Actor("staff", hall["staff"]["li"], hall["id"], "staff")
    wang = Actor("staff", hall["staff"]["wang"], hall["id"], "staff")
    first_contact.log(ctx, li, question="户口迁移？", service="hj")
    first_contact.log(ctx, li, question="办身份证", service="sfz", take_ticket=True)
    first_contact.log(ctx, wang, question="洗手间在哪？", answer="一楼东侧")
    data = reports.report(ctx, period="day", on="2026-11-23", group="staff",
                          hall_id=hall["id"])
    by_staff = {r["key"]: (r["first_contacts"], r["tickets_taken"]) for r in data["rows"]}
    assert by_staff[hall["staff"]["li"]] == (2, 1)
    assert by_staff[hall["staff"]["wang"]] == (1, 0)
    assert (data["total"]["first_contacts"], data["total"]["tickets_taken"]) == (3, 1)
    # the desk is no window: the per-window report has no row for the inquiries alone
    windows = reports.report(ctx, period="day", on="2026-11-23", group="counter",
                             hall_id=hall["id"])
    assert all(r["first_contacts"] == 0 for r in windows["rows"])
    # the table the page and the CSV/XLSX share has the two columns
    headers, rows = exports.table(data, exports.translator("zh_CN"))
    first = headers.index(exports.translator("zh_CN")("First contacts (首问)"))
    taken = headers.index(exports.translator("zh_CN")("Numbers taken for visitors (代取号)"))
    assert (rows[-1][first], rows[-1][taken]) == (3, 1)  # the total row


def test_first_contact_follows_the_visitor_to_the_window_they_are_transferred_to(ctx, hall):
    from hall.services.queue import visits

    desk = Actor("staff", hall["staff"]["li"], hall["id"], "staff")
    taken = first_contact.log(ctx, desk, question="先办户籍再办身份证", service="hj",
                              take_ticket=True).value["ticket"]
    wang = signed_in_at(ctx, hall, 1, "wang")
    assert calling.call_next(ctx, counter_id=hall["counters"][1], actor=wang).value["id"] == \
        taken["id"]
    calling.start(ctx, counter_id=hall["counters"][1], actor=wang)
    li_at_two = signed_in_at(ctx, hall, 2, "li")  # back from the desk, at window 2
    visits.transfer(ctx, counter_id=hall["counters"][1], actor=wang, to_counter=2)
    called = calling.call_next(ctx, counter_id=hall["counters"][2], actor=li_at_two).value
    assert called["id"] != taken["id"]  # the visitor's new row at window 2
    current = terminal.board(ctx, hall["counters"][2], hall["id"])["current"]
    assert current["first_contact"]["name"] == "李娜"
