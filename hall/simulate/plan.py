"""The plan of a simulated day, pure and repeatable from a seed: who arrives when, for
which service, as what kind of ticket, how long they are served, how it ends (the finish
outcomes of hall/domain/outcomes.py), who never comes when called (过号), who is sent on
to another service (转办) and how they rate (好差评, some bad with a reason)."""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from hall.domain.outcomes import Outcome

# arrivals per hour relative to an average hour: a morning peak, a lunch dip, an afternoon
# peak; hours not named weigh 1
HOURLY = {8: 0.6, 9: 1.5, 10: 1.7, 11: 1.2, 12: 0.45, 13: 0.6, 14: 1.3, 15: 1.5, 16: 1.0,
          17: 0.5}
PRIORITY_SHARE = 0.05  # 绿色通道
APPOINTMENT_SHARE = 0.10  # 预约取号 (booked through the booking API, checked in at the kiosk)
NO_SHOW_SHARE = 0.06  # called but never came: skipped (过号)
TRANSFER_SHARE = 0.04  # sent on to another service (转办)
RATED_SHARE = 0.75  # rate on the window's pad
LEVELS = (5, 4, 3, 2, 1)
LEVEL_WEIGHTS = (0.70, 0.16, 0.08, 0.04, 0.02)
BAD_REASONS = ("等候时间长", "服务态度差", "业务不熟练", "一次性告知不清", "办事效率低")
PRIORITY_REASONS = ("老年人", "残疾人", "孕妇", "现役军人")
REFUSAL_NOTES = ("不属于本中心受理范围", "申请人不符合办理条件")


@dataclass(frozen=True)
class Profile:
    """How a service's visits go: mean minutes at the window and the outcome mix."""

    minutes: float
    outcomes: dict[str, float]


@dataclass
class Visitor:
    n: int
    at: float  # seconds after opening
    service: str
    kind: str = "normal"
    priority_reason: str | None = None
    minutes: float = 5.0
    outcome: str = Outcome.DONE.value
    no_show: bool = False
    transfer_to: str | None = None
    rating: tuple[int, str | None] | None = None
    after_transfer: dict = field(default_factory=dict)  # the visit at the second service


def profile(seed: int, service: str) -> Profile:
    """A service's own times and mix, the same for the same seed and code."""
    rng = random.Random(f"{seed}:{service}")
    accepted = rng.uniform(0.1, 0.35)
    correction = rng.uniform(0.04, 0.12)
    refused = rng.uniform(0.01, 0.05)
    return Profile(minutes=rng.uniform(3, 14), outcomes={
        Outcome.DONE.value: 1 - accepted - correction - refused,
        Outcome.ACCEPTED.value: accepted, Outcome.CORRECTION.value: correction,
        Outcome.REFUSED.value: refused})


def hours(open_hour: int, close_hour: int) -> list[tuple[int, float]]:
    """(hour, weight) for each opening hour."""
    return [(h, HOURLY.get(h, 1.0)) for h in range(open_hour, close_hour)]


def _served(rng: random.Random, prof: Profile) -> tuple[float, str]:
    minutes = max(1.0, rng.gauss(prof.minutes, prof.minutes / 3))
    outcome = rng.choices(list(prof.outcomes), weights=list(prof.outcomes.values()))[0]
    return minutes, outcome


def _rating(rng: random.Random) -> tuple[int, str | None] | None:
    if rng.random() >= RATED_SHARE:
        return None
    level = rng.choices(LEVELS, weights=LEVEL_WEIGHTS)[0]
    return level, (rng.choice(BAD_REASONS) if level <= 2 else None)


def day(seed: int, services: list[str], visitors: int, open_hour: int = 9,
        close_hour: int = 17, bookable: frozenset[str] = frozenset(),
        priority_reasons: tuple[str, ...] = PRIORITY_REASONS,
        variant: str | None = None) -> list[Visitor]:
    """The day's visitors in order of arrival: about ``visitors`` of them (Poisson per
    hour around the hour's share); appointments only for ``bookable`` services.
    ``variant`` (a past day's date) draws another day of the same hall: other visitors,
    the same services' times and mixes (``profile``)."""
    if not services:
        return []
    rng = random.Random(seed if variant is None else f"{seed}:{variant}")
    spread = hours(open_hour, close_hour)
    total = sum(w for _, w in spread) or 1.0
    times: list[float] = []
    for i, (_, weight) in enumerate(spread):
        mean = visitors * weight / total
        count = _poisson(rng, mean)
        times += [i * 3600 + rng.uniform(0, 3600) for _ in range(count)]
    plan = []
    for n, at in enumerate(sorted(times), start=1):
        service = rng.choice(services)
        v = Visitor(n=n, at=at, service=service)
        draw = rng.random()
        if draw < PRIORITY_SHARE:
            v.kind, v.priority_reason = "priority", rng.choice(priority_reasons)
        elif service in bookable and draw < PRIORITY_SHARE + APPOINTMENT_SHARE:
            v.kind = "appointment"
        v.minutes, v.outcome = _served(rng, profile(seed, service))
        v.no_show = rng.random() < NO_SHOW_SHARE
        others = [s for s in services if s != service]
        if not v.no_show and others and rng.random() < TRANSFER_SHARE:
            v.transfer_to = rng.choice(others)
            minutes, outcome = _served(rng, profile(seed, v.transfer_to))
            v.after_transfer = {"minutes": minutes, "outcome": outcome}
        v.rating = None if v.no_show else _rating(rng)
        plan.append(v)
    return plan


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method, split for large means so exp(-mean) does not underflow."""
    count = 0
    while mean > 30:
        count += round(rng.gauss(30, 30 ** 0.5))
        mean -= 30
    limit, k, p = 2.718281828459045 ** -mean, 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return count + k
        k += 1
