"""Emulated devices for ``hall demo``: each starts its emulator in the server process and
returns the devices.toml table that drives it, so the demo hall runs the same bridges, through
the same runtime, as a real one.

To add a device to the demo, write a function ``(token, instance) -> (table, line)`` and list
it in DEMO_DEVICES with the table name and the kind of device token it acts with.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

Started = tuple[dict[str, Any], str]  # the devices.toml table, a line for the console


def led(token: str, instance: Path) -> Started:
    """An emulated RS-485 bus of window signs and a hall strip (address 100), on a TCP
    port; what each address shows is kept in instance/demo-led.txt."""
    from drivers.led.emulator import Emulator

    emulator = Emulator()
    port = emulator.start_tcp("127.0.0.1", 0)
    out = instance / "demo-led.txt"
    lock = threading.Lock()

    def write(_address: int, _shown: Any) -> None:
        with lock:
            shown = {a: emulator.shown(a) for a in emulator.addresses()}
            out.write_text("".join(f"{a:>3}  {s.text}\n" for a, s in shown.items() if s),
                           encoding="utf-8")

    emulator.on_show = write
    url = f"led+tcp://127.0.0.1:{port}"
    table = {"token": token, "name": "演示LED屏", "url": url,
             "signs": [{"kind": "strip", "address": 100, "width": 256}]}
    return table, f"LED signs    {url} (emulated; what each shows: {out})"


_keypads: list[Any] = []  # the one emulated pair of RS-485 lines (keypads, rating keys)
KEYPAD_WINDOW = 2


def _demo_keypads(instance: Path) -> Any:
    from drivers.keypad.emulator import start_demo_keypads

    if not _keypads:
        lines = start_demo_keypads([KEYPAD_WINDOW], link_dir=instance)
        lines.serve_commands(instance / "keypads.sock")
        _keypads.append(lines)
    return _keypads[0]


def keypad(token: str, instance: Path) -> Started:
    """Window 2's caller keypad on an emulated serial line (press keys with the lines of
    ``python -m drivers.keypad.emulator`` sent to instance/keypads.sock, as the tests do)."""
    lines = _demo_keypads(instance)
    url = lines.keypad_url(KEYPAD_WINDOW)
    sock = instance / "keypads.sock"
    return ({"token": token, "name": f"{KEYPAD_WINDOW}号窗口叫号器", "url": url},
            f"Keypad       {url} (emulated, window {KEYPAD_WINDOW}; press a key: "
            f"echo '{KEYPAD_WINDOW} call' | nc -U {sock})")


def ratingpad(token: str, instance: Path) -> Started:
    """Window 2's five-key rating keypad on a second emulated line."""
    lines = _demo_keypads(instance)
    url = lines.pad_url(KEYPAD_WINDOW)
    return ({"token": token, "name": f"{KEYPAD_WINDOW}号窗口评价器", "url": url},
            f"Rating keys  {url} (emulated, window {KEYPAD_WINDOW})")


# table name in devices.toml, key of the device token (hall/cli.py DEMO_DEVICES), starter
DEMO_DEVICES: list[tuple[str, str, Callable[[str, Path], Started]]] = [
    ("led", "sign", led),
    ("keypad", "keypad", keypad),
    ("ratingpad", "ratingpad", ratingpad),
]


def start(tokens: dict[str, dict[str, Any]], instance: Path) -> tuple[dict[str, list], list[str]]:
    """Start every demo device; returns the devices.toml data and the console lines."""
    data: dict[str, list] = {}
    lines = []
    for table_name, token_kind, starter in DEMO_DEVICES:
        table, line = starter(tokens[token_kind]["token"], instance)
        data.setdefault(table_name, []).append(table)
        lines.append(line)
    return data, lines
