"""Layout specs ⇄ table rows: the one place where the layout's minutes become the tables'
seconds, its guide fields become the ``guide`` JSON column, and back.

``hall seed``, the admin console and the layout export all convert through these pure
functions, so a service written by one reads back equal through the others. They take and
give plain values (a spec, a row or mapping with the table's column names) and touch no
database.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hall.services.config.layout.spec import (
    CounterServiceSpec,
    CounterSpec,
    DepartmentSpec,
    DeviceSpec,
    ServiceSpec,
)

MIN = 60
# affair_code (the 实施清单 code, issue 19) rides with the guide: hall/services/ratings/
# exchange.py reads it there for the 好差评 record's affairCode
GUIDE_KEYS = ("materials", "basis", "fee", "steps", "notes", "conditions", "fee_basis",
              "affair_code")


def _get(row: Any, key: str, default: Any = None) -> Any:
    """A column of a SQLAlchemy Row, a RowMapping or a plain dict."""
    if isinstance(row, Mapping):
        return row.get(key, default)
    return getattr(row, key, default)


def _minutes(seconds: int) -> int:
    """Seconds stored → whole minutes shown (at least 1: every duration spec is ≥ 1)."""
    return max(1, round(seconds / MIN))


def department_row(spec: DepartmentSpec) -> dict[str, Any]:
    """The ``departments`` columns a spec sets (code included; hall and sort are the
    caller's)."""
    return {"code": spec.code, "name": spec.name, "name_en": spec.name_en}


def department_spec(row: Any) -> DepartmentSpec:
    """A ``departments`` row as its layout entry."""
    return DepartmentSpec(code=_get(row, "code"), name=_get(row, "name"),
                          name_en=_get(row, "name_en") or "")


def service_row(spec: ServiceSpec, department_id: int) -> dict[str, Any]:
    """The ``services`` columns a spec sets (code included; hall and sort are the caller's).

    Minutes become seconds; without a warning point the warning is the time limit itself
    (no separate yellow phase); the guide fields that are set go into ``guide``; no
    booking is stored as ``{}``.
    """
    warning = spec.warning_minutes if spec.warning_minutes is not None \
        else spec.time_limit_minutes
    return {
        "code": spec.code, "department_id": department_id, "name": spec.name,
        "name_en": spec.name_en, "prefix": spec.prefix, "kind": spec.kind,
        "legal_days": spec.legal_days, "promised_days": spec.promised_days,
        "warning_days": spec.warning_days, "fast_track_days": spec.fast_track_days,
        "expected_visit_s": spec.expected_visit_minutes * MIN,
        "time_limit_s": spec.time_limit_minutes * MIN,
        "warning_s": warning * MIN,
        "daily_quota": spec.daily_quota, "per_person_limit": spec.per_person_daily_limit,
        "hours": list(spec.hours),
        "guide": {k: getattr(spec, k) for k in GUIDE_KEYS if getattr(spec, k) is not None},
        "booking": spec.booking.model_dump() if spec.booking is not None else {},
        "chain": list(spec.chain or []),
        "active": spec.active,
    }


def service_spec(row: Any, department_code: str) -> ServiceSpec:
    """A ``services`` row as its layout entry; ``department_code`` is the code of the row's
    ``department_id``. A warning point at (or past) the time limit reads back as none, the
    way ``service_row`` stores "no warning point"."""
    time_limit = _minutes(_get(row, "time_limit_s"))
    warning = _minutes(_get(row, "warning_s"))
    guide = _get(row, "guide") or {}
    booking = _get(row, "booking") or None
    return ServiceSpec(
        code=_get(row, "code"), department=department_code, name=_get(row, "name"),
        name_en=_get(row, "name_en") or "", prefix=_get(row, "prefix"), kind=_get(row, "kind"),
        legal_days=_get(row, "legal_days") or 0, promised_days=_get(row, "promised_days") or 0,
        warning_days=_get(row, "warning_days", 1),
        fast_track_days=_get(row, "fast_track_days"),
        expected_visit_minutes=_minutes(_get(row, "expected_visit_s")),
        time_limit_minutes=time_limit,
        warning_minutes=warning if warning < time_limit else None,
        daily_quota=_get(row, "daily_quota"),
        per_person_daily_limit=_get(row, "per_person_limit"),
        hours=list(_get(row, "hours") or []), booking=booking,
        chain=list(_get(row, "chain") or []) or None,
        **{k: guide[k] for k in GUIDE_KEYS if guide.get(k) is not None},
        active=bool(_get(row, "active", True)))


def counter_row(spec: CounterSpec) -> dict[str, Any]:
    """The ``counters`` columns a spec sets (number included; hall and live state — open,
    staff, current ticket — are the caller's)."""
    return {"number": spec.number, "name": spec.name, "led_address": spec.led_address,
            "active": spec.active}


def counter_links(spec: CounterSpec, service_ids: Mapping[str, int]) -> list[dict[str, int]]:
    """The ``counter_services`` rows of a counter without its ``counter_id``:
    ``service_ids`` maps each service code the spec names to its id."""
    return [{"service_id": service_ids[s.service], "weight": s.weight} for s in spec.services]


def counter_spec(row: Any, links: Iterable[tuple[str, int]]) -> CounterSpec:
    """A ``counters`` row as its layout entry; ``links`` are its (service code, weight)
    pairs in the order to list them."""
    return CounterSpec(
        number=_get(row, "number"), name=_get(row, "name"),
        led_address=_get(row, "led_address"),
        services=[CounterServiceSpec(service=code, weight=weight) for code, weight in links],
        active=bool(_get(row, "active", True)))


def device_spec(row: Any, counter_number: int | None) -> DeviceSpec:
    """A ``devices`` row as its layout entry (never its token)."""
    return DeviceSpec(name=_get(row, "name"), kind=_get(row, "kind"), counter=counter_number,
                      url=_get(row, "url"))
