"""Loading a hall layout from TOML (``hall seed``), idempotently: rows are matched by code
(hall, department, service), number (counter) or login (staff) and updated in place."""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, insert, select, update

from hall.services.context import Context, Result, UnitOfWork, run
from hall.services.layout_spec import LayoutSpec, describe
from hall.store.models import Counter, CounterService, Department, Hall, Service, Staff

MIN = 60
# hall-level keys of the layout kept in halls.settings (each has a default in code)
HALL_SETTINGS = ("pause_reasons", "priority_reasons", "holidays", "workdays",
                 "appointment_early_minutes", "appointment_late_minutes", "rating_reasons",
                 "followup_days", "alerts", "printer_profiles")


def load_layout(path: str | Path) -> dict[str, Any]:
    with open(path, "rb") as fh:
        layout = tomllib.load(fh)
    validate_layout(layout)
    return layout


def validate_layout(layout: dict[str, Any]) -> LayoutSpec:
    """Refuse a layout that would break the hall, naming the offending entry (ValueError)."""
    try:
        return LayoutSpec.model_validate(layout)
    except ValidationError as exc:
        raise ValueError(describe(exc, layout)) from None


def seed(ctx: Context, layout: dict[str, Any], *, ignore_hours: bool = False) -> Result:
    def command(uow: UnitOfWork) -> dict[str, int]:
        hall_id = _hall(uow, layout["hall"], layout.get("notices", []))
        depts = {d["code"]: _upsert(uow, Department, {"hall_id": hall_id, "code": d["code"]}, {
            "name": d["name"], "name_en": d.get("name_en", ""), "sort": i})
            for i, d in enumerate(layout.get("departments", []))}
        services = {s["code"]: _upsert(uow, Service, {"hall_id": hall_id, "code": s["code"]},
                                       _service_values(s, depts, i, ignore_hours))
                    for i, s in enumerate(layout.get("services", []))}
        for c in layout.get("counters", []):
            cid = _upsert(uow, Counter, {"hall_id": hall_id, "number": c["number"]},
                          {"name": c["name"], "led_address": c.get("led_address"),
                           "active": c.get("active", True)})
            uow.conn.execute(delete(CounterService).where(CounterService.counter_id == cid))
            uow.conn.execute(insert(CounterService), [
                {"counter_id": cid, "service_id": services[cs["service"]],
                 "weight": cs.get("weight", 1)} for cs in c.get("services", [])])
        for st in layout.get("staff", []):
            _upsert(uow, Staff, {"login": st["login"]}, {
                "hall_id": hall_id, "name": st["name"], "number": st.get("number", ""),
                "role": st.get("role", "staff"), "active": st.get("active", True)})
        return {"hall_id": hall_id, "departments": len(depts), "services": len(services),
                "counters": len(layout.get("counters", [])),
                "staff": len(layout.get("staff", []))}

    result = run(ctx, command)
    ctx.cache.clear()  # settings and services changed: no stale copy in this process
    return result


def _hall(uow: UnitOfWork, h: dict[str, Any], notices: list[dict[str, Any]]) -> int:
    settings = {k: h[k] for k in HALL_SETTINGS if k in h}
    return _upsert(uow, Hall, {"code": h["code"]}, {
        "name": h["name"], "name_en": h.get("name_en", ""),
        "timezone": h.get("timezone", "Asia/Shanghai"),
        "target_wait_s": h.get("target_wait_minutes", 15) * MIN,
        "priority_ratio": h.get("priority_ratio", 2),
        "max_wait_s": h.get("max_wait_minutes", 45) * MIN,
        "rating_window_s": h.get("rating_window_minutes", 10) * MIN,
        "recall_limit": h.get("recall_limit", 3),
        "settings": settings | {"notices": [n["text"] for n in notices]}})


def _service_values(s: dict[str, Any], depts: dict[str, int], order: int,
                    ignore_hours: bool) -> dict[str, Any]:
    return {
        "department_id": depts[s["department"]], "name": s["name"],
        "name_en": s.get("name_en", ""), "prefix": s["prefix"], "kind": s["kind"],
        "legal_days": s.get("legal_days", 0), "promised_days": s.get("promised_days", 0),
        "expected_visit_s": s["expected_visit_minutes"] * MIN,
        "time_limit_s": s["time_limit_minutes"] * MIN,
        "warning_s": s.get("warning_minutes", s["time_limit_minutes"]) * MIN,
        "daily_quota": s.get("daily_quota"), "per_person_limit": s.get("per_person_daily_limit"),
        "hours": [] if ignore_hours else s.get("hours", []),
        "guide": {k: s[k] for k in ("materials", "basis", "fee", "steps", "notes") if k in s},
        # 预约: {"slot_minutes", "capacity", "days_ahead"}; {} = no appointments
        "booking": dict(s.get("booking", {})),
        "active": s.get("active", True), "sort": order,
    }


def _upsert(uow: UnitOfWork, model, key: dict[str, Any], values: dict[str, Any]) -> int:
    t = model.__table__
    where = [t.c[k] == v for k, v in key.items()]
    existing = uow.conn.execute(select(t.c.id).where(*where)).scalar_one_or_none()
    if existing is None:
        return uow.conn.execute(insert(t).values(**key, **values).returning(t.c.id)).scalar_one()
    uow.conn.execute(update(t).where(t.c.id == existing).values(**values))
    return existing
