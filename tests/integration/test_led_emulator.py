"""Onbon signs over real bytes: a pty bus and a TCP port served by drivers/led/emulator.py."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from drivers.led import protocol as bx
from drivers.led.emulator import Emulator
from drivers.led.sign import SignError, WindowSign, open_sign
from drivers.led.transport import LedTimeout, open_transport

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def signs():
    with Emulator(addresses={5, 7}) as emu:
        yield emu


@pytest.fixture
def sign_bus(signs):
    """One serial line (the emulator's pty) shared by every sign on it, like RS-485."""
    with open_transport(f"led+serial://{signs.start_pty()}?timeout=2") as transport:
        yield transport


def test_two_window_signs_on_one_bus_each_show_their_call(signs, sign_bus):
    five, seven = WindowSign(sign_bus, address=5), WindowSign(sign_bus, address=7)
    assert five.show_call("A012", 5).command == bx.ACK
    assert seven.show_call("B003", 7).command == bx.ACK
    assert signs.shown(5).text == "A012 请到5号窗口"
    assert signs.shown(7).text == "B003 请到7号窗口"
    assert signs.shown(5).mode == bx.DisplayMode.STATIC
    five.show_paused("暂停服务")
    assert signs.shown(5).text == "暂停服务"
    assert signs.shown(7).text == "B003 请到7号窗口"
    assert signs.shown(6) is None and signs.frames == 3


def test_a_corrupted_frame_is_rejected_and_counted_then_the_next_is_accepted(signs, sign_bus):
    sign = WindowSign(sign_bus, address=5)
    corrupt = bytearray(sign.call_packet("A013", 5).encode())
    corrupt[-4] ^= 0x01  # one text byte flipped on the wire: the CRC no longer matches
    sign_bus.write(b"\x00line noise" + bytes(corrupt))
    nack = sign_bus.read_reply(5, bx.HOST)
    assert (nack.command, nack.flag) == (bx.NACK, bx.CmdError.CHECKSUM)
    assert signs.bad_frames == 1 and signs.shown(5) is None
    sign.show_call("A014", 5)
    assert signs.shown(5).text == "A014 请到5号窗口"
    assert signs.bad_frames == 1


def test_the_transport_reads_status_back_and_times_out_for_an_absent_sign(signs, sign_bus):
    WindowSign(sign_bus, address=7).show_call("C001", 3)
    status = bx.Status.parse(sign_bus.exchange(bx.request(7, bx.STATUS)).body)
    assert status.on and status.areas == (0,)
    with pytest.raises(LedTimeout):
        sign_bus.exchange(bx.request(9, bx.PING), timeout=0.3)  # nobody at 9 on this bus
    assert sign_bus.exchange(bx.request(5, bx.PING)).command == bx.ACK  # the bus still works


def test_no_reply_requests_and_silent_broadcasts_still_change_the_signs(signs, sign_bus):
    assert WindowSign(sign_bus, address=5, reply=False).show_call("D001", 1) is None
    everyone = bx.show(bx.BROADCAST_SILENT, [(bx.Area(0, 0, 128, 16), "下班")])
    assert sign_bus.exchange(everyone) is None
    WindowSign(sign_bus, address=7).show_call("D002", 2)  # a reply proves the earlier frames landed
    assert signs.areas(5)[0].text == "下班"
    assert signs.shown(7).text == "D002 请到2号窗口"


def test_a_refused_command_raises_sign_error(signs, sign_bus):
    sign = WindowSign(sign_bus, address=5)
    too_many = bx.show(5, [(bx.Area(area_id=9), "号")])
    with pytest.raises(SignError, match="MEMORY_VOLUME"):
        sign.send(too_many)
    assert signs.rejected == 1


def test_hall_strip_over_tcp_from_its_url(signs):
    port = signs.start_tcp()
    strip = open_sign(f"led+tcp://127.0.0.1:{port}?address=7&width=192&kind=strip&timeout=2")
    try:
        reply = strip.show_lines(["A012 请到5号窗口", "B003 请到7号窗口"])
    finally:
        strip.close()
    assert (reply.src, reply.command) == (7, bx.ACK)
    shown = signs.shown(7)
    assert shown.text == "A012 请到5号窗口\u3000\u3000B003 请到7号窗口"
    assert (shown.mode, shown.area.width) == (bx.DisplayMode.SCROLL_LEFT, 192)


def test_a_pyserial_url_reaches_the_tcp_emulator(signs):
    port = signs.start_tcp()
    with open_transport(f"led+serial:socket://127.0.0.1:{port}", timeout=2) as transport:
        assert transport.exchange(bx.request(5, bx.PING)).command == bx.ACK
        WindowSign(transport, address=5).show_call("E001", 4)
    assert signs.shown(5).text == "E001 请到4号窗口"


def test_the_command_line_emulator_prints_a_pty_path_that_works():
    proc = subprocess.Popen([sys.executable, "-m", "drivers.led.emulator", "--pty"], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        path = proc.stdout.readline().strip()
        with open_transport(f"led+serial://{path}", timeout=5) as transport:
            assert WindowSign(transport, address=5).show_call("F001", 6).command == bx.ACK
        assert proc.stdout.readline().strip() == "[5] STATIC: F001 请到6号窗口"
    finally:
        proc.terminate()
        proc.wait(timeout=5)
        proc.stdout.close()
