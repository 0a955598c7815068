"""Caller keypad and rating keypad bridges against a real server, over a real pty.

The keypad is the emulator (drivers/keypad/emulator.py) on a pty; the bridge reads it through
the shared bus, acts through the HTTP API with its device token, and hears the hall through a
real python-socketio client. The agent runtime is another module's job: the harness here is
the least that stands in for it (a Link over requests, events handed to ``on_event``)."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from counter.keypad_bridge import LOW_COMMENT, LOW_REASON, KeypadBridge, RatingKeypadBridge
from drivers.keypad import protocol as kp
from drivers.keypad.emulator import KeypadEmulator
from hall.agent.bridge import LinkError
from hall.services.config import accounts
from hall.services.context import read
from hall.store.models import Counter, Rating, Ticket
from tests.e2e.conftest import SQLITE_ONLY
from tests.e2e.live_client import LiveClient
from tests.e2e.server import running_hall

# the bridges act over HTTP: one database suffices (both are under a server in test_live.py)
pytestmark = [pytest.mark.slow, SQLITE_ONLY]


class RequestsLink:
    """A test-only Link: /api/v1 calls with the bridge's token (hall/agent/bridge.py)."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.http = url + "/api/v1", requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, json: dict[str, Any] | None = None, *,
             buffer: bool = False) -> dict[str, Any] | None:
        r = self.http.request(method, self.url + path, json=json, timeout=10)
        if r.status_code >= 400:
            raise LinkError(r.status_code, r.json())
        return r.json()


class Harness:
    """Starts bridges like the runtime would and drives them: events in, poll, repeat."""

    def __init__(self, server_url: str) -> None:
        self.url = server_url
        self.pairs: list[tuple[Any, LiveClient, RequestsLink]] = []

    def add(self, bridge, device: dict[str, Any], last_seq: int = 0):
        link = RequestsLink(self.url, device["token"])
        bridge.start(link, link.call("GET", "/devices/me"))
        live = LiveClient(self.url, device["token"]).connect()
        self.pairs.append((bridge, live, link))
        for room in bridge.rooms():
            ack = live.subscribe(room, last_seq)
            assert ack["ok"], ack
            if ack["snapshot"] is not None:
                bridge.on_snapshot(room, ack["snapshot"])
            for event in ack["events"]:
                bridge.on_event(event)
        return bridge

    def run_until(self, done: Callable[[], bool], timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for bridge, live, _ in self.pairs:
                while not live.events.empty():
                    bridge.on_event(live.events.get_nowait())
                bridge.poll()
            if done():
                return
            time.sleep(0.03)
        raise AssertionError(f"not done in {timeout} s: "
                             f"{[b.health() for b, _, _ in self.pairs]}")

    def close(self) -> None:
        for bridge, live, link in self.pairs:
            bridge.close()
            live.close()
            link.http.close()


@pytest.fixture
def keypad_hall(ctx, db_url, tmp_path):
    with running_hall(ctx, db_url, tmp_path) as (server, tokens, post):
        tokens["pad1"] = accounts.add_device(ctx, kind="pad", counter_number=1).value
        harness = Harness(server.url)
        emulator = KeypadEmulator([1], [9], link=tmp_path / "ttyRS485")
        emulator.start_pty()
        try:
            yield harness, emulator, tokens, post, ctx
        finally:
            harness.close()
            emulator.close()


def ticket_state(ctx, number: str) -> tuple[str, int | None]:
    return read(ctx, lambda uow: tuple(uow.conn.execute(
        select(Ticket.state, Ticket.counter_id).where(Ticket.number == number)).one()))


def test_keypad_presses_run_a_visit_and_the_display_shows_number_and_waiting(keypad_hall):
    harness, emu, tokens, post, ctx = keypad_hall
    for _ in range(2):
        post("/api/v1/tickets", "kiosk", service="hj")
    keypad = harness.add(KeypadBridge(token=tokens["keypad1"]["token"],
                                      url=f"keypad+serial://{emu.link}?address=1",
                                      pause_reasons=["午休", "业务咨询", "系统故障"]),
                         tokens["keypad1"])
    pad = emu.keypad(1)
    harness.run_until(lambda: pad.display == ("002", "   "))

    pad.press("call")
    harness.run_until(lambda: pad.display == ("001", "001"))  # A001 called, one waits
    assert ticket_state(ctx, "A001") == ("called", tokens["keypad1"]["counter_id"])
    assert pad.acks == 1  # the press was echoed back, as the reference host does
    pad.press("confirm")  # 确认 alone: the visitor is here, start
    harness.run_until(lambda: ticket_state(ctx, "A001")[0] == "serving")
    pad.press("evaluate")  # 评价: finish (办结) and hand over to the rating pad
    harness.run_until(lambda: pad.display == ("001", "   "))
    assert ticket_state(ctx, "A001")[0] == "done"

    post("/api/v1/tickets", "kiosk", service="sfz")  # another service of counter 1
    harness.run_until(lambda: pad.display == ("002", "   "))
    pad.press("pause", "2")  # 2 then 暂停: the hall's second pause reason
    harness.run_until(lambda: keypad.state == "paused")
    assert pause_reason(ctx, tokens["keypad1"]["counter_id"]) == "业务咨询"
    pad.press("call")  # calling resumes a paused counter first
    harness.run_until(lambda: pad.ticket == "002" and keypad.state == "open")
    pad.press("transfer", "2")  # to counter 2 by name
    harness.run_until(lambda: pad.ticket == "   ")
    assert ticket_state(ctx, "A002")[0] == "transferred"
    assert keypad.presses == 6 and keypad.refused == 0 and keypad.failed == 0


def test_garbage_frames_are_logged_and_counted_and_the_keypad_still_calls(keypad_hall, caplog):
    harness, emu, tokens, post, ctx = keypad_hall
    post("/api/v1/tickets", "kiosk", service="hj")
    keypad = harness.add(KeypadBridge(token=tokens["keypad1"]["token"],
                                      url=f"{emu.link}?address=1"), tokens["keypad1"])
    caplog.set_level(logging.WARNING)
    call = bytes.fromhex("FF 68 03 03 68 01 01 0C 0E 16")
    emu.send(b"\x00\x55noise" + call[:-2] + b"\x99\x16")  # noise, then a bad checksum
    emu.send(call[:5])  # truncated: the next frame starts inside it
    emu.send(bytes.fromhex("FF 68 09 03 68 01 01 0C 0E 16"))  # L ≠ L'
    emu.send(bytes.fromhex("FF 68 03 03 68 01 01 11 13 16"))  # a key with no meaning
    emu.keypad(1).press("call")
    harness.run_until(lambda: emu.keypad(1).ticket == "001")
    assert ticket_state(ctx, "A001")[0] == "called"
    health = keypad.health()
    assert health["bad_frames"] == {"noise": 1, "bad_length": 1, "bad_checksum": 1,
                                    "bad_end": 0, "truncated": 1}
    assert health["unknown_keys"] == 1 and health["errors"] == 5 and health["online"]
    assert health["presses"] == 1 and health["failed"] == 0
    assert emu.wait(lambda: emu.keypad(1).beeps == 1)  # a meaningless key: a beep
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "bad_checksum" in logged and "truncated" in logged and "mean nothing" in logged
    link = harness.pairs[0][2]
    assert link.call("POST", "/devices/me/health", health)  # the server takes the report


def test_the_bridge_resumes_when_the_port_closes_and_comes_back(keypad_hall):
    harness, emu, tokens, post, ctx = keypad_hall
    keypad = harness.add(KeypadBridge(token=tokens["keypad1"]["token"],
                                      url=f"keypad+serial://{emu.link}", address=1),
                         tokens["keypad1"])
    harness.run_until(lambda: emu.keypad(1).display == ("000", "   "))
    emu.unplug()
    harness.run_until(lambda: not keypad.health()["online"])
    post("/api/v1/tickets", "kiosk", service="hj")  # the hall goes on meanwhile
    harness.run_until(lambda: keypad.waiting_count == 1)
    emu.replug()
    harness.run_until(lambda: emu.keypad(1).display == ("001", "   "))  # repainted
    emu.keypad(1).press("call")
    harness.run_until(lambda: emu.keypad(1).ticket == "001")
    assert ticket_state(ctx, "A001")[0] == "called"
    assert keypad.health()["reconnects"] == 1 and keypad.health()["online"]


def test_a_keypad_started_mid_visit_takes_number_and_count_from_the_resync_snapshot(keypad_hall):
    harness, emu, tokens, post, ctx = keypad_hall
    for _ in range(3):
        post("/api/v1/tickets", "kiosk", service="hj")
    post("/api/v1/counters/1/call-next", "keypad1")
    keypad = KeypadBridge(token=tokens["keypad1"]["token"], url=f"{emu.link}?address=1")
    harness.add(keypad, tokens["keypad1"], last_seq=10**9)  # "too far behind": a snapshot
    assert keypad.current["number"] == "A001" and keypad.waiting_count == 2  # before any poll
    harness.run_until(lambda: emu.keypad(1).display == ("002", "001"))


def test_a_rating_key_is_recorded_once_and_a_second_press_is_refused(keypad_hall):
    harness, emu, tokens, post, ctx = keypad_hall
    post("/api/v1/tickets", "kiosk", service="hj")
    post("/api/v1/tickets", "kiosk", service="hj")
    url = f"keypad+serial://{emu.link}"  # one RS-485 line: keypad at 1, rating pad at 9
    harness.add(KeypadBridge(token=tokens["keypad1"]["token"], url=url, address=1),
                tokens["keypad1"])
    rating = harness.add(RatingKeypadBridge(token=tokens["pad1"]["token"],
                                            url=url.replace("keypad+", "pad+"), address=9),
                         tokens["pad1"])
    keys, stars = emu.keypad(1), emu.rating_pad(9)
    serve_a_visit(harness, keys)  # call, 确认 (start), 评价 (finish)
    harness.run_until(lambda: stars.asked == 1)  # the pad was told to ask for a rating

    stars.rate(5)
    harness.run_until(lambda: rating.ratings == 1)
    assert ticket_state(ctx, "A001")[0] == "rated"
    # acknowledged as the reference host does (frmMain.cs 8b1593d, 243–247): FUNC 01 + score
    assert emu.wait(lambda: stars.acks == 1)
    assert stars.last_ack == bytes.fromhex("FF 68 03 03 68 09 01 05 0F 16")
    stars.rate(4)  # a second press on the same visit
    harness.run_until(lambda: rating.refused == 1)
    assert emu.wait(lambda: stars.beeps == 1)  # refused: the pad beeps
    assert "already_rated" in rating.health()["error"]
    assert levels(ctx) == [("A001", 5, None, None)]

    serve_a_visit(harness, keys)
    harness.run_until(lambda: stars.asked == 2)
    stars.rate(1)  # 非常不满意: "其他" with a note that the pad could not ask why
    harness.run_until(lambda: rating.ratings == 2)
    assert levels(ctx) == [("A001", 5, None, None), ("A002", 1, LOW_REASON, LOW_COMMENT)]


def serve_a_visit(harness: Harness, keys) -> None:
    for key in ("call", "confirm", "evaluate"):
        acked = keys.acks + 1
        keys.press(key)
        harness.run_until(lambda acked=acked: keys.acks == acked)


def pause_reason(ctx, counter_id: int) -> str | None:
    return read(ctx, lambda uow: uow.conn.execute(
        select(Counter.pause_reason).where(Counter.id == counter_id)).scalar_one())


def levels(ctx) -> list[tuple[str, int, str | None, str | None]]:
    def query(uow):
        r, t = Rating.__table__, Ticket.__table__
        rows = uow.conn.execute(select(t.c.number, r.c.level, r.c.reason, r.c.comment)
                                .select_from(r.join(t, t.c.id == r.c.ticket_id))
                                .order_by(t.c.number)).all()
        assert uow.conn.execute(select(func.count()).select_from(r)).scalar() == len(rows)
        return [tuple(row) for row in rows]

    return read(ctx, query)


def test_keypad_unknown_function_is_counted(keypad_hall, caplog):
    """Frames whose function byte this bridge does not act on were dropped with no trace, so
    a device speaking another dialect looked dead (issue 17 §7). Keys come with any function
    byte but 02, 03 and 11 (frmMain.cs at 8b1593d reads keys from all others); a rating
    (FUNC 11) at a caller keypad's address is counted by function in the health report and
    logged; the host's own frames heard back on the line are not."""
    harness, emu, tokens, post, ctx = keypad_hall
    caplog.set_level(logging.WARNING, logger="counter.keypad")
    post("/api/v1/tickets", "kiosk", service="hj")
    keypad = harness.add(KeypadBridge(token=tokens["keypad1"]["token"],
                                      url=f"keypad+serial://{emu.link}", address=1),
                         tokens["keypad1"])
    harness.run_until(lambda: emu.keypad(1).display == ("001", "   "))

    for score in (5, 1):  # a rating pad answering at the keypad's address
        emu.send(kp.score_frame(1, score).encode())
    emu.send(kp.beep_frame(1).encode())  # the host's own beep, heard back: not counted
    emu.keypad(1).press("call")
    harness.run_until(lambda: emu.keypad(1).ticket == "001")
    health = keypad.health()
    assert health["unknown_functions"] == {"11": 2}
    assert health["errors"] == 2 and health["presses"] == 1 and health["unknown_keys"] == 0
    assert health["error"] == "unknown function 11: 01"
    assert emu.keypad(1).acks == 1  # only the call was acknowledged
    logged = [r.getMessage() for r in caplog.records if "function" in r.getMessage()]
    assert len(logged) == 2 and logged[-1].endswith(
        "function 11 (data 01) dropped: this bridge acts on keys with any function byte "
        "but 02, 03 and 11")
    link = harness.pairs[0][2]
    stored = link.call("POST", "/devices/me/health", health)
    assert stored["health"]["unknown_functions"] == {"11": 2}


def test_keypad_function_05_key_calls_next(keypad_hall):
    """A keypad that sends its keys with function byte 05 instead of 01 is served: the
    reference host reads the key from the last data byte whatever the function byte (but
    11), and echoes the frame as it came, function byte and all (frmMain.cs 8b1593d, lines
    229–240 and 261–265)."""
    harness, emu, tokens, post, ctx = keypad_hall
    post("/api/v1/tickets", "kiosk", service="hj")
    keypad, pad = keypad_showing(harness, emu, tokens, waiting="001")
    pad.press("call", function=0x05)
    harness.run_until(lambda: pad.display == ("000", "001"))
    assert ticket_state(ctx, "A001") == ("called", tokens["keypad1"]["counter_id"])
    assert pad.last_ack == bytes.fromhex("FF 68 03 03 68 01 05 0C 12 16")  # its own bytes
    assert_every_press_served(keypad, presses=1)


def test_keypad_function_00_keys_call_start_finish_and_give_up(keypad_hall):
    """Function byte 00 carries keys as 01 does, digits before 确认 included (6 + 确认 =
    弃号, frmMain.cs 8b1593d lines 296–308, which never tests the function byte but 11)."""
    harness, emu, tokens, post, ctx = keypad_hall
    for _ in range(2):
        post("/api/v1/tickets", "kiosk", service="hj")
    keypad, pad = keypad_showing(harness, emu, tokens, waiting="002")
    steps = [("call", "", ("A001", "called")), ("confirm", "", ("A001", "serving")),
             ("evaluate", "", ("A001", "done")), ("call", "", ("A002", "called")),
             ("confirm", "6", ("A002", "no_show"))]
    for key, digits, (number, state) in steps:
        pad.press(key, digits, function=0x00)
        harness.run_until(lambda n=number, s=state: ticket_state(ctx, n)[0] == s)
    assert emu.wait(lambda: pad.acks == 5)
    assert pad.last_ack == bytes.fromhex("FF 68 04 04 68 01 00 06 0F 16 16")  # CS 01+00+06+0F
    assert_every_press_served(keypad, presses=5)


def keypad_showing(harness: Harness, emu: KeypadEmulator, tokens, waiting: str):
    """Counter 1's keypad bridge (address 1), once the keypad shows `waiting` and no ticket."""
    keypad = harness.add(KeypadBridge(token=tokens["keypad1"]["token"],
                                      url=f"keypad+serial://{emu.link}?address=1"),
                         tokens["keypad1"])
    pad = emu.keypad(1)
    harness.run_until(lambda: pad.display == (waiting, "   "))
    return keypad, pad


def assert_every_press_served(keypad: KeypadBridge, presses: int) -> None:
    health = keypad.health()
    assert health["presses"] == presses and health["unknown_functions"] == {}
    assert health["errors"] == 0 and health["refused"] == 0


def test_keypad_moves_to_the_address_saved_in_the_console(keypad_hall, tmp_path):
    """Issue 17 §1: the keypad's bus is the address an admin saves on /admin/devices (PUT
    /api/v1/devices/<id>/url), over the bridge's own table, and a change applies without a
    restart: the bridge hears config.changed for its device and moves to the new port."""
    from tests.e2e.conftest import admin_session

    harness, emu, tokens, post, ctx = keypad_hall
    post("/api/v1/tickets", "kiosk", service="hj")
    post("/api/v1/tickets", "kiosk", service="hj")
    other = KeypadEmulator([7], [], link=tmp_path / "ttyRS485-new")
    other.start_pty()
    try:
        keypad = harness.add(KeypadBridge(token=tokens["keypad1"]["token"],
                                          url=f"keypad+serial://{emu.link}?address=1"),
                             tokens["keypad1"])
        assert keypad.console_url is None  # nothing saved: the table's port
        harness.run_until(lambda: emu.keypad(1).display == ("002", "   "))
        admin = admin_session(ctx, harness.url)
        device = tokens["keypad1"]["id"]
        url = f"keypad+serial://{other.link}?address=7"
        saved = admin.put(f"{harness.url}/api/v1/devices/{device}/url", json={"url": url},
                          timeout=5)
        assert saved.status_code == 200, saved.text
        harness.run_until(lambda: keypad.console_url == url and keypad.address == 7)
        harness.run_until(lambda: other.keypad(7).display == ("002", "   "))  # repainted
        other.keypad(7).press("call")  # a press on the new bus calls at counter 1
        harness.run_until(lambda: other.keypad(7).display == ("001", "001"))
        assert ticket_state(ctx, "A001") == ("called", tokens["keypad1"]["counter_id"])
        assert keypad.health()["address"] == 7 and keypad.failed == 0
        admin.close()
    finally:
        other.close()


def test_the_test_button_beeps_the_keypad_and_the_bridge_reports_it(keypad_hall):
    """Issue 17 §1: the test button of /admin/devices reaches a keypad's bridge as
    ``device.test`` over the real socket; the keypad on the bus beeps and the bridge's next
    health report carries ``test`` ok, which the admin's device list shows."""
    from tests.e2e.conftest import admin_session

    harness, emu, tokens, post, ctx = keypad_hall
    keypad = harness.add(KeypadBridge(token=tokens["keypad1"]["token"],
                                      url=f"keypad+serial://{emu.link}?address=1"),
                         tokens["keypad1"])
    harness.run_until(lambda: emu.keypad(1).display is not None)
    beeps = emu.keypad(1).beeps
    admin = admin_session(ctx, harness.url)
    device = tokens["keypad1"]["id"]
    sent = admin.post(f"{harness.url}/api/v1/devices/{device}/test", timeout=5)
    assert sent.status_code == 200 and sent.json()["state"] == "sent", sent.text
    harness.run_until(lambda: emu.keypad(1).beeps == beeps + 1)
    assert keypad.health()["test"]["ok"] is True and keypad.health()["test"]["error"] is None
    reported = requests.post(f"{harness.url}/api/v1/devices/me/health", json=keypad.health(),
                             headers={"Authorization": f"Bearer {tokens['keypad1']['token']}"},
                             timeout=5)
    assert reported.status_code == 200, reported.text
    listed = {d["id"]: d for d in admin.get(f"{harness.url}/api/v1/devices",
                                            timeout=5).json()["devices"]}
    assert listed[device]["health"]["test"]["ok"] is True
    admin.close()
