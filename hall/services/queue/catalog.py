"""What a kiosk shows before anyone takes a number: departments, their services, each
service's guide (办事指南, shown as 一次性告知) and whether a ticket can be taken *now*.

Availability is decided by the same rule the issue command applies
(``ServiceInfo.check_open`` plus today's quota), so the kiosk never offers a ticket the
service layer would refuse, and when it cannot it says why with the same message. Reasons
are returned as msgid + params; the web layer translates them.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hall.domain.errors import ServiceUnavailable
from hall.domain.i18n import N_
from hall.domain.notify import PROVIDERS, NotifySettings
from hall.services import repo
from hall.services.context import Context, UnitOfWork, read
from hall.services.queue import chains, standing
from hall.store.models import Department, Service, ServiceDay

MSG_QUOTA = N_("Today's %(quota)d tickets for %(service)s are all taken")  # = tickets.issue's
# ServiceUnavailable codes → the state a kiosk button shows
STATES = {"service_closed": "closed", "service_closed_today": "closed_today",
          "service_outside_hours": "outside_hours", "quota_exceeded": "quota_out"}
GUIDE_KEYS = ("materials", "basis", "fee", "steps", "notes", "conditions", "fee_basis")


def catalog(ctx: Context, hall_id: int) -> dict[str, Any]:
    """The hall, its departments in order, and every service with its guide and state."""

    def query(uow: UnitOfWork) -> dict[str, Any]:
        config = repo.hall_config(uow, hall_id)
        row, settings = config.row, config.settings
        local_now = settings.local(uow.now)
        day = local_now.date()
        conn = uow.conn
        d, s, sd = Department.__table__, Service.__table__, ServiceDay.__table__
        waiting = standing.waiting_by_service(conn, hall_id)
        issued = dict(conn.execute(select(sd.c.service_id, sd.c.issued).where(
            sd.c.day == day, sd.c.service_id.in_(select(s.c.id).where(s.c.hall_id == hall_id))
        )).all())
        services: dict[int, list[dict[str, Any]]] = {}
        for svc in conn.execute(select(s).where(s.c.hall_id == hall_id)
                                .order_by(s.c.sort, s.c.id)):
            view = _service(uow, svc, local_now, config.calendar, waiting,
                            issued.get(svc.id, 0))
            services.setdefault(svc.department_id, []).append(view)
        departments = [{"id": r.id, "code": r.code, "name": r.name, "name_en": r.name_en,
                        "services": services.get(r.id, [])}
                       for r in conn.execute(select(d).where(d.c.hall_id == hall_id)
                                             .order_by(d.c.sort, d.c.id))]
        extra = row.settings or {}
        notify_rules = NotifySettings.of(extra)
        return {"hall": {"id": row.id, "code": row.code, "name": row.name, "name_en": row.name_en,
                         "timezone": row.timezone},
                "at": uow.now.isoformat(), "local_time": local_now.strftime("%H:%M"),
                "last_seq": row.last_seq,  # where the kiosk's live events take over
                "priority_reasons": list(extra.get("priority_reasons") or []),
                # 短信提醒: whether the kiosk offers a text when few are ahead (issue 21)
                "notify": {"sms": notify_rules.provider in PROVIDERS,
                           "ahead": notify_rules.ahead},
                "departments": [dep for dep in departments if dep["services"]]}

    return read(ctx, query)


def _service(uow: UnitOfWork, svc: Any, local_now, calendar, waiting: dict[int, int],
             issued: int) -> dict[str, Any]:
    info = repo.service_info(svc)
    reason = None
    try:
        info.check_open(local_now, calendar.is_workday, calendar.extended_hours)
    except ServiceUnavailable as exc:
        reason = exc
    quota_left = None if svc.daily_quota is None else max(svc.daily_quota - issued, 0)
    if reason is None and quota_left == 0:
        reason = ServiceUnavailable("quota_exceeded", MSG_QUOTA, quota=svc.daily_quota or 0,
                                    service=svc.name)
    line = chains.line_of(uow, svc)  # 多窗联办: a chain's number joins its first step's line
    per_visit, windows = standing.pace(uow.conn, line.id, line.expected_visit_s,
                                        local_now.date(), uow.ctx.cache)
    guide = svc.guide or {}
    return {
        "id": svc.id, "code": svc.code, "name": svc.name, "name_en": svc.name_en,
        "prefix": svc.prefix, "kind": svc.kind, "promised_days": svc.promised_days,
        "legal_days": svc.legal_days, "time_limit_min": svc.time_limit_s // 60,
        "expected_visit_min": max(1, round(svc.expected_visit_s / 60)),
        "per_person_limit": svc.per_person_limit, "booking": bool(svc.booking),
        "guide": {k: guide[k] for k in GUIDE_KEYS if guide.get(k)},
        "hours": [f"{a:%H:%M}-{b:%H:%M}" for a, b in info.hours],
        "available": reason is None,
        "state": "open" if reason is None else STATES.get(reason.code, "closed"),
        "reason": None if reason is None else {"code": reason.code, "message": reason.message,
                                               "params": dict(reason.params)},
        "quota": svc.daily_quota, "quota_left": quota_left,
        **standing.line(waiting.get(line.id, 0), per_visit, windows),
    }

