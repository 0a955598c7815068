"""The public service guide (政务公开, ``/guide`` and ``GET /api/v1/guide``): every active
service of a hall with its whole 办事指南, the windows that serve it and whether it can be
booked; searchable by name, department and keyword, or by the pinyin initials of a name.

Read-only and public: nothing personal is in it (no staff, no tickets, no figures).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from pypinyin import Style, lazy_pinyin
from sqlalchemy import select

from hall.domain import guide as rules
from hall.domain.hall import parse_hours
from hall.services.context import Context, UnitOfWork, read
from hall.services.queue.booking_catalog import hall_by_ref
from hall.store.models import Counter, CounterService, Department, Service

TEXT_KEYS = ("basis", "conditions", "fee", "fee_basis", "notes")


@lru_cache(maxsize=4096)
def initials(text: str) -> str:
    """户口迁入登记 → hkqrdj (letters and digits kept, punctuation dropped)."""
    letters = lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")
    return "".join(ch for part in letters for ch in part.lower() if ch.isalnum())


def guide(ctx: Context, hall: int | str | None = None, q: str = "") -> dict[str, Any]:
    """Departments (in order) → their active services matching ``q``, each with its guide."""

    def query(uow: UnitOfWork) -> dict[str, Any]:
        conn = uow.conn
        hall_row = hall_by_ref(conn, hall)
        d, s = Department.__table__, Service.__table__
        c, cs = Counter.__table__, CounterService.__table__
        windows: dict[int, list[int]] = {}
        for service_id, number in conn.execute(
                select(cs.c.service_id, c.c.number).join(c, c.c.id == cs.c.counter_id)
                .where(c.c.hall_id == hall_row.id, c.c.active).order_by(c.c.number)):
            windows.setdefault(service_id, []).append(number)
        depts = {r.id: {"code": r.code, "name": r.name, "name_en": r.name_en, "services": []}
                 for r in conn.execute(select(d).where(d.c.hall_id == hall_row.id)
                                       .order_by(d.c.sort, d.c.id))}
        total = 0
        for svc in conn.execute(select(s).where(s.c.hall_id == hall_row.id, s.c.active)
                                .order_by(s.c.sort, s.c.id)):
            dep = depts.get(svc.department_id)
            if dep is None:
                continue
            entry = service_entry(svc, windows.get(svc.id, []))
            total += 1
            if _matches(q, entry, dep):
                dep["services"].append(entry)
        found = [x for x in depts.values() if x["services"]]
        return {"hall": {"code": hall_row.code, "name": hall_row.name,
                         "name_en": hall_row.name_en},
                "query": q, "total": total,
                "found": sum(len(x["services"]) for x in found), "departments": found}

    return read(ctx, query)


def service_entry(svc: Any, windows: list[int]) -> dict[str, Any]:
    g = svc.guide or {}
    return {
        "id": svc.id, "code": svc.code, "name": svc.name, "name_en": svc.name_en,
        "kind": svc.kind, "legal_days": svc.legal_days, "promised_days": svc.promised_days,
        "hours": [f"{a:%H:%M}-{b:%H:%M}" for a, b in parse_hours(svc.hours or [])],
        "windows": windows, "bookable": bool(svc.booking),
        "materials": [rules.material(m) for m in g.get("materials") or []],
        "steps": list(g.get("steps") or []),
        **{k: g.get(k) or "" for k in TEXT_KEYS},
        "initials": initials(svc.name),
    }


def _matches(q: str, entry: dict[str, Any], dep: dict[str, Any]) -> bool:
    texts = [entry["name"], entry["name_en"], entry["code"], dep["name"], dep["name_en"],
             *(entry[k] for k in TEXT_KEYS), *(m["text"] for m in entry["materials"]),
             *entry["steps"]]
    return rules.matches(q, texts, [entry["initials"], initials(dep["name"])])
