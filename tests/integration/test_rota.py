"""排班 (hall/services/staff/rota.py, week.py): posts A and B per window, day and shift, no
person on overlapping shifts, a week copied forward as the next weeks' template, a week
exported and imported on its own, and "my week"."""
from __future__ import annotations

from datetime import date

from hall.domain.access import Actor
from hall.services.config import accounts
from hall.services.staff import rota
from hall.services.staff.week import week_of
from tests.conftest import refused
from tests.integration.conftest import set_hall_settings

MON = date(2026, 11, 23)  # the clock's Monday


def supervisor(hall) -> Actor:
    return Actor("staff", hall["staff"]["wang"], hall["id"], "supervisor")


def staff(hall, login: str) -> Actor:
    return Actor("staff", hall["staff"][login], hall["id"], "staff")


def test_rota_copy_week_forward(ctx, hall):
    hall["staff"]["zhao"] = accounts.add_user(ctx, login="zhao", name="赵敏").value["id"]
    boss, li, zhao = supervisor(hall), hall["staff"]["li"], hall["staff"]["zhao"]
    rota.assign(ctx, boss, counter=1, day=MON, shift="am", post="A", staff_id=li)
    rota.assign(ctx, boss, counter=1, day=MON, shift="am", post="B", staff_id=zhao)
    rota.assign(ctx, boss, counter=2, day=MON, shift="pm", post="A", staff_id=li)
    tuesday = date(2026, 11, 24)
    rota.assign(ctx, boss, counter=1, day=tuesday, shift="am", post="A", staff_id=li)

    # nobody on two posts whose shifts overlap; unknown shifts and posts are refused
    refused("rota_overlap", "staff_id", rota.assign, ctx, boss, counter=2, day=MON,
            shift="am", post="A", staff_id=li)
    refused("invalid_shift", "shift", rota.assign, ctx, boss, counter=2, day=MON,
            shift="night", post="A", staff_id=zhao)
    refused("invalid_post", "post", rota.assign, ctx, boss, counter=2, day=MON, shift="pm",
            post="C", staff_id=zhao)
    refused("counter_not_found", "counter", rota.assign, ctx, boss, counter=99, day=MON,
            shift="pm", post="A", staff_id=zhao)
    # staff read the rota; only supervisors change it
    refused("forbidden", "authorization", rota.assign, ctx, staff(hall, "li"), counter=2,
            day=MON, shift="pm", post="B", staff_id=zhao)

    # the week is the template of the next two; 1 December is closed (a local holiday)
    set_hall_settings(ctx, hall, holidays=["2026-12-01"])
    copied = rota.copy_week(ctx, boss, source=MON, target=date(2026, 11, 30), weeks=2).value
    assert copied["posts"] == 4 + 3  # the Tuesday post skips the holiday
    for monday in (date(2026, 11, 30), date(2026, 12, 7)):
        week = week_of(ctx, boss, monday)
        assert [(p["day"], p["counter"], p["shift"], p["post"], p["login"])
                for p in week["posts"] if p["day"] == monday.isoformat()] == [
            (monday.isoformat(), 1, "am", "A", "li"), (monday.isoformat(), 1, "am", "B", "zhao"),
            (monday.isoformat(), 2, "pm", "A", "li")]
    assert not [p for p in week_of(ctx, boss, date(2026, 11, 30))["posts"]
                if p["day"] == "2026-12-01"]
    assert [p["day"] for p in week_of(ctx, boss, date(2026, 12, 7))["posts"]
            if p["shift"] == "am" and p["post"] == "A"] == ["2026-12-07", "2026-12-08"]
    refused("invalid_week", "target", rota.copy_week, ctx, boss, source=MON, target=MON)

    # copying again replaces the target week, it never doubles it
    rota.copy_week(ctx, boss, source=MON, target=date(2026, 11, 30))
    assert len(week_of(ctx, boss, date(2026, 11, 30))["posts"]) == 3

    # "my week": li's own posts only
    mine = week_of(ctx, staff(hall, "li"), MON, mine=True)
    assert {(p["day"], p["counter"], p["shift"]) for p in mine["posts"]} == {
        ("2026-11-23", 1, "am"), ("2026-11-23", 2, "pm"), ("2026-11-24", 1, "am")}
    assert [s["name"] for s in mine["shifts"]] == ["上午", "下午"]
    refused("forbidden", "authorization", week_of, ctx, staff(hall, "li"), MON)

    # a week exported as rows and imported into another week, on its own
    rows = rota.export_week(ctx, boss, MON)
    assert rows[0] == {"counter": 1, "day": "2026-11-23", "shift": "am", "post": "A",
                       "login": "li"}
    later = [dict(r, day=r["day"].replace("2026-11-2", "2026-12-2")) for r in rows]
    assert rota.import_posts(ctx, boss, later).value == {"posts": 4}
    assert len(week_of(ctx, boss, date(2026, 12, 21))["posts"]) == 4
    bad = [dict(rows[0], day="2027-01-04"), dict(rows[0], day="2027-01-04", counter=2)]
    refused("rota_overlap", "staff_id", rota.import_posts, ctx, boss, bad)
    assert week_of(ctx, boss, date(2027, 1, 4))["posts"] == []  # all or nothing


def test_rota_travels_with_the_layout(ctx, hall):
    """The layout file (hall seed, the console's export and import) carries the rota from
    this week on; importing it replaces the weeks it names and leaves the others alone."""
    from hall.domain.access import SYSTEM
    from hall.services.config.layout import exchange as layout
    from hall.services.config.layout.spec import LayoutSpec

    boss, li, wang = supervisor(hall), hall["staff"]["li"], hall["staff"]["wang"]
    last_week, next_week = date(2026, 11, 16), date(2026, 11, 30)
    rota.assign(ctx, boss, counter=1, day=last_week, shift="am", post="A", staff_id=li)
    rota.assign(ctx, boss, counter=1, day=MON, shift="am", post="A", staff_id=li)
    rota.assign(ctx, boss, counter=1, day=MON, shift="am", post="B", staff_id=wang)
    rota.assign(ctx, boss, counter=2, day=next_week, shift="pm", post="A", staff_id=li)

    exported = layout.export_layout(ctx, hall["id"])
    posts = [(p.counter, p.day, p.shift, p.post, p.login) for p in exported.rota]
    assert posts == [(1, MON, "am", "A", "li"), (1, MON, "am", "B", "wang"),
                     (2, next_week, "pm", "A", "li")]  # this week on: last week is history
    text = layout.dump_toml(exported)
    assert "[[rota]]" in text and layout.parse_toml(text) == exported

    # a file whose rota names next week only: next week is replaced, this week is kept
    data = exported.model_dump()
    data["rota"] = [{"counter": 3, "day": next_week, "shift": "am", "post": "A",
                     "login": "wang"}]
    changed = LayoutSpec.model_validate(data)
    preview = layout.import_layout(ctx, SYSTEM, changed, dry_run=True).value["changes"]["rota"]
    assert (preview["added"], preview["deactivated"]) == (
        ["2026-11-30 am 3 A"], ["2026-11-30 pm 2 A"])
    layout.import_layout(ctx, SYSTEM, changed)
    assert [(p["counter"], p["shift"], p["login"])
            for p in week_of(ctx, boss, next_week)["posts"]] == [(3, "am", "wang")]
    assert len(week_of(ctx, boss, MON)["posts"]) == 2
    assert len(week_of(ctx, boss, last_week)["posts"]) == 1

    # a rota entry the layout cannot hold is refused, naming it
    held = dict(data["rota"][0], counter=1, login="li")  # window 1's morning A: 李娜
    for bad, words in (({"login": "nobody"}, "unknown login"),
                       ({"counter": 99}, "unknown counter"),
                       ({"shift": "night"}, "unknown shift"),
                       ({"login": "li"}, "overlapping"),  # 李娜 at windows 1 and 3 at once
                       ({"counter": 1}, "twice")):  # window 1's morning A again
        problem = None
        try:
            LayoutSpec.model_validate(dict(data, rota=[held, dict(data["rota"][0], **bad)]))
        except ValueError as exc:
            problem = str(exc)
        assert problem is not None and "rota" in problem and words in problem, (bad, problem)
