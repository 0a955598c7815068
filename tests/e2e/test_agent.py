"""The device agent against a real server process: LED signs follow the hall through the
real runtime (in this process, inside the server, or as a separate `hall agent` process),
catch up after the signs or the server were away, and buffered calls arrive in order."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import tomllib
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from drivers.led.emulator import Emulator
from hall.agent.config import parse
from hall.agent.link import HttpLink
from hall.agent.runtime import Agent
from hall.services.config import accounts
from hall.services.config.layout.seed import seed, validate_layout
from tests.conftest import DATA, wait_for
from tests.e2e.conftest import SQLITE_ONLY
from tests.e2e.server import ROOT, Server, running_hall

pytestmark = [pytest.mark.slow]
STRIP = 100
FAST = {"health_every_s": 0.5, "reconnect_first_s": 0.2, "reconnect_max_s": 1.0}


def seed_window_five(ctx) -> None:
    """The small test hall plus window 5, whose sign is at bus address 05."""
    layout = tomllib.loads((DATA / "small_hall.toml").read_text(encoding="utf-8"))
    layout["counters"].append({"number": 5, "name": "五号窗口", "led_address": 5,
                               "services": [{"service": "hj"}]})
    validate_layout(layout)
    seed(ctx, layout)


@contextmanager
def signed_hall(ctx, db_url, tmp_path):
    """running_hall with window 5 open, a sign token and an LED emulator on TCP."""
    seed_window_five(ctx)
    sign = accounts.add_device(ctx, kind="sign", name="LED总线").value
    keypad5 = accounts.add_device(ctx, kind="keypad", counter_number=5).value
    agent = accounts.add_device(ctx, kind="agent", name="柜台PC").value
    wang = accounts.add_user(ctx, login="wang", name="王强", role="supervisor").value
    with running_hall(ctx, db_url, tmp_path) as (server, tokens, post), Emulator() as led:
        tokens |= {"sign": sign, "keypad5": keypad5, "agent": agent, "supervisor": wang}
        post("/api/v1/counters/5/open", "keypad5")
        yield server, tokens, post, led


def led_table(token: str, port: int, **options) -> dict:
    return {"token": token, "url": f"led+tcp://127.0.0.1:{port}", "timeout": 1.0,
            "retry_s": 0.5, "reopen_max_s": 0.5,
            "signs": [{"kind": "strip", "address": STRIP, "width": 256}], **options}


def shows(led: Emulator, address: int) -> str | None:
    shown = led.shown(address)
    return shown.text if shown else None


def wait_shows(led: Emulator, address: int, text: str, timeout: float = 10.0) -> None:
    wait_for(lambda: shows(led, address) == text, timeout,
             f"sign {address} to show {text!r} (shows {shows(led, address)!r})")


def call(post, counter: int, keypad: str) -> str:
    post("/api/v1/tickets", "kiosk", service="hj")
    return post(f"/api/v1/counters/{counter}/call-next", keypad)["ticket"]["number"]


@SQLITE_ONLY  # the agent talks to the server over HTTP: the database is not its business
def test_a_call_reaches_window_five_and_the_strip_and_a_paused_window_says_why(
        ctx, db_url, tmp_path):
    with signed_hall(ctx, db_url, tmp_path) as (server, tokens, post, led):
        config = parse({"agent": FAST, "led": [led_table(tokens["sign"]["token"],
                                                          led.start_tcp())]})
        agent = Agent(config, server.url).start()
        try:
            wait_shows(led, 5, "5号窗口 欢迎办理")
            number = call(post, 5, "keypad5")
            wait_shows(led, 5, f"{number} 请到5号窗口")
            wait_for(lambda: f"{number} 请到5号窗口" in (shows(led, STRIP) or ""),
                     what="the strip to list the call")
            post("/api/v1/counters/2/pause", "keypad2", reason="午休")
            wait_shows(led, 2, "暂停服务 午休")
            assert shows(led, 4) == "4号窗口已关闭"  # never opened
            assert led.bad_frames == 0 and led.rejected == 0
            health = wait_for(lambda: _device(server, tokens, "sign"), what="a health report")
            assert health["health"]["online"] is True and health["last_seen"]
        finally:
            agent.stop()


def _device(server, tokens, kind) -> dict | None:
    """The device's row as the admin sees it (GET /api/v1/devices as a supervisor)."""
    with requests.Session() as http:
        r = http.post(server.url + "/api/v1/auth/login", timeout=5,
                      json={"login": "wang", "password": tokens["supervisor"]["password"]})
        assert r.ok, r.text
        devices = http.get(server.url + "/api/v1/devices", timeout=5).json()["devices"]
    found = [d for d in devices if d["id"] == tokens[kind]["id"] and d["last_seen"]]
    return found[0] if found else None


@SQLITE_ONLY
def test_signs_show_the_latest_state_after_the_emulator_missed_two_calls(ctx, db_url, tmp_path):
    with signed_hall(ctx, db_url, tmp_path) as (server, tokens, post, led):
        port = led.start_tcp()
        agent = Agent(parse({"agent": FAST, "led": [led_table(tokens["sign"]["token"], port)]}),
                      server.url).start()
        try:
            wait_shows(led, 5, "5号窗口 欢迎办理")
            led.close()  # the signs' controller is switched off
            first = call(post, 5, "keypad5")
            post("/api/v1/counters/5/skip", "keypad5")
            second = call(post, 5, "keypad5")
            time.sleep(1.0)  # the bridge tries, times out, backs off
            with Emulator() as again:
                seen: list[tuple[int, str]] = []
                again.on_show = lambda address, shown: seen.append((address, shown.text))
                again.start_tcp(port=port)
                wait_shows(again, 5, f"{second} 请到5号窗口")
                strip = wait_for(lambda: shows(again, STRIP), what="the strip")
                assert strip.startswith(f"{second} 请到5号窗口")
                # the earlier call was skipped: it no longer stands, and the strip says so
                # as the hall screen's panel does (issue 15 item 2)
                assert f"{first} 请到5号窗口" not in strip
                assert shows(again, 1) == "1号窗口 欢迎办理"
                # only the newest text went to window 5: the missed call was never shown
                assert [text for address, text in seen if address == 5] == \
                    [f"{second} 请到5号窗口"]
        finally:
            agent.stop()


def write_devices(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@SQLITE_ONLY
def test_an_agent_process_prints_and_drives_signs_and_reconnects_after_a_server_restart(
        ctx, db_url, tmp_path):
    from drivers.escpos.emulator import PrinterEmulator

    with signed_hall(ctx, db_url, tmp_path) as (server, tokens, post, led), \
            PrinterEmulator() as printer:
        led_port, printer_port = led.start_tcp(), printer.listen_tcp()
        config = write_devices(tmp_path / "devices.toml", f"""
[agent]
health_every_s = 0.5
reconnect_first_s = 0.2
reconnect_max_s = 1.0

[[led]]
token = "{tokens['sign']['token']}"
url = "led+tcp://127.0.0.1:{led_port}"
retry_s = 0.5
reopen_max_s = 0.5
signs = [{{ kind = "strip", address = {STRIP} }}]

[[printer]]
token = "{tokens['kiosk']['token']}"
url = "escpos+tcp://127.0.0.1:{printer_port}"
""")
        log = tmp_path / "agent.log"
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "hall.boot", "agent", "--server", server.url,
                 "--token", tokens["agent"]["token"], "--config", str(config)],
                cwd=ROOT, env={**os.environ, "HALL_ASYNC_MODE": "gevent"}, stdout=out,
                stderr=subprocess.STDOUT)
        restarted = None
        try:
            wait_shows(led, 5, "5号窗口 欢迎办理", timeout=20)
            ticket = post("/api/v1/tickets", "kiosk", service="hj")
            assert post("/api/v1/print-jobs", "kiosk", ticket_id=ticket["id"])["state"] == \
                "pending"
            printed = printer.wait_for_tickets(1, timeout=15)[0]
            assert printed.printed and any(ticket["number"] in line
                                           for line in printed.ticket.lines)
            number = post("/api/v1/counters/5/call-next", "keypad5")["ticket"]["number"]
            assert number == ticket["number"]
            wait_shows(led, 5, f"{number} 请到5号窗口")

            server.kill9()  # the server dies; the agent must come back by itself
            time.sleep(1.0)
            restarted = Server(db_url, tmp_path, port=server.port).start()
            post("/api/v1/counters/5/skip", "keypad5")
            second = call(post, 5, "keypad5")
            wait_shows(led, 5, f"{second} 请到5号窗口", timeout=20)
            again = post("/api/v1/tickets", "kiosk", service="hj")
            post("/api/v1/print-jobs", "kiosk", ticket_id=again["id"])
            tickets = printer.wait_for_tickets(2, timeout=15)
            assert any(again["number"] in line for line in tickets[-1].ticket.lines), \
                [t.ticket.lines[:6] for t in tickets]
            first_copies = [t for t in printer.tickets if ticket["number"] in t.ticket.lines]
            assert len(first_copies) == 1, [t.ticket.lines[:6] for t in printer.tickets]
            sign = wait_for(lambda: _device(restarted, tokens, "sign"), what="sign health")
            assert sign["health"]["online"] is True
            own = wait_for(lambda: _device(restarted, tokens, "agent"), what="agent health")
            assert own["health"]["bridges"] == 2 and own["health"]["running"] == 2
            assert proc.poll() is None, log.read_text()
        finally:
            proc.terminate()
            code = proc.wait(timeout=15)
            if restarted is not None:
                restarted.stop()
        assert code == 0, log.read_text()[-3000:]


@SQLITE_ONLY
@pytest.mark.parametrize("async_mode", ["gevent", "eventlet"])
def test_bridges_listed_in_hall_devices_run_inside_the_server(ctx, db_url, tmp_path,
                                                              async_mode):
    seed_window_five(ctx)
    sign = accounts.add_device(ctx, kind="sign").value["token"]
    kiosk = accounts.add_device(ctx, kind="kiosk").value["token"]
    keypad = accounts.add_device(ctx, kind="keypad", counter_number=5).value["token"]
    with Emulator() as led:
        config = write_devices(tmp_path / "devices.toml", f"""
[agent]
reconnect_first_s = 0.2
reconnect_max_s = 1.0

[[led]]
token = "{sign}"
url = "led+tcp://127.0.0.1:{led.start_tcp()}"
""")
        server = Server(db_url, tmp_path, async_mode=async_mode,
                        extra_env={"HALL_DEVICES": str(config)}).start()
        try:
            wait_shows(led, 5, "5号窗口已关闭")
            with requests.Session() as http:
                def as_(token):
                    return {"Authorization": f"Bearer {token}"}

                assert http.post(f"{server.url}/api/v1/counters/5/open", headers=as_(keypad),
                                 timeout=5).ok
                ticket = http.post(f"{server.url}/api/v1/tickets", json={"service": "hj"},
                                   headers=as_(kiosk), timeout=5).json()
                assert http.post(f"{server.url}/api/v1/counters/5/call-next",
                                 headers=as_(keypad), timeout=5).ok
            wait_shows(led, 5, f"{ticket['number']} 请到5号窗口")
        finally:
            server.stop()


@SQLITE_ONLY
def test_buffered_calls_wait_for_a_restarted_server_and_arrive_in_order(ctx, db_url, tmp_path):
    with running_hall(ctx, db_url, tmp_path) as (server, tokens, post):
        keypad = tokens["keypad3"]["token"]
        spool = tmp_path / "spool" / "keypad.jsonl"
        spool.parent.mkdir()
        before = HttpLink(server.url, keypad).call("GET", "/events?after=0")["last_seq"]
        server.kill9()
        link = HttpLink(server.url, keypad, spool=spool)
        assert link.call("POST", "/counters/3/pause", {"reason": "午休"}, buffer=True) is None
        assert link.call("POST", "/counters/3/resume", buffer=True) is None
        assert link.pending == 2 and len(spool.read_text().splitlines()) == 2
        link.close()
        restarted = Server(db_url, tmp_path, port=server.port).start()
        try:
            agent_again = HttpLink(server.url, keypad, spool=spool)  # the agent restarted too
            assert agent_again.pending == 2
            assert agent_again.replay() == 0 and agent_again.dropped == 0
            assert spool.read_text() == ""
            events = agent_again.call("GET", f"/events?after={before}")["events"]
            # each state change is followed by its lines' fresh figures (issue 15 item 1)
            assert [(e["type"], e.get("state")) for e in events
                    if e["type"] != "queue.stats"] == \
                [("counter.state", "paused"), ("counter.state", "open")]
            assert events[1]["type"] == "queue.stats" == events[-1]["type"]
            agent_again.close()
        finally:
            restarted.stop()
