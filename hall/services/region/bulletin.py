"""The region's 月通报: the month's halls ranked by the measures and in the order the
hall's own bulletin ranks its departments and windows (hall/domain/ranking.py: 满意率,
现场办结率, 按时办结率, visits served), each figure green or red against its hall's targets."""
from __future__ import annotations

from datetime import date
from typing import Any

from hall.domain import ranking
from hall.services.context import UnitOfWork
from hall.services.region import reports


def bulletin(uow: UnitOfWork, login: str, month: date) -> dict[str, Any]:
    data = reports.report(uow, login, period="month", on=month.replace(day=1), group="hall")
    return {"month": month.strftime("%Y-%m"), "period": data["period"],
            "targets": data["targets"], "halls": ranking.rank(data["rows"]),
            "total": data["total"]}
