"""The simulated day's cast: accounts and devices made through the services (the way
`hall user add` and `hall device add` make them), then everything else read and done over
HTTP. One staff account ``sim-<window>`` per window (reset each run: its password is
new), one kiosk, one rating pad per window."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from hall.services.config import accounts
from hall.services.context import Context
from hall.simulate.plan import PRIORITY_REASONS
from hall.simulate.players import Window, lunch_times


@dataclass
class Cast:
    kiosk_tokens: list[str]
    services: list[str]  # what the kiosk offers (services needing an ID number left out)
    bookable: frozenset[str]  # those that take appointments
    priority_reasons: tuple[str, ...]  # the hall's own, if it has any
    timezone: str
    windows: list[Window]


def cast(ctx: Context, url: str, *, hall_code: str | None, windows: int | None,
         open_hour: int, close_hour: int) -> Cast:
    """A kiosk, the services it offers and the windows that will play (``more_kiosks``
    adds kiosks for a busy day)."""
    kiosk = accounts.add_device(ctx, kind="kiosk", name="simulate",
                                hall_code=hall_code).value
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {kiosk['token']}"
    try:
        counters = _ok(http.get(url + "/api/v1/counters", timeout=30))["counters"]
        catalog = _ok(http.get(f"{url}/kiosk/{kiosk['id']}/catalog", timeout=30))
    finally:
        http.close()
    offered = [s for dep in catalog["departments"] for s in dep["services"]
               if s.get("available", True) and not s.get("per_person_limit")]
    # windows that serve something and where nobody (a real person) is signed in already
    counters = sorted((c for c in counters if c["services"] and not c["staff"]),
                      key=lambda c: c["number"])
    if windows is not None:
        counters = counters[:windows]
    lunches = lunch_times(len(counters), open_hour, close_hour)
    cast_windows = []
    for counter, lunch in zip(counters, lunches, strict=True):
        login = f"sim-{counter['number']}"
        made = accounts.add_user(ctx, login=login, name=f"模拟{counter['number']}号",
                                 hall_code=hall_code).value
        pad = accounts.add_device(ctx, kind="pad", name="simulate",
                                  counter_number=counter["number"], hall_code=hall_code).value
        cast_windows.append(Window(counter_id=counter["id"], number=counter["number"],
                                   login=login, password=made["password"],
                                   pad_id=pad["id"], pad_token=pad["token"],
                                   lunch_at=lunch))
    return Cast(kiosk_tokens=[kiosk["token"]], services=[s["code"] for s in offered],
                bookable=frozenset(s["code"] for s in offered if s.get("booking")),
                priority_reasons=tuple(catalog.get("priority_reasons") or ()) or PRIORITY_REASONS,
                timezone=catalog["hall"].get("timezone") or "Asia/Shanghai",
                windows=cast_windows)


def more_kiosks(ctx: Context, who: Cast, count: int, hall_code: str | None) -> None:
    while len(who.kiosk_tokens) < count:
        made = accounts.add_device(ctx, kind="kiosk", name="simulate", hall_code=hall_code)
        who.kiosk_tokens.append(made.value["token"])


def _ok(r: requests.Response) -> Any:
    r.raise_for_status()
    return r.json()
