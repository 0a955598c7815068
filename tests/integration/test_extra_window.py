"""增开窗口 (hall/services/supervision/extra_window.py and the watch's ``extra_window``
rule): a line long for its open windows raises one alert naming who could open another —
a free B post of the rota now, else staff signed in and idle or paused, else nobody — and
clears when the line is short again."""
from __future__ import annotations

from datetime import UTC, date, datetime

from hall.domain.access import Actor
from hall.services.config import accounts
from hall.services.context import read
from hall.services.counters import state as counters
from hall.services.queue import calling, tickets
from hall.services.staff import rota
from hall.services.supervision import extra_window, watch, watch_rules
from tests.integration.conftest import kiosk, set_hall_settings, signed_in_at

MON = date(2026, 11, 23)
RULE = (watch_rules.EXTRA_WINDOWS,)


def at(day: int, hh: int, mm: int) -> datetime:
    """A time of November 2026 in Shanghai, as UTC."""
    return datetime(2026, 11, day, hh - 8, mm, tzinfo=UTC)


def take(ctx, hall, n: int, service: str = "hj") -> None:
    for _ in range(n):
        tickets.issue(ctx, hall_id=hall["id"], service=service, actor=kiosk(hall))


def test_extra_window_alert_names_staff(ctx, hall, clock):
    # three waiting per open window, whatever the wait (the wait threshold is off)
    set_hall_settings(ctx, hall, alerts={"extra_window_per_window": 3,
                                         "extra_window_wait_minutes": 0})
    for login, name in (("zhao", "赵敏"), ("qian", "钱进"), ("sun", "孙丽")):
        hall["staff"][login] = accounts.add_user(ctx, login=login, name=name).value["id"]
    boss = Actor("staff", hall["staff"]["wang"], hall["id"], "supervisor")
    for counter, post, login, shift in ((1, "A", "li", "am"), (2, "B", "zhao", "am"),
                                        (3, "B", "qian", "am"), (4, "B", "sun", "pm")):
        rota.assign(ctx, boss, counter=counter, day=MON, shift=shift, post=post,
                    staff_id=hall["staff"][login])
    clock.current = at(23, 10, 0)  # Monday morning: the am shift
    li = signed_in_at(ctx, hall, 1, "li")  # window 1 (户籍, 身份证) is open
    signed_in_at(ctx, hall, 4, "qian")  # a B post already at an open window (4: 税务, 身份证)
    take(ctx, hall, 2)
    assert watch.scan(ctx, hall["id"], RULE).value["raised"] == []  # 2 for one window

    take(ctx, hall, 1)  # 3 waiting for 户籍 with one window open for it
    raised = watch.scan(ctx, hall["id"], RULE).value["raised"]
    assert [(a["kind"], a["key"], a["level"]) for a in raised] == [
        ("extra_window", f"extra_window:{hall['services']['hj']}", "warning")]
    p = raised[0]["payload"]
    assert (p["service"], p["department"], p["waiting"], p["open_windows"]) == \
        ("户籍办理", "公安局", 3, 1)
    # the B post of the am shift not at a window: 赵敏 (钱进 is at window 4, 孙丽's is pm)
    assert p["who"] == "b_post"
    assert [(c["name"], c["counter_number"], c["state"]) for c in p["candidates"]] == [
        ("赵敏", 2, "b_post")]
    assert watch.scan(ctx, hall["id"], RULE).value["raised"] == []  # raised once

    calling.call_next(ctx, counter_id=hall["counters"][1], actor=li)  # 2 left: short again
    cleared = watch.scan(ctx, hall["id"], RULE).value["cleared"]
    assert [a["key"] for a in cleared] == [f"extra_window:{hall['services']['hj']}"]

    # Tuesday: nobody on the rota; 钱进 is still signed in at window 4, idle (it serves
    # other lines), 李娜 at window 1 has a visitor called: 钱进 is named
    clock.current = at(24, 10, 0)
    take(ctx, hall, 1)
    raised = watch.scan(ctx, hall["id"], RULE).value["raised"]
    assert [a["payload"]["who"] for a in raised] == ["idle"]
    assert [(c["name"], c["counter_number"], c["state"])
            for c in raised[0]["payload"]["candidates"]] == [("钱进", 4, "open")]

    # 钱进 gone too: nobody could open a window, and the proposal says so
    counters.close(ctx, counter_id=hall["counters"][4],
                   actor=Actor("staff", hall["staff"]["qian"], hall["id"], "staff",
                               hall["counters"][4]))
    proposal, = read(ctx, lambda uow: extra_window.proposals(uow, hall["id"], 3, None))
    assert (proposal["who"], proposal["candidates"]) == ("nobody", [])
