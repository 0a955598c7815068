"""The visitor's paper at every outcome, in the service layer on SQLite and PostgreSQL: what
each document says (worded once, from what the finish recorded and the hall's settings),
who may print it, where it prints (the window's printer, by the server or an agent), and
what the phone page learns after 受理."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from drivers.escpos.document import DocumentContent, layout
from drivers.escpos.parser import Parser
from drivers.escpos.printer import PROFILES, ticket_bytes
from hall.domain.access import Actor
from hall.domain.errors import DomainError
from hall.services.cases import documents
from hall.services.config import accounts, settings
from hall.services.context import run
from hall.services.counters import state as counters
from hall.services.counters import terminal
from hall.services.devices import health, printing
from hall.services.queue import calling, queries, tickets, visits
from hall.store.models import Device, Hall, Staff

BASE = "https://hall.example.cn"


def serve(ctx, hall, outcome: str, *, note: str | None = None, applicant: str | None = None,
          counter: int = 1, login: str = "li") -> tuple[Actor, dict, dict]:
    """A visit to 户籍办理 served at ``counter`` by ``login`` and finished with ``outcome``:
    (the staff actor, the ticket, the finish's value)."""
    counter_id = hall["counters"][counter]
    counters.sign_in(ctx, counter_id=counter_id, staff_id=hall["staff"][login])
    staff = Actor("staff", hall["staff"][login], hall["id"], "staff", counter_id)
    ticket = tickets.issue(ctx, hall_id=hall["id"], service="hj",
                           actor=Actor("device", 1, hall["id"], "kiosk")).value
    calling.call_next(ctx, counter_id=counter_id, actor=staff)
    calling.start(ctx, counter_id=counter_id, actor=staff)
    done = visits.finish(ctx, counter_id=counter_id, actor=staff, outcome=outcome, note=note,
                         applicant=applicant).value
    return staff, ticket, done


@pytest.fixture
def numbered(ctx, hall):
    with ctx.engine.begin() as conn:
        conn.execute(update(Staff).where(Staff.id == hall["staff"]["li"]).values(number="1001"))


def paper(ctx, staff, ticket, **kw) -> dict:
    return documents.document(ctx, ticket_id=ticket["id"], actor=staff, base_url=BASE, **kw)


def fields(doc: dict) -> dict[str, str]:
    return {line["label"]: line["text"] for line in doc["lines"] if line["kind"] == "field"}


def kinds(doc: dict, kind: str) -> list[str]:
    return [line["text"] for line in doc["lines"] if line["kind"] == kind]


def test_acceptance_gives_a_receipt_with_the_case_its_promise_and_who_took_it(ctx, hall,
                                                                              numbered):
    staff, ticket, done = serve(ctx, hall, "accepted", applicant="王五")
    assert done["document"] == "acceptance"
    doc = paper(ctx, staff, ticket)
    number = done["case"]["number"]
    assert (doc["kind"], doc["title"], doc["hall_name"]) == ("acceptance", "Acceptance receipt",
                                                           "测试大厅")
    assert fields(doc) == {
        "Case number": number, "Look-up code": done["case"]["lookup_code"],
        "Service": "户籍办理", "Applicant": "王*",
        "Accepted at": "2026-11-23 10:00",  # the clock's 02:00 UTC in Shanghai
        "Due date": "2026-11-30 (within 5 working days)", "Window": "Window 1",
        "Handled by": "李娜 (staff no. 1001)"}
    assert done["case"]["due_date"] == "2026-11-30"
    assert kinds(doc, "heading") == ["Materials received"]
    assert kinds(doc, "item") == ["居民户口簿原件", "居民身份证原件"]
    assert doc["qr_url"] == f"{BASE}/case/{number}?code={done['case']['lookup_code']}"
    assert doc["qr_caption"] == "Scan to see how your case stands"
    assert paper(ctx, staff, ticket, english=True)["lines"][2]["text"] == "Household registration"


def test_refusal_gives_the_reason_the_basis_and_the_way_to_review(ctx, hall, numbered):
    staff, ticket, done = serve(ctx, hall, "refused", note="不属于本中心受理范围")
    assert done["document"] == "refusal" and done["case"] is None
    doc = paper(ctx, staff, ticket)
    assert fields(doc)["Ticket number"] == ticket["number"]
    assert fields(doc)["Issued at"] == "2026-11-23 10:00"
    assert kinds(doc, "heading") == ["Reason for refusal", "Basis of this decision",
                                     "How to seek review"]
    texts = kinds(doc, "text")
    assert "不属于本中心受理范围" in texts
    assert documents.DEFAULT_BASIS in texts and documents.DEFAULT_REVIEW in texts
    assert doc["qr_url"] == ""

    hall_row = settings.get_settings(ctx, hall["id"])
    changed = hall_row.model_copy(update={"refusal_basis": "《某某条例》第十条",
                                          "refusal_review": "可向某某区人民政府申请复议。",
                                          "contact_phone": "0991-1234567"})
    settings.update_settings(ctx, Actor("staff", 1, hall["id"], "admin"), hall["id"], changed)
    doc = paper(ctx, staff, ticket)
    assert "《某某条例》第十条" in kinds(doc, "text")
    assert "可向某某区人民政府申请复议。" in kinds(doc, "text")
    assert kinds(doc, "note") == ["Enquiries: 0991-1234567"]


def test_correction_lists_what_the_finish_recorded_in_the_halls_own_time(ctx, hall, numbered):
    with ctx.engine.begin() as conn:
        conn.execute(update(Hall).values(timezone="Asia/Urumqi"))  # UTC+6, not Shanghai's +8
    ctx.cache.clear()
    staff, ticket, done = serve(ctx, hall, "correction", note="居民户口簿原件\n结婚证复印件\n")
    assert done["document"] == "correction"
    doc = paper(ctx, staff, ticket)
    assert doc["title"] == "Materials notice"
    assert fields(doc)["Issued at"] == "2026-11-23 08:00"  # 02:00 UTC in Urumqi
    assert fields(doc)["Window"] == "Window 1"
    assert fields(doc)["Handled by"] == "李娜 (staff no. 1001)"
    assert kinds(doc, "item") == ["居民户口簿原件", "结婚证复印件"]
    assert doc["qr_url"] == f"{BASE}/t/{ticket['token']}"  # the guide, on the phone page
    printed = []
    Parser(printed.append).feed(ticket_bytes(layout(DocumentContent.from_json(doc), "80"),
                                             PROFILES["generic"]))
    assert "Issued at: 2026-11-23 08:00" in printed[0].lines  # the same paper, as bytes


def test_only_papers_of_finished_visits_and_only_for_their_window(ctx, hall, numbered):
    staff, ticket, _ = serve(ctx, hall, "done")
    with pytest.raises(DomainError) as err:
        paper(ctx, staff, ticket)
    assert err.value.code == "no_document"  # 办结 gives no paper
    staff, ticket, _ = serve(ctx, hall, "accepted")
    other = Actor("staff", hall["staff"]["li"] + 1000, hall["id"], "staff", hall["counters"][2])
    with pytest.raises(DomainError) as err:
        paper(ctx, other, ticket)
    assert err.value.code == "forbidden"
    supervisor = Actor("staff", hall["staff"]["wang"], hall["id"], "supervisor")
    assert paper(ctx, supervisor, ticket)["kind"] == "acceptance"
    kiosk = Actor("device", 1, hall["id"], "kiosk")
    with pytest.raises(DomainError):
        paper(ctx, kiosk, ticket)


class FakePrinter:
    """The printer port (kiosk/printing.py) as the server installs it, recording the jobs."""

    DEFAULT_TIMEOUT = 2.0
    MSGIDS = ()

    def __init__(self):
        self.jobs: list[dict] = []

    def print_job(self, ctx, job, *, labels, timeout):
        self.jobs.append(job)
        done = printing.finish_job(ctx, job_id=job["id"], printed=True,
                                   health={"paper": "ok"}).value
        return {**done, "printed": True, "reasons": [], "status": {"paper": "ok"}}


def print_paper(ctx, staff, ticket, kind, printer=None):
    return printing.print_ticket(ctx, ticket_id=ticket["id"], actor=staff, device_id=None,
                                 base_url=BASE, lang="zh_CN", printer=printer, labels={},
                                 translate=lambda m: m, document=kind)


def test_the_windows_printer_prints_the_paper_and_staff_are_told(ctx, hall, numbered):
    made = accounts.add_device(ctx, kind="printer", name="1号窗口打印机", counter_number=1,
                               url="escpos+tcp://10.0.0.51:9100").value
    board = terminal.board(ctx, hall["counters"][1], hall["id"])
    assert board["counter"]["printer"] == {"id": made["id"], "name": "1号窗口打印机"}
    assert terminal.board(ctx, hall["counters"][2], hall["id"])["counter"]["printer"] is None
    staff, ticket, done = serve(ctx, hall, "accepted")
    printer = FakePrinter()
    out = print_paper(ctx, staff, ticket, "acceptance", printer)
    (job,) = printer.jobs
    assert job["url"] == "escpos+tcp://10.0.0.51:9100" and job["device_id"] == made["id"]
    assert job["document"] == "acceptance" and job["content"]["kind"] == "acceptance"
    assert job["content"]["qr_url"] == \
        f"{BASE}/case/{done['case']['number']}?code={done['case']['lookup_code']}"
    assert out["state"] == "printed" and out["job"]["document"] == "acceptance"
    assert out["message"] == "Acceptance receipt printed at the window's printer"
    with pytest.raises(DomainError) as err:  # the paper the outcome gives, no other
        print_paper(ctx, staff, ticket, "refusal", printer)
    assert err.value.code == "no_document"

    staff2, ticket2, _ = serve(ctx, hall, "refused", note="材料不全且不符合法定形式", counter=2,
                               login="wang")
    with pytest.raises(DomainError) as err:  # window 2 has no printer: the page, then
        print_paper(ctx, staff2, ticket2, "refusal", printer)
    assert err.value.code == "printer_required"
    with pytest.raises(DomainError) as err:
        print_paper(ctx, Actor("device", made["id"], hall["id"], "printer", hall["counters"][1]),
                    ticket, "acceptance", printer)
    assert err.value.code == "forbidden"


def test_an_agents_window_printer_is_announced_the_job_and_fetches_the_paper(ctx, hall):
    made = accounts.add_device(ctx, kind="printer", counter_number=1).value
    me = Actor("device", made["id"], hall["id"], "printer", hall["counters"][1])
    staff, ticket, _ = serve(ctx, hall, "correction", note="结婚证复印件")
    started = printing.start_job(ctx, ticket_id=ticket["id"], actor=staff, base_url=BASE,
                                 document="correction", lang="zh_CN")
    (event,) = started.events
    assert event.type == "print.requested" and event.payload["device_id"] == made["id"]
    assert printing.jobs(ctx, actor=me)[0]["document"] == "correction"
    job = printing.job(ctx, job_id=started.value["id"], actor=me, base_url=BASE)
    assert job["content"]["kind"] == "correction"
    assert [line["text"] for line in job["content"]["lines"] if line["kind"] == "item"] == [
        "结婚证复印件"]
    DocumentContent.from_json(job["content"])  # what the agent's bridge reads
    done = printing.finish_job(ctx, job_id=job["id"], printed=True, actor=me,
                               health={"paper": "ok"}).value
    assert done["state"] == "printed"


def test_a_window_printer_belongs_to_a_window_and_is_not_marked_silent(ctx, hall, clock):
    with pytest.raises(DomainError) as err:
        accounts.add_device(ctx, kind="printer")
    assert err.value.code == "counter_required"
    driven = accounts.add_device(ctx, kind="printer", counter_number=1,
                                 url="escpos+tcp://10.0.0.51:9100").value
    agent_run = accounts.add_device(ctx, kind="printer", counter_number=2).value
    for d in (driven, agent_run):
        health.report_health(ctx, device_id=d["id"], health={"paper": "ok"})
    clock.advance(minutes=30)
    marked = run(ctx, lambda uow: health.mark_silent(uow, hall["id"], uow.now, 120))
    assert [m["id"] for m in marked.value] == [agent_run["id"]]  # the server's own reports
    with ctx.engine.connect() as conn:
        assert conn.execute(Device.__table__.select().where(
            Device.id == driven["id"])).one().health["online"] is True


def test_the_phone_page_learns_the_case_after_acceptance(ctx, hall):
    _, ticket, done = serve(ctx, hall, "accepted")
    view = queries.ticket_by_token(ctx, ticket["token"])
    assert view["case"] == {"number": done["case"]["number"],
                            "lookup_code": done["case"]["lookup_code"], "due_date": "2026-11-30"}
    _, other, _ = serve(ctx, hall, "done")
    assert "case" not in queries.ticket_by_token(ctx, other["token"])


def test_blank_settings_fall_back_to_the_defaults(ctx, hall):
    spec = settings.get_settings(ctx, hall["id"]).model_copy(
        update={"contact_phone": "  ", "refusal_basis": ""})
    stored = settings.update_settings(ctx, Actor("staff", 1, hall["id"], "admin"), hall["id"],
                                      type(spec).model_validate(spec.model_dump())).value
    assert stored.contact_phone is None and stored.refusal_basis is None
