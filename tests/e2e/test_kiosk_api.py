"""The kiosk's whole flow over HTTP (Flask test client) on SQLite and PostgreSQL, printing
for real: catalog → POST /api/v1/tickets → POST /api/v1/print-jobs → bytes over TCP into the
ESC/POS emulator, which decodes them (GB18030 text, QR payload, raster images, cut) and
answers the status queries with the paper state a test sets."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update

from drivers.escpos import fonts
from drivers.escpos.emulator import PrinterEmulator
from hall.services.config import accounts
from hall.services.queue import queries
from hall.services.supervision import alerts
from hall.store.models import Device, PrintJob, Service
from tests.conftest import need_font


def add_kiosk(ctx, url: str | None, name: str = "1号取号机") -> tuple[int, dict]:
    d = accounts.add_device(ctx, kind="kiosk", name=name, url=url).value
    return d["id"], {"Authorization": f"Bearer {d['token']}"}


def tcp(emu, query: str = "paper=58") -> str:
    return f"escpos+tcp://127.0.0.1:{emu.tcp_port}?{query}"


def take(client, headers, service="hj", lang="zh_CN", **extra):
    t = client.post("/api/v1/tickets", json={"service": service, **extra}, headers=headers)
    assert t.status_code == 201, t.json
    p = client.post("/api/v1/print-jobs", json={"ticket_id": t.json["id"], "lang": lang},
                    headers=headers)
    assert p.status_code == 201, p.json
    return t.json, p.json


def event_types(ctx, hall_id: int = 1) -> list[str]:
    return [e["type"] for e in queries.events_after(ctx, hall_id, 0)["events"]]


def device_health(ctx, device_id: int) -> dict:
    with ctx.engine.connect() as conn:
        return conn.execute(select(Device.health).where(Device.id == device_id)).scalar_one()


def test_a_kiosk_ticket_prints_number_chinese_service_phone_qr_and_cut(client, seeded,
                                                                       printer):
    _, headers = add_kiosk(seeded, tcp(printer))
    take(client, headers, "hj")  # someone ahead, so the ticket has a queue to tell about
    ticket, printed = take(client, headers, "hj", kind="priority", priority_reason="老年人")
    assert printed["state"] == "printed" and printed["printed"] is True
    assert printed["job"]["attempts"] == 1 and printed["status"]["paper"] == "ok"
    assert printed["qr_url"] == f"http://localhost/t/{ticket['token']}"

    rec = printer.wait_for_tickets(2)[1]
    t = rec.ticket
    assert "户籍办理" in t.lines and "测试大厅" in t.lines  # GB18030 out, GB18030 back
    number = next(b for b in t.blocks if getattr(b, "text", None) == ticket["number"])
    assert number.scale == 4 and number.align == "center"  # the 58 mm profile's big number
    assert t.qr == [printed["qr_url"]]  # the QR payload is the phone page
    assert t.cut and not t.unknown and rec.printed
    assert "请备齐以下材料：" in t.lines and "1. 居民户口簿原件" in t.lines
    assert "前面没有人等候" in t.lines  # green channel goes before the normal ticket
    assert any(line.endswith("老年人") for line in t.lines)
    assert any(line.startswith("取号时间 2026-11-23 10:00") for line in t.lines)  # Shanghai
    assert client.get(urlsplit(t.qr[0]).path).status_code == 200  # and the page is there


def test_an_english_kiosk_prints_english_labels_and_service_name(client, seeded, printer):
    _, headers = add_kiosk(seeded, tcp(printer))
    ticket, printed = take(client, headers, "hj", lang="en")
    assert printed["state"] == "printed"
    lines = printer.wait_for_tickets(1)[0].ticket.lines
    # 2× wide on 58 mm paper: 16 columns, so the English name wraps at the word
    assert lines[2:4] == ["Household", "registration"] and "Nobody is ahead of you" in lines
    assert "Test Hall" in lines and ticket["number"] in lines


@pytest.mark.parametrize("paper, dots", [("58", 384), ("80", 576)])
def test_a_raster_kiosk_sends_paper_wide_images_with_the_chinese_drawn(client, seeded,
                                                                       tmp_path, paper, dots):
    need_font()
    emu = PrinterEmulator(tmp_path / "raster", paper=paper)
    emu.listen_tcp()
    with emu:
        _, headers = add_kiosk(seeded, tcp(emu, f"chinese=raster&paper={paper}"))
        ticket, printed = take(client, headers, "hj")
        assert printed["state"] == "printed"
        t = emu.wait_for_tickets(1)[0].ticket
    assert "户籍办理" not in t.lines and ticket["number"] in t.lines  # ASCII stays text
    assert t.images and {image.width for image in t.images} == {dots}
    drawn = fonts.render_line("户籍办理", dots, align="center", bold=True, scale=2)
    other = fonts.render_line("税务申报", dots, align="center", bold=True, scale=2)
    assert drawn.tobytes() != other.tobytes()
    assert any(image.tobytes() == drawn.tobytes() for image in t.images)
    # the strip really has ink in it, and in the middle (centred text), not at the edges
    strip = next(image for image in t.images if image.tobytes() == drawn.tobytes())
    ink = strip.convert("L").point(lambda v: 255 if v < 128 else 0)
    box = ink.getbbox()
    assert box is not None and box[0] > dots // 8 and box[2] < dots - dots // 8
    assert ink.histogram()[255] > 400  # dots of ink
    # chinese=raster on the generic profile: Chinese as images, the QR code still native
    assert t.qr == [printed["qr_url"]] and t.cut


def test_paper_out_says_so_keeps_the_ticket_and_staff_reprint_when_paper_is_back(
        client, seeded, printer, staff_client):
    device_id, headers = add_kiosk(seeded, tcp(printer))
    printer.state = "paper_end"
    ticket, printed = take(client, headers, "hj")
    assert printed["state"] == "failed" and printed["printed"] is False
    assert printed["reasons"] == ["打印机缺纸"] and "打印机缺纸" in printed["message"]
    assert printed["qr_url"].endswith(ticket["token"])  # what the screen shows instead
    assert printer.tickets == []  # nothing was sent after the status said paper end
    # the ticket is issued and in the queue all the same
    shown = client.get(f"/api/v1/tickets/{ticket['token']}").json
    assert shown["state"] == "waiting" and shown["number"] == ticket["number"]
    health = device_health(seeded, device_id)
    assert health["paper"] == "out" and health["errors"] == 1
    assert health["error"] == "The printer is out of paper" and health["last_print"] == "failed"
    (alert,) = alerts.open_alerts(seeded, 1)
    assert alert["kind"] == "printer_paper_out" and alert["device_id"] == device_id
    assert {"device.health", "alert"} <= set(event_types(seeded))

    printer.state = "ok"  # paper back in: staff reprint at the information desk
    again = staff_client.post(f"/api/v1/tickets/{ticket['id']}/reprint", json={},
                              headers=staff_client.csrf)
    assert again.status_code == 201, again.json
    assert again.json["state"] == "printed" and again.json["job"]["id"] != printed["job"]["id"]
    assert again.json["job"]["requested_by"].startswith("staff:")
    assert printer.wait_for_tickets(1)[0].ticket.qr == [printed["qr_url"]]
    assert alerts.open_alerts(seeded, 1) == []  # the printer said it is fine again
    assert device_health(seeded, device_id)["paper"] == "ok"
    with seeded.engine.connect() as conn:
        jobs = conn.execute(select(PrintJob.state).where(PrintJob.ticket_id == ticket["id"])
                            .order_by(PrintJob.id)).scalars().all()
    assert jobs == ["failed", "printed"]


def test_the_kiosk_can_print_again_but_only_its_own_tickets(client, seeded, printer):
    _, headers = add_kiosk(seeded, tcp(printer))
    _, other = add_kiosk(seeded, tcp(printer), "2号取号机")
    ticket, _ = take(client, headers, "hj")
    mine = client.post(f"/api/v1/tickets/{ticket['id']}/reprint", json={}, headers=headers)
    assert mine.status_code == 201 and mine.json["state"] == "printed"
    theirs = client.post("/api/v1/print-jobs", json={"ticket_id": ticket["id"]},
                         headers=other)
    assert theirs.status_code == 403 and theirs.json["error"]["field"] == "ticket_id"
    elsewhere = client.post("/api/v1/print-jobs", headers=headers,
                            json={"ticket_id": ticket["id"], "device_id": 999})
    assert elsewhere.status_code == 403 and elsewhere.json["error"]["field"] == "device_id"
    missing = client.post("/api/v1/print-jobs", json={"ticket_id": 12345}, headers=headers)
    assert missing.status_code == 404 and missing.json["error"]["field"] == "ticket_id"
    bad = client.post("/api/v1/print-jobs", json={"ticket_id": "x"}, headers=headers)
    assert bad.status_code == 422 and bad.json["error"]["field"] == "ticket_id"
    assert len(printer.wait_for_tickets(2)) == 2


def test_an_unreachable_printer_is_reported_and_the_ticket_still_stands(client, seeded):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))  # bound, never listening: connection refused
        device_id, headers = add_kiosk(seeded, f"escpos+tcp://127.0.0.1:{s.getsockname()[1]}")
        ticket, printed = take(client, headers, "ss")
    assert printed["state"] == "failed" and printed["reasons"] == ["无法连接打印机"]
    assert device_health(seeded, device_id)["online"] is False
    assert alerts.open_alerts(seeded, 1)[0]["kind"] == "device_offline"
    assert client.get(f"/api/v1/tickets/{ticket['token']}").json["state"] == "waiting"


def test_quota_and_closed_services_are_refused_with_the_reason_the_catalog_shows(
        client, seeded, printer, clock):
    device_id, headers = add_kiosk(seeded, tcp(printer))

    def catalog_service(code: str) -> dict:
        data = client.get(f"/kiosk/{device_id}/catalog", headers=headers).json
        return next(s for d in data["departments"] for s in d["services"] if s["code"] == code)

    assert catalog_service("ss")["quota_left"] == 3 and catalog_service("ss")["available"]
    for _ in range(3):
        take(client, headers, "ss")
    over = client.post("/api/v1/tickets", json={"service": "ss"}, headers=headers)
    assert over.status_code == 409 and over.json["error"]["code"] == "quota_exceeded"
    assert over.json["error"]["message"] == "税务申报今日3个号已全部取完"
    ss = catalog_service("ss")
    assert (ss["state"], ss["quota_left"], ss["available"]) == ("quota_out", 0, False)
    assert ss["reason_text"] == over.json["error"]["message"]  # the kiosk says the same

    with seeded.engine.begin() as conn:
        conn.execute(update(Service).where(Service.code == "sfz")
                     .values(hours=["08:00-09:00", "16:00-17:00"]))
        conn.execute(update(Service).where(Service.code == "hj").values(active=False))
    seeded.cache.clear()
    late = client.post("/api/v1/tickets", json={"service": "sfz"}, headers=headers)
    assert late.status_code == 409 and late.json["error"]["code"] == "service_outside_hours"
    assert "08:00-09:00" in late.json["error"]["message"]
    sfz = catalog_service("sfz")
    assert sfz["state"] == "outside_hours" and sfz["hours"] == ["08:00-09:00", "16:00-17:00"]
    assert sfz["reason_text"] == late.json["error"]["message"]
    closed = client.post("/api/v1/tickets", json={"service": "hj"}, headers=headers)
    assert closed.status_code == 409 and closed.json["error"]["code"] == "service_closed"
    assert catalog_service("hj")["state"] == "closed"
    english = client.get(f"/kiosk/{device_id}/catalog?lang=en", headers=headers).json
    hj = next(s for d in english["departments"] for s in d["services"] if s["code"] == "hj")
    assert hj["reason_text"] == "Household registration is not offered at present"

    clock.advance(days=5, hours=6)  # Saturday 16:00: closed for the weekend, whatever hours
    seeded.cache.clear()
    assert catalog_service("sfz")["state"] == "closed_today"
    assert client.post("/api/v1/tickets", json={"service": "sfz"},
                       headers=headers).json["error"]["code"] == "service_closed_today"


def test_a_printer_on_an_agent_gets_the_job_announced_and_answers_it(client, seeded):
    device_id, headers = add_kiosk(seeded, None)  # no URL: its printer hangs off an agent PC
    ticket, printed = take(client, headers, "hj")
    assert printed["state"] == "pending" and printed["printed"] is None
    job_id = printed["job"]["id"]
    announced = [e for e in queries.events_after(seeded, 1, 0)["events"]
                 if e["type"] == "print.requested"]
    assert [(e["device_id"], e["job_id"]) for e in announced] == [(device_id, job_id)]
    pending = client.get("/api/v1/print-jobs?state=pending", headers=headers).json["jobs"]
    assert [j["id"] for j in pending] == [job_id]
    job = client.get(f"/api/v1/print-jobs/{job_id}?lang=zh_CN", headers=headers).json
    assert job["content"]["number"] == ticket["number"]
    assert job["content"]["qr_url"] == printed["qr_url"]
    assert job["content"]["issued_at"] == "2026-11-23T10:00:00+08:00"
    assert job["labels"]["%(n)s people ahead of you"] == "前面还有 %(n)s 人"

    status = {"online": True, "paper": "near_end", "cover_open": False, "errors": 4}
    done = client.post(f"/api/v1/print-jobs/{job_id}/result", headers=headers,
                       json={"state": "printed", "status": status})
    assert done.status_code == 200 and done.json["state"] == "printed"
    assert device_health(seeded, device_id) | status == device_health(seeded, device_id)
    assert alerts.open_alerts(seeded, 1)[0]["kind"] == "printer_paper_low"
    twice = client.post(f"/api/v1/print-jobs/{job_id}/result", headers=headers,
                        json={"state": "failed"})
    assert twice.status_code in (409, 422) and twice.json["error"]["code"] == "job_finished"
    assert client.get("/api/v1/print-jobs?state=pending", headers=headers).json["jobs"] == []
    garbage = client.post(f"/api/v1/print-jobs/{job_id}/result", headers=headers,
                          json={"state": "burnt"})
    assert garbage.status_code == 422 and garbage.json["error"]["field"] == "state"


def test_the_kiosk_page_heartbeat_asks_the_printer_and_clears_the_alert(client, seeded,
                                                                       printer):
    device_id, headers = add_kiosk(seeded, tcp(printer))
    printer.state = "cover_open"
    beat = client.post(f"/kiosk/{device_id}/heartbeat", headers=headers)
    assert beat.status_code == 200 and beat.json["printer_ok"] is False
    assert "打印机盖未关好" in beat.json["message"]
    assert alerts.open_alerts(seeded, 1)[0]["kind"] == "printer_cover_open"
    printer.state = "ok"
    beat = client.post(f"/kiosk/{device_id}/heartbeat", headers=headers)
    assert beat.json["printer_ok"] is True and beat.json["message"] is None
    assert alerts.open_alerts(seeded, 1) == []
    with seeded.engine.connect() as conn:
        seen = conn.execute(select(Device.last_seen).where(Device.id == device_id)).scalar()
    assert seen is not None
    assert printer.queries[-3:] == [1, 2, 4]


def test_kiosk_pages_refuse_strangers_and_carry_a_strict_csp(client, seeded):
    device_id, headers = add_kiosk(seeded, None)
    page = client.get(f"/kiosk/{device_id}?token=wrong-token-123")
    assert page.status_code == 403
    ok = client.get(f"/kiosk/{device_id}")
    assert ok.status_code == 200 and "script-src 'self'" in ok.headers["Content-Security-Policy"]
    assert b"<script>" not in ok.data and b"onclick" not in ok.data
    assert client.get(f"/kiosk/{device_id}/catalog").status_code == 401
    assert client.get(f"/kiosk/{device_id + 1}/catalog", headers=headers).status_code == 403
    assert client.get("/kiosk/qr/nosuchtoken1.svg").status_code == 404


def test_the_qr_code_on_screen_encodes_the_same_phone_url(client, seeded, printer):
    _, headers = add_kiosk(seeded, tcp(printer))
    ticket, printed = take(client, headers, "hj")
    svg = client.get(f"/kiosk/qr/{ticket['token']}.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    import qrcode
    import qrcode.image.svg

    expected = qrcode.make(printed["qr_url"], image_factory=qrcode.image.svg.SvgPathImage,
                           box_size=10, border=2,
                           error_correction=qrcode.constants.ERROR_CORRECT_M)
    assert svg.get_data(as_text=True) == expected.to_string(encoding="unicode")


def test_an_appointment_checked_in_at_the_kiosk_prints_as_an_appointment(client, seeded,
                                                                        printer):
    _, headers = add_kiosk(seeded, tcp(printer))
    slots = client.get("/api/v1/appointments/slots?service=hj&day=2026-11-23").json["slots"]
    slot = next(s for s in slots if s["remaining"] > 0)
    booked = client.post("/api/v1/appointments", json={"service": "hj", "start": slot["start"],
                                                       "phone": "13800138000"})
    assert booked.status_code == 201, booked.json
    ticket = client.post("/api/v1/appointments/check-in", json={"code": booked.json["code"]},
                         headers=headers)
    assert ticket.status_code == 201 and ticket.json["kind"] == "appointment", ticket.json
    printed = client.post("/api/v1/print-jobs", json={"ticket_id": ticket.json["id"]},
                          headers=headers)
    assert printed.status_code == 201 and printed.json["state"] == "printed"
    lines = printer.wait_for_tickets(1)[0].ticket.lines
    assert ticket.json["number"] in lines
    assert f"预约：{slot['start'][11:16]}" in lines  # the kind and the slot's local time
    unknown = client.post("/api/v1/appointments/check-in", json={"code": "ZZZZ2345"},
                          headers=headers)
    assert unknown.status_code == 404 and unknown.json["error"]["field"] == "code"


def test_public_url_in_ticket_qr(app, client, seeded, printer, admin_client):
    """The QR code on a ticket reaches a phone (issue 17 §4): it points at the hall's public
    base URL — the /admin/settings field, else HALL_PUBLIC_URL — not at the address the kiosk
    used (127.0.0.1 on a one-box hall)."""
    _, headers = add_kiosk(seeded, tcp(printer))

    def printed_qr() -> str:
        before = len(printer.tickets)
        ticket, printed = take(client, headers, "hj")
        rec = printer.wait_for_tickets(before + 1)[-1]
        assert rec.ticket.qr == [printed["qr_url"]]  # what the paper's QR code says
        return printed["qr_url"].removesuffix(ticket["token"])

    assert printed_qr() == "http://localhost/t/"  # nothing set: the request's own address
    app.config["PUBLIC_URL"] = "http://hall.example.gov.cn:8080"  # HALL_PUBLIC_URL
    assert printed_qr() == "http://hall.example.gov.cn:8080/t/"

    spec = admin_client.get("/api/v1/admin/settings").json
    bad = admin_client.put("/api/v1/admin/settings", headers=admin_client.csrf,
                           json={**spec, "public_url": "ftp://192.168.1.20"})
    assert bad.status_code == 422 and bad.json["error"]["field"] == "public_url", bad.json
    ok = admin_client.put("/api/v1/admin/settings", headers=admin_client.csrf,
                          json={**spec, "public_url": "http://192.168.1.20:5000/"})
    assert ok.status_code == 200 and ok.json["public_url"] == "http://192.168.1.20:5000"
    assert printed_qr() == "http://192.168.1.20:5000/t/"  # the hall's setting wins
    before = len(printer.tickets)
    ticket, printed = take(client, headers, "hj")
    printer.wait_for_tickets(before + 1)  # its paper arrives before the next one is counted
    import qrcode
    import qrcode.image.svg

    on_screen = client.get(f"/kiosk/qr/{ticket['token']}.svg").get_data(as_text=True)
    assert on_screen == qrcode.make(
        f"http://192.168.1.20:5000/t/{ticket['token']}",
        image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2,
        error_correction=qrcode.constants.ERROR_CORRECT_M).to_string(encoding="unicode")

    cleared = admin_client.put("/api/v1/admin/settings", headers=admin_client.csrf,
                               json={**spec, "public_url": ""})
    assert cleared.status_code == 200 and cleared.json["public_url"] is None
    assert printed_qr() == "http://hall.example.gov.cn:8080/t/"


def test_printed_ticket_with_lost_status_is_not_reported_unprinted(app, client, seeded,
                                                                    printer, staff_client):
    """Issue 17 §5: the whole ticket reached the printer (real bytes over TCP, decoded by the
    emulator), then the printer stops answering DLE EOT. That is "printed, status unknown":
    the kiosk shows the number as printed, the job is flagged for staff, nothing is printed
    a second time."""
    app.config["PRINT_TIMEOUT"] = 0.5
    device_id, headers = add_kiosk(seeded, tcp(printer))
    printer.tickets_until, printer.then_state = 1, "silent"  # silent once the cut is read
    ticket, printed = take(client, headers, "hj")

    rec = printer.wait_for_tickets(1)[0]  # the bytes: the whole ticket, number and cut
    assert rec.ticket.cut and ticket["number"] in rec.ticket.lines
    assert "户籍办理" in rec.ticket.lines
    assert rec.ticket.qr == [printed["qr_url"]]
    assert printer.queries == [1, 2, 4, 1]  # answered before; the first one after, never
    assert printer.state == "silent"

    # the visitor is told it printed, never "could not be printed, ask staff"
    assert printed["state"] == "printed" and printed["printed"] is True
    assert printed["message"] == "号票已打印，请从下方出票口取走。"
    assert printed["job"]["state"] == "printed" and printed["job"]["unconfirmed"] is True
    polled = client.get(f"/api/v1/print-jobs/{printed['job']['id']}", headers=headers).json
    assert polled["state"] == "printed"  # what the kiosk page polls says the same
    # flagged for staff: an alert naming the ticket, and the job in the staff's list
    flagged = [a for a in alerts.open_alerts(seeded, 1) if a["kind"] == "print_unconfirmed"]
    assert len(flagged) == 1 and flagged[0]["ticket_id"] == ticket["id"]
    assert flagged[0]["device_id"] == device_id
    assert flagged[0]["payload"]["number"] == ticket["number"]
    listed = staff_client.get("/api/v1/print-jobs?state=unconfirmed").json["jobs"]
    assert [j["id"] for j in listed] == [printed["job"]["id"]]
    assert device_health(seeded, device_id)["last_print"] == "unconfirmed"
    # nothing printed twice: one job, and the printer never got a second ticket
    with seeded.engine.connect() as conn:
        jobs = conn.execute(select(PrintJob.state, PrintJob.unconfirmed)
                            .where(PrintJob.ticket_id == ticket["id"])).all()
    assert [tuple(j) for j in jobs] == [("printed", True)]
    with pytest.raises(TimeoutError):
        printer.wait_for_tickets(2, timeout=1.0)
    assert len(printer.tickets) == 1
