"""The LED bridge on real bytes: the hall's own events (services on a real database) drive
window signs and a hall strip on emulated controllers over a pty bus and TCP; a dead or hung
sign is reported and does not hold up the others."""
from __future__ import annotations

import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from display.led_board import Board, safe_text
from display.led_bridge import LedBridge
from drivers.led.emulator import Emulator
from hall.domain.access import SYSTEM
from hall.services.config.layout.seed import load_layout, seed
from hall.services.counters import state as counters
from hall.services.queue import calling, queries, tickets, visits
from tests.conftest import DATA, wait_for

STRIP = 100


def shows(led: Emulator, address: int) -> str | None:
    shown = led.shown(address)
    return shown.text if shown else None


class Feed:
    """Hands the bridge what the hall's event log holds, as the runtime would."""

    def __init__(self, ctx, hall_id: int, bridge: LedBridge) -> None:
        self.ctx, self.hall_id, self.bridge = ctx, hall_id, bridge
        snapshot = queries.hall_snapshot(ctx, hall_id)
        self.last = snapshot["last_seq"]
        bridge.on_snapshot(f"hall:{hall_id}", snapshot)

    def __call__(self) -> None:
        page = queries.events_after(self.ctx, self.hall_id, self.last)
        for event in page["events"]:
            self.bridge.on_event(event)
        self.last = page["last_seq"]


@pytest.fixture
def hall_open(ctx, hall):
    for n in (1, 2):
        counters.open_counter(ctx, counter_id=hall["counters"][n], actor=SYSTEM)
    return hall


def start(bridge: LedBridge, hall) -> LedBridge:
    bridge.start(None, {"id": 1, "kind": "sign", "hall_id": hall["id"], "counter_id": None,
                        "name": "LED"})
    return bridge


def test_window_signs_and_the_strip_follow_calls_pauses_finishes_and_closing(ctx, hall_open):
    hall, kiosk = hall_open, SYSTEM
    layout = load_layout(DATA / "small_hall.toml")
    layout["notices"] = [{"text": "午间不停办：12:00—13:30 正常办理"}]
    seed(ctx, layout)
    with Emulator() as led:
        url = f"led+tcp://127.0.0.1:{led.start_tcp()}"
        bridge = start(LedBridge("token", url, signs=[{"kind": "strip", "address": STRIP}],
                                 strip_max_age_h=0), hall)
        try:
            feed = Feed(ctx, hall["id"], bridge)
            assert bridge.wait_idle()
            assert [shows(led, n) for n in (1, 2, 3, 4)] == [
                "1号窗口 欢迎办理", "2号窗口 欢迎办理", "3号窗口已关闭", "4号窗口已关闭"]
            first = tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk).value
            second = tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk).value
            calling.call_next(ctx, counter_id=hall["counters"][1], actor=SYSTEM)
            calling.call_next(ctx, counter_id=hall["counters"][2], actor=SYSTEM)
            feed()
            assert bridge.wait_idle()
            assert shows(led, 1) == f"{first['number']} 请到1号窗口"
            assert shows(led, 2) == f"{second['number']} 请到2号窗口"
            assert shows(led, STRIP) == (f"{second['number']} 请到2号窗口\u3000\u3000"
                                         f"{first['number']} 请到1号窗口\u3000\u3000"
                                         "午间不停办：12:00\u201513:30 正常办理")
            calling.start(ctx, counter_id=hall["counters"][1], actor=SYSTEM)
            visits.finish(ctx, counter_id=hall["counters"][1], actor=SYSTEM, outcome="done")
            calling.skip(ctx, counter_id=hall["counters"][2], actor=SYSTEM)
            counters.pause(ctx, counter_id=hall["counters"][2], actor=SYSTEM, reason="午休")
            feed()
            assert bridge.wait_idle()
            assert shows(led, 1) == "1号窗口 欢迎办理"
            assert shows(led, 2) == "暂停服务 午休"
            counters.close(ctx, counter_id=hall["counters"][2], actor=SYSTEM)
            feed()
            assert bridge.wait_idle()
            assert shows(led, 2) == "2号窗口已关闭"
            assert led.bad_frames == 0 and led.rejected == 0
            assert bridge.health()["online"] is True
        finally:
            bridge.close()


@pytest.fixture
def hung_controller():
    """A TCP controller that accepts connections and never answers (a hung sign)."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_dead_sign_is_reported_and_does_not_hold_up_the_others(ctx, hall_open,
                                                                 hung_controller):
    hall = hall_open
    # a pty bus where windows 1 and 2 answer and window 3's sign (address 3) is dead, and
    # window 4 plus a hung strip controller on their own TCP connections
    with Emulator(addresses={1, 2}) as bus, Emulator() as four:
        bridge = start(LedBridge(
            "token", f"led+serial://{bus.start_pty()}", timeout=1.0, retry_s=5.0,
            strip_max_age_h=0,
            signs=[{"counter": 1}, {"counter": 2}, {"counter": 3},
                   {"counter": 4, "url": f"led+tcp://127.0.0.1:{four.start_tcp()}"},
                   {"kind": "strip", "address": STRIP,
                    "url": f"led+tcp://127.0.0.1:{hung_controller}"}]), hall)
        try:
            began = time.monotonic()
            feed = Feed(ctx, hall["id"], bridge)
            wait_for(lambda: shows(four, 4) == "4号窗口已关闭", 0.5, "window 4 at once")
            wait_for(lambda: shows(bus, 1) and shows(bus, 2), 2.5, "windows 1 and 2")
            assert time.monotonic() - began < 2.5  # at most one timeout of the dead sign
            def dead_ones():
                health = bridge.health()
                states = {s["label"]: s["ok"] for s in health["signs"]}
                dead = states["window 3 @3"] is False and states[f"strip @{STRIP}"] is False
                return (health, states) if dead else None

            health, states = wait_for(dead_ones, 3, "the dead signs in health")
            assert health["online"] is False
            assert states["window 1 @1"] and states["window 2 @2"] and states["window 4 @4"]
            assert health["errors"] >= 2 and "no reply" in health["error"]

            counters.open_counter(ctx, counter_id=hall["counters"][4], actor=SYSTEM)
            ticket = tickets.issue(ctx, hall_id=hall["id"], service="ss", actor=SYSTEM).value
            calling.call_next(ctx, counter_id=hall["counters"][4], actor=SYSTEM)
            sent = time.monotonic()
            feed()
            wait_for(lambda: shows(four, 4) == f"{ticket['number']} 请到4号窗口", 0.5,
                     "the call on window 4 while the strip hangs")
            assert time.monotonic() - sent < 0.5
        finally:
            bridge.close()


def test_the_strip_drops_old_calls_and_stays_within_one_frame():
    board = Board(strip_calls=3, strip_max_age_s=3600,
                  notices=["请携带身份证原件办理业务"] * 60)
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    live = [{"ticket_id": n, "number": f"A00{n}", "counter_id": n, "counter_number": n,
             "called_at": (now - timedelta(minutes=minutes)).isoformat()}
            for n, minutes in ((4, 5), (3, 10), (2, 20), (1, 300))]  # newest first
    board.apply({"type": "calls.live", "calls": live})
    lines = board.strip_lines(now)
    assert lines[:3] == ("A004 请到4号窗口", "A003 请到3号窗口", "A002 请到2号窗口")
    assert len("\u3000\u3000".join(lines).encode("gb2312")) <= 900 and len(lines) < 63
    board.apply({"type": "calls.live", "calls": live[3:]})  # a stale call in front
    assert "A001 请到1号窗口" not in board.strip_lines(now + timedelta(hours=2))


def test_the_strip_shows_only_calls_that_still_stand():
    """A call ends when its visit is skipped, transferred or finished, or its window pauses:
    the server's calls.live says so and the strip follows, as the hall screen's panel does."""
    board = Board(strip_max_age_s=0)
    board.load_snapshot({"counters": [], "live_calls": [
        {"ticket_id": 7, "number": "A005", "counter_id": 1, "counter_number": 1,
         "called_at": "2026-11-23T02:00:00+00:00"}]})
    assert board.strip_lines() == ("A005 请到1号窗口",)
    board.apply({"type": "ticket.skipped", "ticket_id": 7, "counter_id": 1})
    board.apply({"type": "calls.live", "calls": []})
    assert board.strip_lines() == ()


def test_a_chain_call_shows_its_step_where_the_sign_has_room():
    """多窗联办: "L001 第2步 请到3号窗口" on a sign wide enough to show it still; a default
    128-pixel window sign keeps the plain call (exactly its width) rather than scroll."""
    board = Board(strip_max_age_s=0)
    board.apply({"type": "counter.state", "counter_id": 3, "counter_number": 3,
                 "state": "open"})
    called = {"ticket_id": 9, "number": "L001", "counter_id": 3, "counter_number": 3,
              "chain": {"step": 2, "of": 3, "service": {"name": "缴纳税费"}}}
    board.apply({"type": "ticket.called", **called})
    assert board.window_text(3, 128) == "L001 请到3号窗口"
    assert board.window_text(3, 192) == "L001 第2步 请到3号窗口"
    board.apply({"type": "calls.live", "calls": [
        {**called, "called_at": "2026-11-23T02:00:00+00:00"},
        {"ticket_id": 4, "number": "A004", "counter_id": 1, "counter_number": 1,
         "called_at": "2026-11-23T01:59:00+00:00"}]})
    assert board.strip_lines(width=256) == ("L001 第2步 请到3号窗口", "A004 请到1号窗口")
    assert board.strip_lines(width=128)[0] == "L001 请到3号窗口"
    board.apply({"type": "ticket.finished", "ticket_id": 9, "counter_id": 3})
    assert board.window_text(3, 192) == "3号窗口 欢迎办理"
    own = Board(texts={"step": "{number}第{step}步到{counter}号"})
    own.load_snapshot({"counters": [{"id": 3, "number": 3, "state": "open",
                                     "current_ticket_id": 9, "current_ticket": {
                                         "number": "L001", "state": "called",
                                         "chain": {"step": 3, "of": 3}}}]})
    assert own.window_text(3, 128) == "L001第3步到3号"


def test_text_a_sign_cannot_show_is_replaced_not_refused():
    assert safe_text("暂停服务 系统\\故障 ☕") == "暂停服务 系统 故障 ?"
    assert safe_text("12:00—13:30 · 午休").encode("gb2312") == \
        "12:00—13:30 · 午休".encode("gbk")  # the same bytes a GBK tool would send
    board = Board(texts={"paused": "{counter}号窗口暂停 {reason}"})
    board.apply({"type": "counter.state", "counter_id": 7, "counter_number": 7,
                 "state": "paused", "reason": "喝☕"})
    assert board.window_text(7) == "7号窗口暂停 喝?"
    with pytest.raises(ValueError, match="texts.call"):
        Board(texts={"call": "{ticket} 请到{counter}号窗口"})


def test_a_sign_shows_its_fallback_for_rare_characters_and_logs_them(caplog):
    """Issue 17 §8: a GB2312 sign cannot show 䶮 or 𠮷; it shows the configured fallback
    (here □) and the bridge logs each such character once and lists it in its health."""
    with Emulator() as led:
        bridge = LedBridge("token", f"led+tcp://127.0.0.1:{led.start_tcp()}", fallback="□",
                           strip_max_age_h=0, notices=["请䶮先生到1号窗口", "请𠮷女士到2号窗口"],
                           signs=[{"kind": "strip", "address": STRIP}])
        with caplog.at_level("WARNING", logger="display.led_board"):
            bridge.start(None, {"id": 1, "kind": "sign", "hall_id": 1, "counter_id": None})
            try:
                assert bridge.wait_idle()
                assert shows(led, STRIP) == "请□先生到1号窗口\u3000\u3000请□女士到2号窗口"
                assert bridge.health()["replaced"] == "䶮𠮷"
            finally:
                bridge.close()
    logged = [r.getMessage() for r in caplog.records if "GB2312" in r.getMessage()]
    assert len(logged) == 2 and "U+4DAE" in logged[0] and "U+20BB7" in logged[1]
    assert Board(fallback="□").clean("张堃 李喆 王赟") == "张□ 李□ 王□"  # GBK, not GB2312
    for bad in ("䶮", "\\", ""):
        with pytest.raises(ValueError, match="fallback"):
            Board(fallback=bad)


NOTICES = [f"{n}. 请携带本人居民身份证原件，按号等候，听到叫号后到对应窗口办理"
           for n in range(1, 10)]


@pytest.mark.parametrize("model, limit", [("bx-5k", 512), ("bx-6k", 1024)])
def test_led_area_limit_splits_long_text(model, limit):
    """Issue 17 §6: the hall strip's text (here 9 notices, 600-odd GB2312 bytes) never goes
    out as one dynamic area over the controller's limit (vendor §8.2.1: 512 bytes on a
    BX-5K, 1024 on a BX-6K). The model is the sign's setting; on a BX-5K the text is cut
    between notices into pages shown in turn, and the pages together carry all of it."""
    whole = "\u3000\u3000".join(NOTICES)
    assert 512 < len(whole.encode("gb2312")) < 1024
    with Emulator(model=model) as led:  # the controller refuses an area over its limit
        url = f"led+tcp://127.0.0.1:{led.start_tcp()}?model={model}"
        bridge = LedBridge("token", url, notices=NOTICES, strip_max_age_h=0, page_s=1.2,
                           signs=[{"kind": "strip", "address": STRIP}])
        bridge.start(None, {"id": 1, "kind": "sign", "hall_id": 1, "counter_id": None})
        try:
            assert bridge.wait_idle()
            time.sleep(3.0 if model == "bx-5k" else 1.5)  # long enough to page round
        finally:
            bridge.close()
    frames = [(at, shown.text) for at, address, shown in led.history if address == STRIP]
    assert led.rejected == 0 and led.bad_frames == 0
    assert all(len(text.encode("gb2312")) <= limit for _, text in frames)
    pages = list(dict.fromkeys(text for _, text in frames))  # in order, once each
    if model == "bx-6k":
        assert pages == [whole] and len(frames) == 1  # fits: one frame, never re-sent
        return
    assert len(pages) == 2 and "\u3000\u3000".join(pages) == whole  # nothing lost
    assert all(set(p.split("\u3000\u3000")) <= set(NOTICES) for p in pages)  # cut between
    assert [text for _, text in frames[:3]] == [pages[0], pages[1], pages[0]]  # in turn
    gaps = [b - a for (a, _), (b, _) in zip(frames, frames[1:], strict=False)]
    assert all(gap >= 1.1 for gap in gaps), gaps  # each page stays up page_s


def test_led_refresh_at_most_once_a_second():
    """Issue 17 §6: frames to one address at most once a second (vendor §2.1), the newest
    text winning: ten calls 50 ms apart at window 1 reach its sign as at most a few frames
    a second or more apart, ending on the last call; window 2's sign on the same bus is
    not held up by window 1's pacing. Times are the emulator's, as it read each frame."""
    with Emulator() as led:
        url = f"led+serial://{led.start_pty()}?baudrate=115200"
        bridge = LedBridge("token", url, signs=[{"counter": 1, "address": 1},
                                                {"counter": 2, "address": 2}])
        bridge.start(None, {"id": 1, "kind": "sign", "hall_id": 1, "counter_id": None})
        try:
            for n in (1, 2):
                bridge.on_event({"type": "counter.state", "counter_id": n,
                                 "counter_number": n, "state": "open"})
            assert bridge.wait_idle()
            began = time.monotonic()
            for n in range(1, 11):
                bridge.on_event({"type": "ticket.called", "counter_id": 1,
                                 "counter_number": 1, "ticket_id": n, "number": f"A{n:03d}"})
                time.sleep(0.05)
            bridge.on_event({"type": "ticket.called", "counter_id": 2, "counter_number": 2,
                             "ticket_id": 99, "number": "B001"})
            called_2 = time.monotonic()
            wait_for(lambda: shows(led, 1) == "A010 请到1号窗口", 3, "the newest call")
            assert bridge.wait_idle()
        finally:
            bridge.close()
    ones = [(at, s.text) for at, address, s in led.history if address == 1]
    gaps = [b - a for (a, _), (b, _) in zip(ones, ones[1:], strict=False)]
    assert gaps and min(gaps) >= 0.95, gaps  # ≥ 1 s as sent; the pty adds only jitter
    during = [text for at, text in ones if at >= began]
    assert during[-1] == "A010 请到1号窗口" and len(during) <= 3  # coalesced, not 10
    twos = [at for at, address, s in led.history if address == 2 and s.text.startswith("B001")]
    assert len(twos) == 1 and twos[0] - called_2 < 0.5  # its own pace, not window 1's


def test_signs_move_to_the_bus_saved_in_the_console_without_a_restart(ctx, hall_open,
                                                                       admin):
    """Issue 17 §1: the sign device's address saved in the console (services.devices.
    transport, checked by the drivers' parser) replaces its table's bus; the bridge hears
    config.changed for its device from the hall's event log, asks who it is again (the
    same service GET /devices/me reads) and moves every sign to the new controller."""
    from drivers.urls import parse
    from hall.services.config import accounts
    from hall.services.devices import transport

    sign = accounts.add_device(ctx, kind="sign", name="LED").value

    class ServiceLink:  # /devices/me as the API answers it, from the real database
        def call(self, method, path, body=None, *, buffer=False):
            assert (method, path) == ("GET", "/devices/me")
            return {"id": sign["id"], "url": transport.saved_url(ctx, sign["id"])}

    with Emulator() as old, Emulator() as new:
        bridge = LedBridge("token", f"led+tcp://127.0.0.1:{old.start_tcp()}",
                           signs=[{"counter": 1, "address": 1}], min_gap_s=0.1)
        bridge.start(None, {"id": sign["id"], "kind": "sign", "hall_id": hall_open["id"],
                            "counter_id": None, "url": None})
        bridge.link = ServiceLink()
        try:
            feed = Feed(ctx, hall_open["id"], bridge)
            assert bridge.wait_idle() and shows(old, 1) == "1号窗口 欢迎办理"
            moved = f"led+tcp://127.0.0.1:{new.start_tcp()}?model=bx-6k"
            transport.set_url(ctx, device_id=sign["id"], url=moved, actor=admin, check=parse)
            feed()  # config.changed for this device
            bridge.poll()
            assert bridge.console_url == moved and bridge.model == "bx-6k"
            assert bridge.wait_idle()
            wait_for(lambda: shows(new, 1) == "1号窗口 欢迎办理", 2, "the sign on the new bus")
            ticket = tickets.issue(ctx, hall_id=hall_open["id"], service="hj",
                                   actor=SYSTEM).value
            calling.call_next(ctx, counter_id=hall_open["counters"][1], actor=SYSTEM)
            feed()
            wait_for(lambda: shows(new, 1) == f"{ticket['number']} 请到1号窗口", 2, "the call")
            assert shows(old, 1) == "1号窗口 欢迎办理"  # the old bus hears no more
        finally:
            bridge.close()


def test_the_test_button_shows_the_test_text_on_every_sign_then_the_queue_again(
        ctx, hall_open):
    """Issue 17 §1: ``device.test`` for the bridge's device shows the test text on each sign
    it drives (over TCP into the controller stand-in), reports ``test`` ok in its health,
    and a few seconds later the signs show the queue again."""
    hall = hall_open
    with Emulator() as led:
        url = f"led+tcp://127.0.0.1:{led.start_tcp()}"
        bridge = start(LedBridge("token", url, signs=[{"kind": "strip", "address": STRIP}],
                                 strip_max_age_h=0), hall)
        try:
            Feed(ctx, hall["id"], bridge)
            assert bridge.wait_idle() and shows(led, 1) == "1号窗口 欢迎办理"
            bridge.on_event({"type": "device.test", "device_id": 2, "text": "别的设备"})
            bridge.poll()
            assert bridge.health()["test"] is None  # another device's test: not ours
            bridge.on_event({"type": "device.test", "device_id": 1, "text": "设备测试"})
            bridge.poll()
            assert [shows(led, n) for n in (1, 2, 3, 4)] == ["设备测试"] * 4
            assert "设备测试" in (shows(led, STRIP) or "")
            test = bridge.health()["test"]
            assert test["ok"] is True and test["error"] is None
            bridge._restore_at = 1.0  # the few seconds are over
            bridge.poll()
            assert bridge.wait_idle() and shows(led, 1) == "1号窗口 欢迎办理"
        finally:
            bridge.close()
