"""The hall's settings and notices as admins edit them, on SQLite and PostgreSQL: stored where
the services read them, audited, announced with ``config.changed``, never a stale copy."""
from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError
from sqlalchemy import select, text

from hall.domain.access import Actor
from hall.domain.errors import DomainError
from hall.services import repo
from hall.services.config import settings as hall_settings
from hall.services.config.layout.spec import HallSpec, NoticeSpec
from hall.services.context import read
from hall.store.models import AuditEntry


def admin(hall) -> Actor:
    return Actor("staff", hall["staff"]["wang"], hall["id"], "admin", None, "王强")


def cached_config(ctx, hall_id: int) -> repo.HallConfig:
    return read(ctx, lambda uow: repo.hall_config(uow, hall_id))


def test_saved_settings_reach_the_services_at_once_and_are_audited(ctx, hall):
    with ctx.engine.begin() as conn:  # notices: a key no layout carries
        conn.execute(text("""UPDATE halls SET settings = '{"public_url": "https://q.gov.cn/",
                          "notices": ["旧通知"], "pause_reasons": ["午休"]}'"""))
    assert cached_config(ctx, hall["id"]).settings.target_wait_s == 900  # now cached
    spec = HallSpec.model_validate(hall_settings.get_settings(ctx, hall["id"]).model_dump() | {
        "name": "新大厅", "target_wait_minutes": 20, "priority_ratio": 3,
        "holidays": ["2026-11-24"], "workdays": ["2026-11-28"], "followup_days": 5,
        "pause_reasons": [" 午休 ", "培训"], "alerts": {"idle_minutes": 8}})

    result = hall_settings.update_settings(ctx, admin(hall), hall["id"], spec, ip="10.1.1.1")
    assert [e.type for e in result.events] == ["config.changed"]
    assert result.value.pause_reasons == ["午休", "培训"] and result.value.name == "新大厅"
    config = cached_config(ctx, hall["id"])
    assert config.settings.target_wait_s == 1200 and config.settings.priority_ratio == 3
    assert not config.calendar.is_workday(date(2026, 11, 24))  # a Tuesday, now closed
    assert config.calendar.is_workday(date(2026, 11, 28))  # a Saturday, now open
    assert config.row.settings["holidays"] == ["2026-11-24"]  # ISO strings, as repo reads
    assert config.row.settings["public_url"] == "https://q.gov.cn"  # kept, normalised
    assert config.row.settings["notices"] == ["旧通知"]

    with ctx.engine.connect() as conn:
        entry = conn.execute(select(AuditEntry).where(AuditEntry.entity == "hall")).one()
    assert entry.action == "update" and entry.ip == "10.1.1.1"
    assert entry.before["target_wait_minutes"] == 15 and entry.after["target_wait_minutes"] == 20
    assert entry.after["holidays"] == ["2026-11-24"] and "timezone" not in entry.after

    again = hall_settings.update_settings(ctx, admin(hall), hall["id"], result.value)
    assert again.events == []  # nothing changed: no event, no entry


def test_a_halls_code_stays_and_numbers_must_be_finite(ctx, hall):
    spec = hall_settings.get_settings(ctx, hall["id"])
    with pytest.raises(DomainError) as refused:
        hall_settings.update_settings(ctx, admin(hall), hall["id"],
                                      spec.model_copy(update={"code": "renamed"}))
    assert refused.value.code == "hall_code_fixed"
    with pytest.raises(ValidationError, match="idle_minutes"):  # the spec refuses nan/inf
        HallSpec.model_validate(spec.model_dump() | {"alerts": {"idle_minutes": float("nan")}})


def test_notices_are_replaced_in_order_and_the_event_carries_them(ctx, hall):
    notices = [NoticeSpec(text="今日下午系统升级"), NoticeSpec(text="请提前预约")]
    result = hall_settings.set_notices(ctx, admin(hall), hall["id"], notices)
    assert result.events[0].type == "config.changed"
    assert result.events[0].payload == {"what": "notices",
                                        "notices": ["今日下午系统升级", "请提前预约"]}
    assert hall_settings.get_notices(ctx, hall["id"]) == notices
    assert hall_settings.get_settings(ctx, hall["id"]).pause_reasons == ["午休", "业务咨询",
                                                                         "系统故障"]
    with ctx.engine.connect() as conn:
        entry = conn.execute(select(AuditEntry).where(AuditEntry.entity == "notices")).one()
    assert entry.before == {"notices": []} and entry.after["notices"][1] == "请提前预约"
