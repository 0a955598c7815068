"""FF 68 keypads over real bytes: the emulator's pty (and a TCP socket) read by the bus."""
from __future__ import annotations

import logging
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from drivers.keypad import protocol as kp
from drivers.keypad.emulator import KeypadEmulator, start_demo_keypads
from drivers.keypad.transport import KeypadBus, device_url, open_bus, release
from drivers.urls import DeviceURLError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def keypads(tmp_path):
    with KeypadEmulator([1, 2], [9], link=tmp_path / "ttyKEYPAD") as emu:
        yield emu


@pytest.fixture
def keypad_bus(keypads):
    bus = open_bus(f"keypad+serial://{keypads.start_pty()}")
    for address in (1, 2, 9):
        bus.attach(address)
    yield bus
    release(bus)


def pump_until(bus: KeypadBus, address: int, count: int = 1, timeout: float = 5
               ) -> list[kp.Frame]:
    frames: list[kp.Frame] = []
    deadline = time.monotonic() + timeout
    while len(frames) < count and time.monotonic() < deadline:
        bus.pump()
        frames += bus.take(address)
        time.sleep(0.02)
    return frames


def test_presses_of_keypads_sharing_one_line_reach_their_own_address(keypads, keypad_bus):
    keypads.keypad(1).press("call")
    keypads.keypad(2).press(kp.Key.TRANSFER, "3")
    keypads.rating_pad(9).rate(2)
    assert pump_until(keypad_bus, 1) == [kp.key_frame(1, kp.Key.CALL)]
    assert kp.interpret(pump_until(keypad_bus, 2)[0]) == kp.Press(2, kp.Action.TRANSFER, "3", 0x13)
    assert kp.score_level(pump_until(keypad_bus, 9)[0]) == 2
    assert keypad_bus.frames == 3 and sum(keypad_bus.errors.values()) == 0


def test_display_beep_and_start_rating_frames_light_the_emulated_devices(keypads, keypad_bus):
    assert keypad_bus.send(kp.display_frame(1, 7, "A012"))
    assert keypad_bus.send(kp.beep_frame(2))
    assert keypad_bus.send(kp.start_rating_frame(9))
    assert keypad_bus.send(kp.key_frame(1, kp.Key.CALL))  # the host's echo of a press: an ack
    one, two, pad = keypads.keypad(1), keypads.keypad(2), keypads.rating_pad(9)
    assert keypads.wait(lambda: one.acks == 1 and two.beeps == 1 and pad.asked == 1)
    assert one.display == ("007", "012") and one.waiting == "007" and one.ticket == "012"
    assert two.display is None and keypads.foreign == 0


def test_garbage_on_the_line_is_logged_and_counted_by_kind_and_presses_still_arrive(
        keypads, keypad_bus, caplog):
    call = kp.key_frame(1, kp.Key.CALL).encode()
    bad_sum = call[:-2] + bytes([call[-2] ^ 0x40]) + call[-1:]
    caplog.set_level(logging.WARNING, logger="drivers.keypad")
    keypads.send(b"\x00\x01line noise" + bad_sum)
    keypads.send(call[:6])  # cut short: the next press starts inside it
    keypads.send(bytes.fromhex("FF 68 05 04 68 01 01 0C 0E 16"))  # L ≠ L'
    keypads.keypad(1).press("recall")
    frames = pump_until(keypad_bus, 1)
    assert [kp.interpret(f).action for f in frames] == [kp.Action.RECALL]
    assert keypad_bus.errors == {"noise": 1, "bad_length": 1, "bad_checksum": 1, "bad_end": 0,
                          "truncated": 1}
    assert keypad_bus.health()["errors"] == 4 and keypad_bus.health()["online"]
    logged = [r.getMessage() for r in caplog.records if r.name == "drivers.keypad"]
    assert len(logged) == 4 and any("bad_checksum" in m for m in logged)


def test_a_frame_cut_off_when_the_line_falls_silent_is_counted_as_truncated(keypads, keypad_bus):
    keypads.send(kp.key_frame(2, kp.Key.CALL).encode()[:7])
    assert pump_until(keypad_bus, 2, timeout=0.2) == []
    assert keypad_bus.errors["truncated"] == 0  # the rest may still come
    time.sleep(0.6)  # longer than the bus's idle limit
    assert pump_until(keypad_bus, 2, timeout=0.1) == []
    assert keypad_bus.errors["truncated"] == 1
    keypads.keypad(2).press("call")
    assert len(pump_until(keypad_bus, 2)) == 1


def test_the_bus_goes_offline_when_the_port_vanishes_and_reopens_it_when_it_returns(
        keypads, keypad_bus):
    keypads.unplug()
    assert not keypads.keypad(1).press("call")
    deadline = time.monotonic() + 3
    while keypad_bus.online and time.monotonic() < deadline:
        keypad_bus.pump()
    assert not keypad_bus.online and "read failed" in keypad_bus.health()["error"]
    assert not keypad_bus.send(kp.beep_frame(1))  # written to nowhere: refused, not raised
    keypads.replug()
    deadline = time.monotonic() + 8
    while not keypad_bus.online and time.monotonic() < deadline:
        keypad_bus.pump()
        time.sleep(0.05)
    assert keypad_bus.online and keypad_bus.reconnects == 1 and keypad_bus.generation == 2
    keypads.keypad(1).press("call")
    assert pump_until(keypad_bus, 1) == [kp.key_frame(1, kp.Key.CALL)]


def test_our_own_frames_heard_back_on_an_echoing_line_are_not_taken_as_presses(
        keypads, keypad_bus):
    shown, ack = kp.display_frame(1, 0, None), kp.key_frame(1, kp.Key.EVALUATE)
    assert keypad_bus.send(shown) and keypad_bus.send(ack)
    keypads.send(shown.encode() + ack.encode())  # an RS-485 adapter that echoes its sends
    assert pump_until(keypad_bus, 1, timeout=0.5) == []
    assert keypad_bus.echoes == 2 and keypad_bus.echoing
    keypads.keypad(1).press("evaluate")  # the same key again, pressed for real
    assert pump_until(keypad_bus, 1) == [ack]


def test_on_a_line_that_does_not_echo_a_press_equal_to_the_last_ack_is_a_press(keypads,
                                                                               keypad_bus):
    call = kp.key_frame(1, kp.Key.CALL)
    # no echo comes back
    assert keypad_bus.send(kp.display_frame(1, 0, None)) and keypad_bus.send(call)
    keypads.keypad(1).press("call")
    assert pump_until(keypad_bus, 1) == [call]
    assert keypad_bus.echoes == 0 and not keypad_bus.echoing


def test_bridges_naming_the_same_port_share_one_bus(keypads):
    path = keypads.start_pty()
    first = open_bus(f"keypad+serial://{path}?address=1")
    second = open_bus(f"pad+serial://{path}?address=9")
    try:
        assert first is second and first.users == 2
    finally:
        release(first)
        release(second)
    assert not first.online


def test_keypad_urls_in_every_documented_form(tmp_path):
    assert device_url("/dev/pts/7").target == "/dev/pts/7"
    bare = device_url("/dev/pts/7?address=3&baudrate=19200")
    assert (bare.target, bare.options) == ("/dev/pts/7", {"address": "3", "baudrate": "19200"})
    assert device_url("loop://").target == "loop://"
    assert device_url("keypad+serial:socket://127.0.0.1:7000").target == "socket://127.0.0.1:7000"
    assert device_url("pad+serial:///dev/ttyS2?address=9", ("pad",)).options == {"address": "9"}
    with pytest.raises(DeviceURLError):
        device_url("led+serial:///dev/ttyS1")
    with pytest.raises(DeviceURLError):
        KeypadBus("keypad+serial:///dev/ttyS1?baudrate=fast")
    missing = KeypadBus(f"keypad+serial://{tmp_path}/no-such-port")
    assert not missing.open() and "cannot open" in missing.last_error


def test_a_keypad_behind_a_serial_to_ethernet_converter_over_tcp():
    server = socket.create_server(("127.0.0.1", 0))
    bus = open_bus(f"keypad+tcp://127.0.0.1:{server.getsockname()[1]}")
    conn, _ = server.accept()
    try:
        bus.attach(4)
        conn.sendall(kp.key_frame(4, kp.Key.RECALL).encode())
        assert pump_until(bus, 4) == [kp.key_frame(4, kp.Key.RECALL)]
        bus.send(kp.display_frame(4, 1, "C003"))
        conn.settimeout(5)
        assert conn.recv(64) == kp.display_frame(4, 1, "C003").encode()
    finally:
        release(bus)
        conn.close()
        server.close()


def test_loop_url_carries_frames_back_to_the_bus():
    bus = open_bus("keypad+serial:loop://")
    try:
        bus.attach(1)
        bus.send(kp.display_frame(1, 3, "A001"))  # loop:// gives back all we write
        bus.send(kp.key_frame(1, kp.Key.CALL))
        assert pump_until(bus, 1, timeout=0.5) == [] and bus.echoes == 2
    finally:
        release(bus)


def test_demo_keypads_give_each_counter_a_keypad_and_a_rating_pad(tmp_path):
    demo = start_demo_keypads([1, 2, 3], link_dir=tmp_path)
    try:
        assert demo.keypad_url(2) == f"keypad+serial://{tmp_path}/keypads?address=2"
        assert Path(demo.pad_path).resolve().exists()
        bus = open_bus(demo.keypad_url(2))
        bus.attach(2)
        demo.keypads.keypad(2).press("call")
        assert pump_until(bus, 2) == [kp.key_frame(2, kp.Key.CALL)]
        release(bus)
    finally:
        demo.close()


def test_the_emulator_command_line_prints_its_pty_and_presses_keys():
    proc = subprocess.Popen([sys.executable, "-m", "drivers.keypad.emulator", "--keypad", "5"],
                            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        path = proc.stdout.readline().strip()
        bus = open_bus(path)
        bus.attach(5)
        proc.stdin.write("5 confirm 6\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "sent"
        assert pump_until(bus, 5) == [kp.key_frame(5, kp.Key.CONFIRM, "6")]
        release(bus)
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)
        proc.stdout.close()
