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


def test_complaint_and_rating_settings_are_the_halls_to_set(ctx, hall, clock):
    """Issue 19: the working days to answer a complaint, the days a visit can be rated from
    its phone page, the rating dimensions, the 好差评 codes and a service's 实施清单 code are
    set by the hall (settings page, layout file), and reach the services that read them."""
    import json

    from hall.services.complaints import intake
    from hall.services.config import structure
    from hall.services.config.layout.spec import ServiceSpec
    from hall.services.ratings import late
    from tests.conftest import refused
    from tests.integration.conftest import finished_visit

    spec = HallSpec.model_validate(hall_settings.get_settings(ctx, hall["id"]).model_dump() | {
        "complaint_days": 2, "late_rating_days": 1, "rating_dimensions": [" 礼仪 ", "效率"],
        "haocha_user_type": "2", "haocha_certificate_type": "414"})
    saved = hall_settings.update_settings(ctx, admin(hall), hall["id"], spec).value
    assert (saved.complaint_days, saved.late_rating_days) == (2, 1)
    assert saved.rating_dimensions == ["礼仪", "效率"]
    shown = structure.get_service(ctx, actor=admin(hall), code="hj")
    service = ServiceSpec.model_validate({k: v for k, v in shown.items() if k != "id"} | {
        "affair_code": "11650100MB1234567X4442111001000"})
    structure.update_service(ctx, actor=admin(hall), code="hj", spec=service)

    t = finished_visit(ctx, hall, 1)
    filed = intake.from_ticket(ctx, token=t["token"], text="态度不好").value
    assert filed["due_date"] == "2026-11-25"  # Monday + 2 working days, not 5
    refused("invalid_dimension", "dimensions", late.rate_by_phone, ctx, token=t["token"],
            level=4, dimensions={"环境": 5})
    late.rate_by_phone(ctx, token=t["token"], level=4, dimensions={"礼仪": 5})
    with ctx.engine.connect() as conn:
        (payload,) = conn.execute(text("SELECT payload FROM outbox WHERE topic = "
                                       "'haocha.rating'")).scalars()
    record = json.loads(payload) if isinstance(payload, str) else payload
    assert (record["userType"], record["certificateType"]) == ("2", "414")
    assert record["affairCode"] == "11650100MB1234567X4442111001000"
    assert record["evalDimensions"] == {"礼仪": 5}

    other = finished_visit(ctx, hall, 1)
    clock.advance(days=1, minutes=1)  # one day, the hall's late_rating_days, is over
    refused("rating_closed", "ticket", late.rate_by_phone, ctx, token=other["token"], level=5)
    with pytest.raises(ValidationError, match="must not repeat"):
        HallSpec.model_validate(spec.model_dump() | {"rating_dimensions": ["礼仪", "礼仪"]})
