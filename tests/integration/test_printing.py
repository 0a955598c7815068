"""Print jobs and the kiosk catalog in the service layer, on SQLite and PostgreSQL: who may
print what where, how results become device health and alerts, what goes on the paper,
and what the kiosk is told about each service."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from hall.domain.access import SYSTEM, Actor
from hall.domain.errors import DomainError
from hall.services.config import accounts
from hall.services.counters import state as counters
from hall.services.devices import printing
from hall.services.queue import catalog, tickets
from hall.services.supervision import alerts
from hall.store.models import Device, Hall

BASE = "https://hall.example.cn"


@pytest.fixture
def devices(ctx, hall) -> dict:
    made = {name: accounts.add_device(ctx, kind=kind, name=name, url=url).value
            for name, kind, url in (("kiosk", "kiosk", "escpos+tcp://10.0.0.9:9100"),
                                    ("agent-kiosk", "kiosk", None),
                                    ("agent", "agent", None))}
    return {name: Actor("device", d["id"], d["hall_id"], d["kind"]) for name, d in made.items()}


def issue(ctx, hall, actor, service="hj", **kw) -> dict:
    return tickets.issue(ctx, hall_id=hall["id"], service=service, actor=actor, **kw).value


def start(ctx, ticket, actor, **kw):
    return printing.start_job(ctx, ticket_id=ticket["id"], actor=actor, base_url=BASE, **kw)


def test_a_server_printed_job_carries_url_and_content_and_is_not_announced(ctx, hall,
                                                                           devices):
    kiosk = devices["kiosk"]
    issue(ctx, hall, kiosk)
    t = issue(ctx, hall, kiosk, kind="priority", priority_reason="老年人")
    started = start(ctx, t, kiosk, translate=lambda m: {"Green channel": "绿色通道"}.get(m, m))
    job = started.value
    assert started.events == [] and job["state"] == "pending" and job["attempts"] == 0
    assert job["url"] == "escpos+tcp://10.0.0.9:9100" and job["device_id"] == kiosk.id
    c = job["content"]
    assert (c["hall_name"], c["service_name"], c["number"]) == ("测试大厅", "户籍办理", "A002")
    assert (c["kind"], c["kind_reason"], c["people_ahead"]) == ("绿色通道", "老年人", 0)
    assert c["issued_at"] == "2026-11-23T10:00:00+08:00"  # the hall's zone, not UTC
    assert c["qr_url"] == f"{BASE}/t/{t['token']}"
    assert c["materials"] == ["居民户口簿原件", "居民身份证原件"]
    assert c["wait_minutes"] is None  # no window is open: the slip says so, not a number
    counters.open_counter(ctx, counter_id=hall["counters"][1], actor=SYSTEM)  # serves hj
    c = start(ctx, t, kiosk).value["content"]
    assert c["wait_minutes"][1] >= c["wait_minutes"][0] >= 0


class FakePrinter:
    """The printer port as the kiosk blueprint installs it: prints (here: fails for want of
    paper), records the outcome through the service, says which reasons (msgids)."""

    DEFAULT_TIMEOUT = 2.0
    MSGIDS = ("Out of paper",)

    def __init__(self, printed: bool):
        self.printed = printed
        self.jobs: list[tuple[dict, dict, float]] = []

    def print_job(self, ctx, job, *, labels, timeout):
        self.jobs.append((job, labels, timeout))
        reasons = [] if self.printed else ["Out of paper"]
        done = printing.finish_job(ctx, job_id=job["id"], printed=self.printed,
                                   error=(reasons or [None])[0], health={"paper": "out"}).value
        return {**done, "printed": self.printed, "reasons": reasons,
                "status": {"paper": "out", "reasons": reasons}}


def test_print_ticket_prints_once_through_the_port_and_tells_the_visitor(ctx, hall, devices):
    kiosk = devices["kiosk"]
    t = issue(ctx, hall, kiosk)
    zh = {"Out of paper": "缺纸"}
    printer = FakePrinter(printed=False)
    out = printing.print_ticket(ctx, ticket_id=t["id"], actor=kiosk, device_id=None,
                                base_url=BASE, lang="zh_CN", printer=printer, labels=zh,
                                translate=lambda m: m)
    ((job, labels, timeout),) = printer.jobs
    assert job["url"] == "escpos+tcp://10.0.0.9:9100" and job["content"]["number"] == t["number"]
    assert labels == zh and timeout == FakePrinter.DEFAULT_TIMEOUT
    assert out["state"] == "failed" and out["printed"] is False
    assert out["job"]["state"] == "failed" and out["job"]["attempts"] == 1
    assert out["reasons"] == ["缺纸"] and out["status"] == {"paper": "out"}
    assert out["message"].startswith("Your ticket could not be printed: 缺纸.")
    assert out["qr_url"] == f"{BASE}/t/{t['token']}" and out["lang"] == "zh_CN"

    good = FakePrinter(printed=True)
    again = printing.print_ticket(ctx, ticket_id=t["id"], actor=kiosk, device_id=None,
                                  base_url=BASE, lang="en", printer=good, labels={},
                                  translate=str.upper, timeout=0.5)
    assert good.jobs[0][2] == 0.5 and again["state"] == "printed"
    assert again["message"] == printing.MSG_PRINTED.upper()  # in the caller's language


def test_print_ticket_leaves_an_agents_job_pending_and_never_calls_the_port(ctx, hall,
                                                                             devices):
    kiosk = devices["agent-kiosk"]
    t = issue(ctx, hall, kiosk)
    printer = FakePrinter(printed=True)
    out = printing.print_ticket(ctx, ticket_id=t["id"], actor=kiosk, device_id=None,
                                base_url=BASE, lang="en", printer=printer, labels={},
                                translate=lambda m: m)
    assert printer.jobs == [] and out["state"] == "pending" and out["printed"] is None
    assert out["message"] == printing.MSG_PENDING and out["status"] is None
    assert printing.jobs(ctx, actor=kiosk)[0]["id"] == out["job"]["id"]


def test_a_job_for_an_agent_printer_is_announced_to_the_device_room(ctx, hall, devices):
    kiosk = devices["agent-kiosk"]
    t = issue(ctx, hall, kiosk)
    started = start(ctx, t, kiosk, english=True, lang="en")
    (event,) = started.events
    assert event.type == "print.requested" and event.payload["device_id"] == kiosk.id
    assert event.payload["job_id"] == started.value["id"] and event.payload["lang"] == "en"
    assert "ticket_id" not in event.payload  # not broadcast to the phone page's room
    assert started.value["url"] is None
    assert started.value["content"]["service_name"] == "Household registration"
    pending = printing.jobs(ctx, actor=kiosk)
    assert [j["id"] for j in pending] == [started.value["id"]]
    assert printing.jobs(ctx, actor=devices["agent"], device_id=kiosk.id) == pending


def test_failures_count_up_raise_one_alert_and_a_good_print_clears_it(ctx, hall, devices):
    kiosk = devices["kiosk"]
    t = issue(ctx, hall, kiosk)
    out = {"online": True, "paper": "out", "cover_open": False}
    first = printing.finish_job(ctx, job_id=start(ctx, t, kiosk).value["id"], printed=False,
                                error="The printer is out of paper", health=out)
    assert first.value["state"] == "failed" and first.value["error"] == (
        "The printer is out of paper")
    assert [e.type for e in first.events] == ["device.health", "alert"]
    second = printing.finish_job(ctx, job_id=start(ctx, t, kiosk).value["id"], printed=False,
                                 error="The printer is out of paper", health=out)
    assert [e.type for e in second.events] == ["device.health"]  # count moved, same alert
    with ctx.engine.connect() as conn:
        health = conn.execute(select(Device.health).where(Device.id == kiosk.id)).scalar_one()
    assert health["errors"] == 2 and health["paper"] == "out"
    assert [a["kind"] for a in alerts.open_alerts(ctx, hall["id"])] == ["printer_paper_out"]
    good = printing.finish_job(ctx, job_id=start(ctx, t, kiosk).value["id"], printed=True,
                               health={"online": True, "paper": "ok", "error": None})
    assert good.events[-1].type == "alert" and good.events[-1].payload["action"] == "cleared"
    with ctx.engine.connect() as conn:
        health = conn.execute(select(Device.health).where(Device.id == kiosk.id)).scalar_one()
    assert health["errors"] == 2 and "error" not in health and health["paper"] == "ok"


def test_a_job_is_answered_once_and_only_by_its_device_or_an_agent(ctx, hall, devices):
    kiosk, other = devices["agent-kiosk"], devices["kiosk"]
    job = start(ctx, issue(ctx, hall, kiosk), kiosk).value
    with pytest.raises(DomainError) as refused:
        printing.finish_job(ctx, job_id=job["id"], printed=True, actor=other)
    assert refused.value.code == "forbidden"
    done = printing.finish_job(ctx, job_id=job["id"], printed=True, actor=devices["agent"])
    assert done.value["state"] == "printed" and done.value["attempts"] == 1
    with pytest.raises(DomainError) as again:
        printing.finish_job(ctx, job_id=job["id"], printed=False, actor=kiosk)
    assert again.value.code == "job_finished"


def test_staff_reprint_goes_to_the_last_printer_or_the_issuing_kiosk(ctx, hall, devices):
    staff = Actor("staff", hall["staff"]["li"], hall["id"], "staff")
    kiosk = devices["kiosk"]
    t = issue(ctx, hall, kiosk)
    assert start(ctx, t, staff).value["device_id"] == kiosk.id  # nothing printed yet
    printed_elsewhere = start(ctx, t, staff, device_id=devices["agent-kiosk"].id).value
    assert start(ctx, t, staff).value["device_id"] == printed_elsewhere["device_id"]
    at_desk = issue(ctx, hall, staff)  # issued by reception: no kiosk to default to
    with pytest.raises(DomainError) as which:
        start(ctx, at_desk, staff)
    assert (which.value.code, which.value.field) == ("printer_required", "device_id")
    with pytest.raises(DomainError) as screen:
        start(ctx, t, Actor("device", 99, hall["id"], "screen"))
    assert screen.value.code == "forbidden"


def test_cancelled_tickets_are_not_printed(ctx, hall, devices):
    kiosk = devices["kiosk"]
    t = issue(ctx, hall, kiosk)
    tickets.cancel(ctx, hall_id=hall["id"], actor=kiosk, token=t["token"])
    with pytest.raises(DomainError) as err:
        start(ctx, t, kiosk)
    assert err.value.code == "ticket_not_printable" and err.value.field == "ticket_id"


def test_the_halls_public_url_is_what_phones_scan(ctx, hall, devices):
    with ctx.engine.begin() as conn:
        settings = conn.execute(select(Hall.settings)).scalar_one()
        conn.execute(update(Hall).values(settings={**settings,
                                                   "public_url": "https://q.gov.cn/"}))
    ctx.cache.clear()
    t = issue(ctx, hall, devices["kiosk"])
    assert start(ctx, t, devices["kiosk"]).value["content"]["qr_url"] == (
        f"https://q.gov.cn/t/{t['token']}")
    assert printing.phone_link(ctx, t["token"], BASE) == f"https://q.gov.cn/t/{t['token']}"


def test_the_catalog_lists_departments_guides_queues_and_states(ctx, hall, devices):
    kiosk = devices["kiosk"]
    counters.open_counter(ctx, counter_id=hall["counters"][4], actor=SYSTEM)  # serves ss
    for _ in range(2):
        issue(ctx, hall, kiosk, "ss")
    data = catalog.catalog(ctx, hall["id"])
    assert data["hall"]["name"] == "测试大厅" and data["local_time"] == "10:00"
    assert data["priority_reasons"] == ["老年人", "残疾人", "孕妇"]
    assert [d["code"] for d in data["departments"]] == ["gaj", "swj"]
    hj, sfz = data["departments"][0]["services"]
    assert hj["guide"]["materials"] == ["居民户口簿原件", "居民身份证原件"]
    assert (hj["kind"], hj["promised_days"], hj["legal_days"]) == ("promised", 5, 20)
    assert hj["available"] and hj["state"] == "open" and hj["reason"] is None
    assert sfz["kind"] == "instant" and sfz["guide"] == {}
    (ss,) = data["departments"][1]["services"]
    assert (ss["waiting"], ss["quota"], ss["quota_left"]) == (2, 3, 1)
    assert ss["estimated_wait"]["max_s"] > ss["estimated_wait"]["min_s"] > 0
    issue(ctx, hall, kiosk, "ss")
    ss = catalog.catalog(ctx, hall["id"])["departments"][1]["services"][0]
    assert ss["state"] == "quota_out" and ss["reason"]["code"] == "quota_exceeded"
    assert ss["reason"]["params"] == {"quota": 3, "service": "税务申报"}


def test_a_kiosk_is_pointed_at_its_printer_and_only_kiosks_drive_printers(ctx, hall, devices):
    kiosk = devices["agent-kiosk"]
    assert printing.printer_url(ctx, kiosk.id) is None
    printing.set_printer(ctx, device_id=kiosk.id, url="escpos+tcp://127.0.0.1:9100")
    assert printing.printer_url(ctx, kiosk.id) == "escpos+tcp://127.0.0.1:9100"
    screen = accounts.add_device(ctx, kind="screen").value
    with pytest.raises(DomainError) as err:
        printing.set_printer(ctx, device_id=screen["id"], url="escpos+tcp://h:9100")
    assert err.value.code == "not_a_printer_host"


def test_the_demo_printer_listens_and_draws_previews_under_the_instance(tmp_path):
    import time
    from datetime import datetime

    from drivers.escpos.printer import print_ticket
    from drivers.escpos.ticket import TicketContent
    from kiosk.demo import start_demo_printer, stop_demo_printers

    url, lines = start_demo_printer(tmp_path)
    try:
        assert url.startswith("escpos+tcp://127.0.0.1:") and str(tmp_path / "tickets") in lines[0]
        content = TicketContent(hall_name="测试大厅", service_name="户籍办理", number="A001",
                                people_ahead=0, wait_minutes=(0, 5), qr_url=f"{BASE}/t/x1",
                                issued_at=datetime(2026, 11, 23, 10, 0))
        assert print_ticket(url, content).printed
        deadline = time.monotonic() + 10
        while not (tmp_path / "tickets" / "ticket-0001.json").exists():
            assert time.monotonic() < deadline, "no preview written"
            time.sleep(0.05)
        record = (tmp_path / "tickets" / "ticket-0001.json").read_text(encoding="utf-8")
        assert "户籍办理" in record and f"{BASE}/t/x1" in record
    finally:
        stop_demo_printers()


def test_printed_text_has_no_control_characters(ctx, hall, devices):
    """Admin-set text with printer commands inside (ESC @ resets, GS V cuts, ESC p kicks
    the drawer) prints as text: the real bytes hold one reset and one cut per paper, and the
    parsed lines carry the words without a control character."""
    from drivers.escpos.document import DocumentContent
    from drivers.escpos.document import layout as document_layout
    from drivers.escpos.parser import Parser
    from drivers.escpos.printer import PROFILES, ticket_bytes
    from drivers.escpos.ticket import TicketContent, layout
    from hall.store.models import Service
    from tests.integration.conftest import finished_visit, set_hall_settings

    with ctx.engine.begin() as conn:
        conn.execute(update(Hall).values(name="测试\x1b@大厅\x1dV0"))
        conn.execute(update(Service).where(Service.code == "hj")
                     .values(name="户籍\x1bp0\x19\x19办理"))
    set_hall_settings(ctx, hall, ticket_notes=["请带\x1dV\x01身份证\r\n原件"],
                      contact_phone="12345\x1b@678")
    visit = finished_visit(ctx, hall, outcome="correction")
    kiosk = devices["kiosk"]
    content = start(ctx, issue(ctx, hall, kiosk), kiosk).value["content"]
    accounts.add_device(ctx, kind="printer", counter_number=1)  # the window's, via an agent
    staff = Actor("staff", hall["staff"]["li"], hall["id"], "supervisor")
    document = printing.start_job(ctx, ticket_id=visit["id"], actor=staff, base_url=BASE,
                                  document="correction").value["content"]
    papers = {
        "ticket": ticket_bytes(layout(TicketContent.from_json(content), "80"),
                               PROFILES["generic"]),
        "document": ticket_bytes(document_layout(DocumentContent.from_json(document), "80"),
                                 PROFILES["generic"])}
    for name, raw in papers.items():
        printed = []
        Parser(printed.append).feed(raw)
        assert len(printed) == 1 and printed[0].cut, name  # no cut in the middle
        assert raw.count(b"\x1b@") == 1 and raw.count(b"\x1dV") == 1, name
        assert raw.count(b"\x1bp") == 0, name  # no drawer kick
        text = "\n".join(printed[0].lines)
        assert not any(ord(ch) < 0x20 and ch != "\n" or ord(ch) == 0x7F for ch in text), name
    ticket_text = "\n".join(_parsed(papers["ticket"]))
    assert "测试@大厅V0" in ticket_text and "户籍p0办理" in ticket_text
    assert "请带V身份证  原件" in ticket_text
    assert "12345@678" in "\n".join(_parsed(papers["document"]))


def _parsed(raw: bytes) -> list[str]:
    from drivers.escpos.parser import Parser

    printed = []
    Parser(printed.append).feed(raw)
    return printed[0].lines
