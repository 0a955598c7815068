"""The simulated day's cast: accounts and devices made through the services (the way
`hall user add` and `hall device add` make them), then everything else read and done over
HTTP (a past day, ``fast``, reads the same through the services). One staff account
``sim-<window>`` per window (reset each run: its password is new), one kiosk, one rating
pad per window."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from hall.services.config import accounts
from hall.services.context import Context
from hall.simulate.plan import PRIORITY_REASONS
from hall.simulate.players import lunch_times
from hall.simulate.steps import Window


@dataclass
class Offer:
    """What the kiosk offers the simulated visitors, read from its catalog."""

    services: list[str]  # services needing an ID number left out
    bookable: frozenset[str]  # those that take appointments
    priority_reasons: tuple[str, ...]  # the hall's own, if it has any
    timezone: str


@dataclass
class Cast(Offer):
    kiosk_tokens: list[str]
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
    return Cast(**vars(offer(catalog)), kiosk_tokens=[kiosk["token"]],
                windows=staff_windows(ctx, counters, hall_code=hall_code, windows=windows,
                                      open_hour=open_hour, close_hour=close_hour))


def offer(catalog: dict[str, Any]) -> Offer:
    """The services a kiosk's catalog (``hall.services.queue.catalog``) offers now."""
    offered = [s for dep in catalog["departments"] for s in dep["services"]
               if s.get("available", True) and not s.get("per_person_limit")]
    return Offer(services=[s["code"] for s in offered],
                 bookable=frozenset(s["code"] for s in offered if s.get("booking")),
                 priority_reasons=tuple(catalog.get("priority_reasons") or ())
                 or PRIORITY_REASONS,
                 timezone=catalog["hall"].get("timezone") or "Asia/Shanghai")


def staff_windows(ctx: Context, counters: list[dict[str, Any]], *, hall_code: str | None,
                  windows: int | None, open_hour: int, close_hour: int,
                  keep: dict[str, int] | None = None) -> list[Window]:
    """An account and a rating pad for each window of ``counters`` (as GET /counters lists
    them) that serves something and where nobody (a real person) is signed in already.
    ``keep`` (login → id): accounts used as they are, with no new password (a past day
    signs in through the services; a new scrypt hash costs a quarter second each)."""
    counters = sorted((c for c in counters if c["services"] and not c["staff"]),
                      key=lambda c: c["number"])
    if windows is not None:
        counters = counters[:windows]
    lunches = lunch_times(len(counters), open_hour, close_hour)
    made_windows = []
    for counter, lunch in zip(counters, lunches, strict=True):
        login = f"sim-{counter['number']}"
        made = {"id": keep[login], "password": ""} if login in (keep or {}) else \
            accounts.add_user(ctx, login=login, name=f"模拟{counter['number']}号",
                              hall_code=hall_code).value
        pad = accounts.add_device(ctx, kind="pad", name="simulate",
                                  counter_number=counter["number"], hall_code=hall_code).value
        made_windows.append(Window(counter_id=counter["id"], number=counter["number"],
                                   login=login, password=made["password"],
                                   pad_id=pad["id"], pad_token=pad["token"],
                                   lunch_at=lunch, staff_id=made["id"]))
    return made_windows


def more_kiosks(ctx: Context, who: Cast, count: int, hall_code: str | None) -> None:
    while len(who.kiosk_tokens) < count:
        made = accounts.add_device(ctx, kind="kiosk", name="simulate", hall_code=hall_code)
        who.kiosk_tokens.append(made.value["token"])


def _ok(r: requests.Response) -> Any:
    r.raise_for_status()
    return r.json()
