"""Pairing from a terminal (``hall pair``): a device PC that runs ``hall agent`` has no page
to show a code on, so it prints one, waits while an admin approves it on /admin/devices,
and keeps the token it is given once in a file only its user can read."""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests


class PairingError(Exception):
    """The server refused, the request ran out or was rejected: start again."""


def ask(server: str, kind: str, name: str, host: str, *,
        session: requests.Session | None = None) -> dict[str, Any]:
    http = session or requests.Session()
    r = http.post(f"{server}/api/v1/pairings", json={"kind": kind, "name": name,
                                                      "info": {"host": host[:64]}}, timeout=10)
    if r.status_code != 201:
        raise PairingError(_message(r))
    return r.json()


def wait_for_token(server: str, asked: dict[str, Any], *,
                   session: requests.Session | None = None,
                   sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    """Poll /claim until the admin decides; the approved device's answer (with its token)."""
    http = session or requests.Session()
    while True:
        r = http.post(f"{server}/api/v1/pairings/claim",
                      json={"id": asked["id"], "secret": asked["secret"]}, timeout=10)
        if r.status_code == 200:
            return r.json()
        if r.status_code == 202:
            sleep(float(r.json().get("poll_s") or asked.get("poll_s") or 3))
            continue
        if r.status_code == 429:  # asked too often: wait as told, then go on
            sleep(float(r.headers.get("Retry-After") or 5))
            continue
        raise PairingError(_message(r))


def save_token(path: Path, token: str) -> None:
    """Write the token readable by this user only (0600), replacing any older one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    os.replace(tmp, path)


def _message(r: requests.Response) -> str:
    try:
        error = r.json()["error"]
        return f"{error['message']} ({error['code']}, HTTP {r.status_code})"
    except (ValueError, KeyError, TypeError):
        return f"HTTP {r.status_code}"
