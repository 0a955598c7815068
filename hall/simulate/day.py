"""One simulated day from start to end: the cast, the plan, the players, the summary."""
from __future__ import annotations

import json
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests

from hall.services.context import Context
from hall.simulate import plan as plans
from hall.simulate.cast import cast, more_kiosks
from hall.simulate.players import (
    IDLE_ASKS_PER_S,
    Clock,
    Day,
    Log,
    check_states,
    kiosks_needed,
    play,
)


def simulate(ctx: Context, url: str, *, seed: int, speed: float, visitors: int,
             open_hour: int, close_hour: int, log_path: Path, windows: int | None = None,
             hall_code: str | None = None, soak: bool = False,
             kiosks: int | None = None) -> dict[str, Any]:
    """Play the day against the server at ``url``; returns the counts of its log and its
    errors. ``soak`` also checks every ticket's final state on the server."""
    url = url.rstrip("/")
    _wait_for(url)
    who = cast(ctx, url, hall_code=hall_code, windows=windows, open_hour=open_hour,
               close_hour=close_hour)
    visitors_plan = plans.day(seed, who.services, visitors, open_hour, close_hour,
                              bookable=who.bookable, priority_reasons=who.priority_reasons)
    more_kiosks(ctx, who, kiosks or kiosks_needed(visitors_plan, speed), hall_code)
    clock = Clock(speed, open_hour)
    log = Log(log_path, clock)
    day = Day(url=url, clock=clock, log=log, close_at=(close_hour - open_hour) * 3600,
              idle_s=len(who.windows) / IDLE_ASKS_PER_S)
    log.write("day", seed=seed, speed=speed, visitors=len(visitors_plan),
              kiosks=len(who.kiosk_tokens),
              windows=[w.number for w in who.windows], services=who.services)
    try:
        today = datetime.now(ZoneInfo(who.timezone)).date()
        play(day, who.kiosk_tokens, visitors_plan, who.windows, today)
        if soak:
            check_states(day)
        log.write("end", errors=len(log.errors))
    finally:
        log.close()
    return {**counts(log_path), "errors": list(log.errors)}


def _wait_for(url: str, timeout: float = 60.0) -> None:
    """Until the server answers (a demo starts the simulator beside it)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(url + "/api/v1/openapi.json", timeout=5).ok:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"no server answers at {url}")
        time.sleep(0.5)


def counts(log_path: Path, on: str | None = None) -> dict[str, Any]:
    """What a log says happened: tickets issued (transfers make a new one each), calls,
    skips, transfers, finishes per outcome, ratings (and the bad ones), pauses. ``on``:
    only the past day of that date (a log of `--days N --fast` holds several)."""
    steps: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    levels: Counter[int] = Counter()
    kinds: Counter[str] = Counter()
    for line in Path(log_path).read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if on is not None and entry.get("date") != on:
            continue
        steps[entry["do"]] += 1
        if entry["do"] == "finish":
            outcomes[entry["outcome"]] += 1
        elif entry["do"] == "rate":
            levels[entry["level"]] += 1
        elif entry["do"] == "issue":
            kinds[entry["kind"]] += 1
    return {"issued": steps["issue"] + steps["transfer"], "arrived": steps["issue"],
            "called": steps["call"], "skipped": steps["skip"],
            "transferred": steps["transfer"], "finished": steps["finish"],
            "outcomes": dict(outcomes), "rated": steps["rate"],
            "bad": sum(n for level, n in levels.items() if level <= 2),
            "kinds": dict(kinds), "pauses": steps["pause"], "sign_ins": steps["sign_in"],
            "sign_outs": steps["sign_out"]}
