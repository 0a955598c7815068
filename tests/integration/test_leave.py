"""请销假 (hall/services/staff/leave.py): requested by staff, decided by another supervisor,
excusing absence and handing the window to its B post; a pause is never leave."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError
from sqlalchemy import create_engine, text

from hall.domain.access import Actor
from hall.services.config import accounts
from hall.services.config.layout.spec import HallSpec
from hall.services.counters import state as counters
from hall.services.counters import terminal
from hall.services.staff import attendance, leave, rota
from hall.services.staff.week import week_of
from hall.services.supervision import watch
from hall.store.migrate import downgrade, upgrade
from tests.conftest import refused
from tests.integration.conftest import set_hall_settings, signed_in_at

MON = date(2026, 11, 23)


def at(hh: int, mm: int) -> datetime:
    return datetime(2026, 11, 23, hh - 8, mm, tzinfo=UTC)


def test_leave_approved_hands_window_to_b_post(ctx, hall, clock):
    hall["staff"]["zhao"] = accounts.add_user(ctx, login="zhao", name="赵敏").value["id"]
    li_id, zhao_id = hall["staff"]["li"], hall["staff"]["zhao"]
    boss = Actor("staff", hall["staff"]["wang"], hall["id"], "supervisor")
    li = Actor("staff", li_id, hall["id"], "staff")
    zhao = Actor("staff", zhao_id, hall["id"], "staff")
    rota.assign(ctx, boss, counter=1, day=MON, shift="am", post="A", staff_id=li_id)
    rota.assign(ctx, boss, counter=1, day=MON, shift="am", post="B", staff_id=zhao_id)
    clock.current = at(8, 0)

    # bad requests name their field
    refused("leave_ends_before_it_starts", "end", leave.request, ctx, li, kind="sick",
            start=at(12, 0), end=at(9, 0), reason="发烧")
    refused("invalid_leave_kind", "kind", leave.request, ctx, li, kind="holiday",
            start=at(9, 0), end=at(12, 0), reason="发烧")
    asked = leave.request(ctx, li, kind="sick", start=at(9, 0), end=at(12, 0),
                          reason="发烧").value
    assert asked["state"] == "pending"
    # nobody decides their own leave; staff decide nobody's
    own = leave.request(ctx, boss, kind="annual", start=at(9, 0), end=at(17, 0),
                        reason="年休").value
    refused("own_leave", "leave_id", leave.decide, ctx, boss, own["id"], approve=True)
    refused("forbidden", "authorization", leave.decide, ctx, zhao, asked["id"], approve=True)
    assert [r["id"] for r in leave.list_leave(ctx, boss, state="pending")] == [own["id"],
                                                                              asked["id"]]

    # approved: the window's terminal hears that zhao (B) covers li's post (A)
    decided = leave.decide(ctx, boss, asked["id"], approve=True, note="好好休息")
    assert decided.value["state"] == "approved"
    cover, = [e for e in decided.events if e.type == "rota.cover"]
    assert (cover.payload["counter_id"], cover.payload["staff_id"],
            cover.payload["cover_staff_id"], cover.payload["cover_name"]) == \
        (hall["counters"][1], li_id, zhao_id, "赵敏")
    refused("leave_decided", "leave_id", leave.decide, ctx, boss, asked["id"], approve=False)

    # the rota shows it, and zhao's own week has the post they cover
    post, = [p for p in week_of(ctx, boss, MON)["posts"] if p["post"] == "A"]
    assert (post["login"], post["on_leave"], post["cover"]["name"]) == ("li", True, "赵敏")
    assert [(p["counter"], p["post"], p["cover"]["staff_id"])
            for p in week_of(ctx, zhao, MON, mine=True)["posts"] if p["cover"]] == \
        [(1, "A", zhao_id)]

    # the window is not open after the grace period: the alert names zhao, not li
    clock.current = at(9, 6)
    raised = watch.scan(ctx, hall["id"]).value["raised"]
    absent, = [a for a in raised if a["kind"] == "window_absent"]
    assert absent["payload"]["staff_name"] == "赵敏"
    clock.current = at(9, 10)
    signed_in_at(ctx, hall, 1, "zhao")

    # li's absence is excused; zhao is expected (and late) at li's window
    clock.current = at(12, 30)
    day = {r["name"]: r for r in attendance.records(ctx, hall["id"], MON)}
    assert day["李娜"]["status"] == "on_leave" and day["李娜"]["absent_minutes"] == 0
    assert (day["赵敏"]["status"], day["赵敏"]["late_minutes"]) == ("late", 10)
    assert day["赵敏"]["shifts"][0]["post"] == "B"

    # 销假 ends it; a request still pending is withdrawn the same way
    returned = leave.return_from(ctx, li, asked["id"]).value
    assert returned["state"] == "returned" and returned["returned_at"] == at(12, 30).isoformat()
    assert leave.return_from(ctx, boss, own["id"]).value["state"] == "cancelled"
    refused("leave_decided", "leave_id", leave.return_from, ctx, li, asked["id"])


def test_pause_reasons_exclude_leave(ctx, hall, db_url, admin):
    # the hall's settings refuse leave as a pause reason
    with pytest.raises(ValidationError, match="leave is not a pause reason"):
        HallSpec(code="test", name="测试大厅", pause_reasons=["午休", "请假"])
    with pytest.raises(ValidationError):
        HallSpec(code="test", name="测试大厅", pause_reasons=["病假"])

    # a hall whose settings still list 请假 (from before): the terminal does not offer it,
    # and a pause with it (or any kind of leave) is refused naming the reason
    set_hall_settings(ctx, hall, pause_reasons=["午休", "请假", "业务咨询"])
    li = signed_in_at(ctx, hall, 1, "li")
    board = terminal.board(ctx, hall["counters"][1], hall["id"])
    assert board["pause_reasons"] == ["午休", "业务咨询"]
    for reason in ("请假", "事假", "年休假"):
        refused("leave_is_not_a_pause", "reason", counters.pause, ctx,
                counter_id=hall["counters"][1], actor=li, reason=reason)
    assert counters.pause(ctx, counter_id=hall["counters"][1], actor=li,
                          reason="午休").value["state"] == "paused"

    # migrating such a hall takes leave out of its pause reasons
    ctx.engine.dispose()
    downgrade(db_url, "0025")
    upgrade(db_url)
    engine = create_engine(db_url)
    with engine.connect() as conn:
        settings = conn.execute(text("SELECT settings FROM halls")).scalar_one()
    engine.dispose()
    settings = json.loads(settings) if isinstance(settings, str) else settings
    assert settings["pause_reasons"] == ["午休", "业务咨询"]


def test_refused_leave_excuses_nothing_and_hands_nothing_over(ctx, hall, clock):
    hall["staff"]["zhao"] = accounts.add_user(ctx, login="zhao", name="赵敏").value["id"]
    boss = Actor("staff", hall["staff"]["wang"], hall["id"], "supervisor")
    li = Actor("staff", hall["staff"]["li"], hall["id"], "staff")
    rota.assign(ctx, boss, counter=1, day=MON, shift="am", post="A", staff_id=li.id)
    rota.assign(ctx, boss, counter=1, day=MON, shift="am", post="B",
                staff_id=hall["staff"]["zhao"])
    clock.current = at(8, 0)
    asked = leave.request(ctx, li, kind="personal", start=at(9, 0), end=at(12, 0),
                          reason="家中有事").value
    refused_ = leave.decide(ctx, boss, asked["id"], approve=False, note="窗口人手不足")
    assert refused_.value["state"] == "refused" and refused_.value["note"] == "窗口人手不足"
    assert [e for e in refused_.events if e.type == "rota.cover"] == []
    post, = [p for p in week_of(ctx, boss, MON)["posts"] if p["post"] == "A"]
    assert (post["on_leave"], post["cover"]) == (False, None)
    clock.current = at(12, 30)
    day = {r["name"]: r["status"] for r in attendance.records(ctx, hall["id"], MON)}
    assert day == {"李娜": "absent"}  # not excused; zhao (B) was never asked to cover
    refused("leave_decided", "leave_id", leave.return_from, ctx, li, asked["id"])
