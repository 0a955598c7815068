"""Day figures per service (日考核), computed by the domain's measures from raw rows.
The full reports (week/month, windows, staff, exports) are issue 8's."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from hall.domain import measures as m
from hall.services import queries, repo
from hall.services.context import Context, UnitOfWork, read
from hall.store.models import Service, Ticket


def _visit(r: Any) -> m.Visit:
    return m.Visit(issued_at=r.issued_at, called_at=r.called_at, started_at=r.started_at,
                   finished_at=r.finished_at, state=r.state, outcome=r.outcome,
                   recalls=r.recalls, transferred=r.state == "transferred",
                   fee_cents=r.fee_cents, released_at=r.released_at)


def _round(x: float | None, digits: int = 1) -> float | None:
    return None if x is None else round(x, digits)


def figures(visits: list[m.Visit], target_wait_s: int) -> dict[str, Any]:
    waits = m.waits(visits)
    services = [s for s in (m.service_seconds(v) for v in visits) if s is not None]
    return {
        "issued": len(visits),
        "called": sum(1 for v in visits if v.called_at is not None),
        "outcomes": m.counts_by_outcome(visits),
        "wait_p50_s": _round(m.percentile(waits, 50)),
        "wait_p90_s": _round(m.percentile(waits, 90)),
        "service_mean_s": _round(m.mean(services)),
        "service_level": _round(m.service_level(visits, target_wait_s), 4),
        "no_show_rate": _round(m.no_show_rate(visits), 4),
        "onsite_completion_rate": _round(m.onsite_completion_rate(visits), 4),
        "recalls": m.recalls_total(visits),
        "transfers": m.transfers_total(visits),
        "fees_cents": m.fees_total(visits),
    }


def day_report(ctx: Context, day: str | None = None, hall_id: int | None = None
               ) -> dict[str, Any]:
    hall_id = hall_id or queries.default_hall(ctx)

    def query(uow: UnitOfWork) -> dict[str, Any]:
        hall = repo.settings_of(repo.hall_row(uow.conn, hall_id))
        the_day = date.fromisoformat(day) if day else hall.local(uow.now).date()
        t, s = Ticket.__table__, Service.__table__
        names = dict(uow.conn.execute(select(s.c.id, s.c.name)
                                      .where(s.c.hall_id == hall_id)).all())
        rows = uow.conn.execute(select(t).where(t.c.hall_id == hall_id, t.c.day == the_day)).all()
        by_service: dict[int, list[m.Visit]] = {}
        for r in rows:
            by_service.setdefault(r.service_id, []).append(_visit(r))
        everything = [v for vs in by_service.values() for v in vs]
        return {"hall": hall.name, "day": the_day.isoformat(),
                "total": figures(everything, hall.target_wait_s),
                "services": [{"service": names[sid], **figures(vs, hall.target_wait_s)}
                             for sid, vs in sorted(by_service.items())]}

    return read(ctx, query)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.1f}%"


def _min(x: float | None) -> str:
    return "-" if x is None else f"{x / 60:.1f}"


def as_text(data: dict[str, Any]) -> str:
    lines = [f"{data['hall']}  {data['day']}",
             f"{'service':<24}{'issued':>7}{'called':>7}{'p50 wait':>10}{'p90 wait':>10}"
             f"{'svc lvl':>9}{'no-show':>9}{'现场办结':>9}"]
    for row in [*data["services"], {"service": "TOTAL", **data["total"]}]:
        lines.append(f"{row['service'][:22]:<24}{row['issued']:>7}{row['called']:>7}"
                     f"{_min(row['wait_p50_s']):>10}{_min(row['wait_p90_s']):>10}"
                     f"{_pct(row['service_level']):>9}{_pct(row['no_show_rate']):>9}"
                     f"{_pct(row['onsite_completion_rate']):>9}")
    return "\n".join(lines)
