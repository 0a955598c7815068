"""Who and what the duty pages choose from: the hall's windows, its active staff (with 工号
and department) and its departments. Supervisors only (it names every person)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hall.domain.access import Actor
from hall.services.context import Context, UnitOfWork, read
from hall.services.staff.rota import require_supervisor
from hall.store.models import Counter, Department, Staff

C, D, ST = Counter.__table__, Department.__table__, Staff.__table__


def roster(ctx: Context, actor: Actor) -> dict[str, Any]:
    require_supervisor(actor)

    def query(uow: UnitOfWork) -> dict[str, Any]:
        hall_id = actor.hall_id
        depts = uow.conn.execute(select(D.c.id, D.c.code, D.c.name).where(
            D.c.hall_id == hall_id).order_by(D.c.sort, D.c.id)).all()
        names = {d.id: d.name for d in depts}
        counters = uow.conn.execute(select(C.c.number, C.c.name).where(
            C.c.hall_id == hall_id, C.c.active.is_(True)).order_by(C.c.number)).all()
        staff = uow.conn.execute(select(
            ST.c.id, ST.c.login, ST.c.name, ST.c.number, ST.c.role, ST.c.department_id)
            .where(ST.c.hall_id == hall_id, ST.c.active.is_(True)).order_by(ST.c.name)).all()
        return {
            "counters": [{"number": c.number, "name": c.name} for c in counters],
            "departments": [{"id": d.id, "code": d.code, "name": d.name} for d in depts],
            "staff": [{"id": s.id, "login": s.login, "name": s.name, "number": s.number,
                       "role": s.role, "department_id": s.department_id,
                       "department": names.get(s.department_id)} for s in staff],
        }

    return read(ctx, query)
