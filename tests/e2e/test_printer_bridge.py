"""The agent-side printer bridge against a real server process (``hall run``, gevent) and
the real ESC/POS emulator over TCP: the job is announced in the kiosk's device room over
Socket.IO, the bridge fetches it over HTTP, prints it, answers, and reports the printer's
health. A tiny in-test Link stands in for the agent runtime (another issue's work)."""
from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from sqlalchemy import select

from hall.agent.bridge import LinkError
from hall.services.supervision import alerts
from hall.store.models import Device, PrintJob
from kiosk.printer_bridge import PrinterBridge, with_options
from tests.e2e.live_client import LiveClient
from tests.e2e.server import running_hall


def with_server(test):
    """A real server process on SQLite."""
    for mark in (pytest.mark.slow,
                 pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)):
        test = mark(test)
    return test


class HttpLink:
    """The Link contract (hall/agent/bridge.py) over plain HTTP with the bridge's token."""

    def __init__(self, base: str, token: str):
        self.base, self.http = base + "/api/v1", requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.calls: list[tuple[str, str]] = []

    def call(self, method: str, path: str, json: dict[str, Any] | None = None, *,
             buffer: bool = False) -> dict[str, Any] | None:
        self.calls.append((method, path))
        r = self.http.request(method, self.base + path, json=json, timeout=10)
        if r.status_code >= 400:
            raise LinkError(r.status_code, r.json())
        return r.json()


def bridge_for(server, kiosk, printer, **options) -> tuple[PrinterBridge, HttpLink]:
    bridge = PrinterBridge(token=kiosk["token"], url=f"escpos+tcp://127.0.0.1:"
                           f"{printer.tcp_port}", paper="58", status_every=0, timeout=1,
                           **options)
    link = HttpLink(server.url, bridge.token)
    bridge.start(link, link.call("GET", "/devices/me"))
    return bridge, link


def take(post, kiosk_name="kiosk", service="hj") -> tuple[dict, dict]:
    ticket = post("/api/v1/tickets", kiosk_name, service=service)
    return ticket, post("/api/v1/print-jobs", kiosk_name, ticket_id=ticket["id"])


@with_server
def test_an_announced_job_is_printed_by_the_bridge_and_answered(live_hall, printer, ctx):
    server, tokens, post = live_hall
    kiosk = tokens["kiosk"]
    bridge, link = bridge_for(server, kiosk, printer)
    assert bridge.rooms() == [f"device:{kiosk['id']}"]
    bridge.poll()  # nothing pending yet; asks the printer's status
    assert bridge.health()["paper"] == "ok" and bridge.health()["errors"] == 0
    live = LiveClient(server.url, kiosk["token"]).connect()
    try:
        assert live.subscribe(bridge.rooms()[0])["ok"]
        ticket, answer = take(post)
        assert answer["state"] == "pending" and answer["printed"] is None
        event = live.next_event("print.requested")
    finally:
        live.close()
    assert event["job_id"] == answer["job"]["id"] and event["device_id"] == kiosk["id"]
    bridge.on_event(event)
    bridge.poll()
    rec = printer.wait_for_tickets(1)[0]
    assert "户籍办理" in rec.ticket.lines and ticket["number"] in rec.ticket.lines
    assert rec.ticket.qr == [answer["qr_url"]] and rec.ticket.cut
    assert rec.ticket.qr[0].startswith(server.url + "/t/")
    job = link.call("GET", f"/print-jobs/{answer['job']['id']}")
    assert job["state"] == "printed" and job["attempts"] == 1

    bridge.on_event(event)  # the same announcement again (a backlog replay): no second print
    bridge.poll()
    time.sleep(0.3)
    assert len(printer.tickets) == 1


@with_server
def test_jobs_announced_while_the_bridge_was_away_are_printed_in_order(live_hall, printer):
    server, tokens, post = live_hall
    numbers = [take(post)[0]["number"] for _ in range(3)]
    bridge, link = bridge_for(server, tokens["kiosk"], printer)
    bridge.poll()
    printed = printer.wait_for_tickets(3)
    assert [next(n for n in numbers if n in r.ticket.lines) for r in printed] == numbers
    assert link.call("GET", "/print-jobs?state=pending")["jobs"] == []
    bridge.on_snapshot(f"device:{tokens['kiosk']['id']}", {})  # too far behind: asks again
    bridge.poll()
    assert ("GET", "/print-jobs?state=pending") in link.calls[-3:]
    assert len(printer.tickets) == 3


@with_server
def test_paper_out_at_the_agent_fails_the_job_and_reports_health(live_hall, printer, ctx):
    server, tokens, post = live_hall
    kiosk = tokens["kiosk"]
    bridge, link = bridge_for(server, kiosk, printer)
    printer.state = "paper_end"
    ticket, answer = take(post)
    bridge.on_event({"type": "print.requested", "device_id": kiosk["id"],
                     "job_id": answer["job"]["id"], "lang": "zh_CN"})
    bridge.poll()
    job = link.call("GET", f"/print-jobs/{answer['job']['id']}")
    assert job["state"] == "failed" and job["error"] == "The printer is out of paper"
    health = bridge.health()
    assert (health["paper"], health["online"], health["errors"]) == ("out", True, 1)
    with ctx.engine.connect() as conn:
        stored = conn.execute(select(Device.health).where(Device.id == kiosk["id"])
                              ).scalar_one()
    assert stored["paper"] == "out" and stored["errors"] == 1
    assert alerts.open_alerts(ctx, 1)[0]["kind"] == "printer_paper_out"
    # the ticket stands: its page works and it waits in the queue
    assert requests.get(f"{server.url}/api/v1/tickets/{ticket['token']}",
                        timeout=5).json()["state"] == "waiting"

    printer.state = "ok"  # paper back: the next status poll says so, the runtime reports it
    bridge.poll()
    link.call("POST", "/devices/me/health", bridge.health())
    assert alerts.open_alerts(ctx, 1) == []
    again = post(f"/api/v1/tickets/{ticket['id']}/reprint", "kiosk")
    bridge.on_event({"type": "print.requested", "device_id": kiosk["id"],
                     "job_id": again["job"]["id"]})
    bridge.poll()
    assert printer.wait_for_tickets(1)[0].ticket.qr == [answer["qr_url"]]
    with ctx.engine.connect() as conn:
        states = conn.execute(select(PrintJob.state).order_by(PrintJob.id)).scalars().all()
    assert states == ["failed", "printed"]


@with_server
def test_a_windows_printer_bridge_prints_the_visitors_paper(live_hall, printer, ctx):
    """A window's printer on an agent PC (a ``printer`` device of window 1, no URL): the
    job for the 受理回执 waits for it; the bridge, asking for pending jobs at start, prints
    the paper the server worded (title, case number, the case page's QR) and answers."""
    from hall.domain.access import Actor
    from hall.services.config import accounts
    from hall.services.devices import printing

    server, _, post = live_hall
    device = accounts.add_device(ctx, kind="printer", name="1号窗口打印机",
                                 counter_number=1).value
    post("/api/v1/tickets", "kiosk", service="hj")
    post("/api/v1/counters/1/call-next", "keypad1")
    post("/api/v1/counters/1/start", "keypad1")
    done = post("/api/v1/counters/1/finish", "keypad1", outcome="accepted")
    assert done["document"] == "acceptance"
    supervisor = Actor("staff", 2, 1, "supervisor")  # 王强, of the layout
    job = printing.start_job(ctx, ticket_id=done["id"], actor=supervisor, base_url=server.url,
                             document="acceptance", lang="zh_CN").value
    assert job["url"] is None and job["device_id"] == device["id"]
    bridge, link = bridge_for(server, device, printer)
    bridge.poll()  # asks for the pending jobs first, then prints them
    rec = printer.wait_for_tickets(1)[0]
    assert rec.ticket.lines[:2] == ["测试大厅", "受理回执"]
    assert f"办件编号：{done['case']['number']}" in rec.ticket.lines
    # the receipt's QR opens the case with its look-up code (the number alone opens nothing)
    assert rec.ticket.qr == [f"{server.url}/case/{done['case']['number']}"
                             f"?code={done['case']['lookup_code']}"]
    answered = link.call("GET", f"/print-jobs/{job['id']}")
    assert answered["state"] == "printed" and answered["document"] == "acceptance"


def test_bridge_options_go_into_the_printer_url_and_bad_ones_fail_at_start():
    assert with_options("escpos+tcp://10.0.0.5:9100", profile="zj-58") == (
        "escpos+tcp://10.0.0.5:9100?profile=zj-58")
    assert with_options("escpos+serial:socket://h:7000?baudrate=9600", chinese="raster") == (
        "escpos+serial:socket://h:7000?baudrate=9600&chinese=raster")
    assert with_options("escpos+serial:///dev/ttyUSB0", paper=58) == (
        "escpos+serial:///dev/ttyUSB0?paper=58")
    with pytest.raises(ValueError, match="unknown printer profile"):
        PrinterBridge(token="t", url="escpos+tcp://h:9100", profile="nope")
    with pytest.raises(TypeError):
        PrinterBridge(token="t", url="escpos+tcp://h:9100", colour="red")


# a serial port is read differently in each mode; TCP is a green socket in both
@with_server
@pytest.mark.parametrize("mode, transport", [("gevent", "tcp"), ("gevent", "serial"),
                                             ("eventlet", "serial")])
def test_a_slow_printer_never_holds_up_other_requests(ctx, db_url, tmp_path, printer, mode,
                                                      transport):
    """The server prints itself (kiosk with a printer URL); the printer is switched off
    (silent: every status query waits out its timeout), yet the hall keeps answering. Over
    TCP the wait is a green socket; a serial port is read in gevent's thread pool, or in
    eventlet's green select."""
    with running_hall(ctx, db_url, tmp_path, async_mode=mode) as up:
        _slow_printer(up, ctx, printer, transport)


def _slow_printer(hall_up, ctx, printer, transport) -> None:
    import threading

    from sqlalchemy import update

    server, tokens, post = hall_up
    url = (f"escpos+tcp://127.0.0.1:{printer.tcp_port}" if transport == "tcp" else
           f"escpos+serial://{printer.pty_path}?baudrate=115200")
    with ctx.engine.begin() as conn:
        conn.execute(update(Device).where(Device.id == tokens["kiosk"]["id"]).values(url=url))
    ticket = post("/api/v1/tickets", "kiosk", service="hj")
    assert post("/api/v1/print-jobs", "kiosk", ticket_id=ticket["id"])["state"] == "printed"
    printer.state = "silent"
    answer: dict = {}

    def tap() -> None:
        started = time.monotonic()
        answer.update(post("/api/v1/print-jobs", "kiosk", ticket_id=ticket["id"]))
        answer["took"] = time.monotonic() - started

    slow = threading.Thread(target=tap)
    slow.start()
    time.sleep(0.3)  # the print request is now waiting on the silent printer
    quick = []
    for _ in range(5):
        started = time.monotonic()
        assert requests.get(f"{server.url}/api/v1/queues", timeout=5).ok
        quick.append(time.monotonic() - started)
    slow.join(10)
    assert answer["state"] == "failed" and answer["took"] >= 1.5
    assert answer["reasons"] == ["打印机无响应：请检查电源和连接线"]
    assert max(quick) < 0.5, quick  # nobody waited for the printer but its own kiosk
    assert printer.wait_for_tickets(1)[0].printed  # the first, before it went silent


@with_server
def test_the_test_button_prints_a_test_slip_through_the_agents_bridge(live_hall, printer,
                                                                       ctx):
    """Issue 17 §1: a kiosk whose printer hangs off an agent is tested by its bridge: the
    admin's test sends ``device.test`` over the real socket, the bridge prints the slip on
    its printer (the ESC/POS emulator on TCP) and its health report carries ``test`` ok."""
    from tests.e2e.conftest import admin_session

    server, tokens, post = live_hall
    kiosk = tokens["kiosk"]
    bridge, link = bridge_for(server, kiosk, printer)
    live = LiveClient(server.url, kiosk["token"]).connect()
    admin = admin_session(ctx, server.url)
    try:
        assert live.subscribe(bridge.rooms()[0])["ok"]
        sent = admin.post(f"{server.url}/api/v1/devices/{kiosk['id']}/test", timeout=5)
        assert sent.status_code == 200 and sent.json()["state"] == "sent", sent.text
        event = live.next_event("device.test")
    finally:
        live.close()
    bridge.on_event(event)
    bridge.poll()
    slip = printer.wait_for_tickets(1)[0].ticket
    assert "测试大厅" in slip.lines and slip.cut
    assert bridge.health()["test"]["ok"] is True
    reported = link.call("POST", "/devices/me/health", bridge.health())
    assert reported["health"]["test"]["ok"] is True
    admin.close()
