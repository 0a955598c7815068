"""`make run`'s demo hall works end to end: the kiosk's ticket is printed by the emulated
printer and a call shows on the emulated LED sign, all in the `hall demo` process."""
from __future__ import annotations

import re

import pytest
import requests

from tests.conftest import wait_for
from tests.e2e.server import Server

pytestmark = [pytest.mark.slow]


def test_the_demo_hall_prints_tickets_and_drives_its_signs(tmp_path):
    instance = tmp_path / "instance"
    server = Server(f"sqlite:///{tmp_path}/demo.db", instance, command="demo").start(60)
    try:
        out = wait_for(lambda: "Device bridges" in (t := server.log.read_text()) and t, 15,
                       "the demo's device bridges")
        kiosk = re.search(r"Kiosk +\S+/kiosk/(\d+)\?token=(\S+)", out)
        admin_password = re.search(r"admin password \(shown once\): (\S+)", out).group(1)
        assert kiosk and "/admin/board" in out and "/pad/" in out and "Printer" in out
        bearer = {"Authorization": f"Bearer {kiosk.group(2)}"}
        assert requests.get(f"{server.url}/kiosk/{kiosk.group(1)}?token={kiosk.group(2)}",
                            timeout=5).status_code == 200
        ticket = requests.post(f"{server.url}/api/v1/tickets", json={"service": "hj-qr"},
                               headers=bearer, timeout=5).json()
        job = requests.post(f"{server.url}/api/v1/print-jobs",
                            json={"ticket_id": ticket["id"]}, headers=bearer, timeout=10).json()
        assert job["state"] == "printed", job
        assert (instance / "tickets" / "ticket-0001.png").exists()

        staff = requests.Session()
        login = staff.post(f"{server.url}/api/v1/auth/login",
                           json={"login": "admin", "password": admin_password}, timeout=5).json()
        h = {"X-CSRFToken": login["csrf_token"]}
        for step in ("sign-in", "call-next"):  # signing in opens the window
            r = staff.post(f"{server.url}/api/v1/counters/1/{step}", headers=h, timeout=5)
            assert r.status_code == 200, (step, r.text)
        shown = instance / "demo-led.txt"
        wait_for(lambda: shown.exists() and f"{ticket['number']} 请到1号窗口" in shown.read_text(
            encoding="utf-8"), 15, "the demo sign to show the call")
    finally:
        server.stop()


def test_demo_keypad_works_from_relative_instance(tmp_path):
    """`make run` starts `hall demo` with the relative HALL_INSTANCE "instance": the
    emulated keypad's URL names a relative path (keypad+serial://instance/keypads), which
    once read "instance" as a host and left the bus offline (issue 17 §3). A key pressed on
    window 2's emulated keypad calls the next visitor there."""
    import socket

    instance = tmp_path / "instance"
    server = Server(f"sqlite:///{tmp_path}/demo.db", instance, command="demo", cwd=tmp_path,
                    extra_env={"HALL_INSTANCE": "instance"}).start(60)
    try:
        out = wait_for(lambda: "Device bridges" in (t := server.log.read_text()) and t, 15,
                       "the demo's device bridges")
        assert "keypad+serial://instance/keypads" in out
        kiosk_token = re.search(r"Kiosk +\S+/kiosk/\d+\?token=(\S+)", out).group(1)
        admin_password = re.search(r"admin password \(shown once\): (\S+)", out).group(1)
        staff = requests.Session()
        login = staff.post(f"{server.url}/api/v1/auth/login",
                           json={"login": "admin", "password": admin_password}, timeout=5).json()
        r = staff.post(f"{server.url}/api/v1/counters/2/sign-in",
                       headers={"X-CSRFToken": login["csrf_token"]}, timeout=5)
        assert r.status_code == 200, r.text  # window 2 opens
        ticket = requests.post(f"{server.url}/api/v1/tickets", json={"service": "hj-qr"},
                               headers={"Authorization": f"Bearer {kiosk_token}"},
                               timeout=5).json()

        with socket.socket(socket.AF_UNIX) as keys:  # the emulated keypad's buttons
            keys.connect(str(instance / "keypads.sock"))
            keys.sendall(b"2 call\n")
            assert keys.makefile().readline().strip() == "sent"

        def called():
            t = requests.get(f"{server.url}/api/v1/tickets/{ticket['token']}", timeout=5).json()
            return t["state"] == "called" and t

        shown = wait_for(called, 15, "the keypad's call")
        assert shown["counter"]["number"] == 2
        log = server.log.read_text()
        assert "instance/keypads" in log and "keypad bus /keypads" not in log
        assert not re.search(r"keypad bus \S+ offline", log), log[-2000:]
    finally:
        server.stop()
