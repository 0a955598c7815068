"""`hall pair`: a device PC without a screen of its own pairs from a terminal — it prints
the code, an admin approves it, and the token lands in a 0600 file that `hall agent
--token-file` reads. Against a real server process."""
from __future__ import annotations

import os
import re
import stat
import subprocess
import sys

import pytest
import requests

from tests.e2e.conftest import admin_session, bearer

HALL = [sys.executable, "-m", "hall.cli"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.slow
def test_an_agent_pairs_from_the_terminal_and_keeps_its_token_in_a_private_file(
        live_hall, ctx, tmp_path):
    server, _tokens, _post = live_hall
    token_file = tmp_path / "agent" / "token"
    proc = subprocess.Popen([*HALL, "pair", "--server", server.url, "--name", "东门设备机",
                             "--token-file", str(token_file)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "HALL_ASYNC_MODE": "threading"})
    try:
        first = proc.stdout.readline()
        code = re.fullmatch(r"Pairing code: (\d{3}) (\d{3})\n", first)
        assert code, first + proc.stderr.read() if proc.poll() is not None else first
        admin = admin_session(ctx, server.url)
        waiting = admin.get(f"{server.url}/api/v1/pairings", timeout=5).json()["pairings"]
        asked = next(p for p in waiting if p["name"] == "东门设备机")
        assert asked["kind"] == "agent" and asked["info"]["host"]
        r = admin.post(f"{server.url}/api/v1/pairings/{asked['id']}/approve",
                       json={"code": code[1] + code[2]}, timeout=5)
        assert r.status_code == 200, r.text
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert f"token kept in {token_file}" in out
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    token = token_file.read_text().strip()
    me = requests.get(f"{server.url}/api/v1/devices/me", headers=bearer(token), timeout=5)
    assert me.status_code == 200 and me.json()["kind"] == "agent"
    assert me.json()["name"] == "东门设备机"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.slow
def test_a_rejected_pairing_ends_with_the_servers_reason_and_no_token(live_hall, ctx, tmp_path):
    server, _tokens, _post = live_hall
    token_file = tmp_path / "token"
    proc = subprocess.Popen([*HALL, "pair", "--server", server.url, "--kind", "kiosk",
                             "--token-file", str(token_file)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "HALL_ASYNC_MODE": "threading"})
    try:
        assert proc.stdout.readline().startswith("Pairing code: ")
        admin = admin_session(ctx, server.url)
        asked = admin.get(f"{server.url}/api/v1/pairings", timeout=5).json()["pairings"][0]
        assert admin.post(f"{server.url}/api/v1/pairings/{asked['id']}/reject",
                          timeout=5).status_code == 200
        _out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 1 and "pairing_rejected" in err
    assert not token_file.exists()
