"""How a region report groups a hall's rows: by hall, by department of a hall or by
service of a hall — the columns to group a per-(hall, service) table by, each group's key
and its name. Shared by the counts (``reports``), the waits' percentiles (``waits``) and
the cases (``cases``), so that their rows meet under one key."""
from __future__ import annotations

from typing import Any

from sqlalchemy import and_

from hall.store.models import RegionService

GROUPS = ("hall", "department", "service")


def joined(table: Any, group: str) -> tuple[Any, list[Any]]:
    """``table`` (with hall_uid and service_id) joined to the services' names, and the
    columns (besides hall_uid) to group it by."""
    s = RegionService.__table__
    keys = {"hall": [], "department": [s.c.department_id, s.c.department],
            "service": [table.c.service_id, s.c.name]}[group]
    return (table.outerjoin(s, and_(s.c.hall_uid == table.c.hall_uid,
                                    s.c.service_id == table.c.service_id)), keys)


def key(uid: str, r: Any, group: str) -> str:
    if group == "hall":
        return uid
    if group == "department":
        return f"{uid}:{r.department_id}"
    return f"{uid}:{r.service_id}"


def case_key(uid: str, r: Any, group: str) -> str | None:
    """A case's row; None: in no row (a service without a department, as the hall's report
    leaves such a case out of its departments)."""
    if group == "department" and r.department_id is None:
        return None
    return key(uid, r, group)


def name(r: Any, group: str, names: dict[str, str]) -> str:
    if group == "hall":
        return names.get(r.hall_uid, r.hall_uid)
    if group == "department":
        return r.department or ""
    return r.name or str(r.service_id)
