"""Rating rules (好差评) on SQLite and PostgreSQL: each refusal with its own code and field,
unrated visits counted once their window closes, and what a rating pad shows."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from hall.domain.access import Actor
from hall.domain.errors import Forbidden
from hall.services.queue import calling, tickets
from hall.services.ratings import rating as ratings
from tests.conftest import refused
from tests.integration.conftest import (
    finished_visit,
    kiosk,
    pad_at,
    set_hall_settings,
    signed_in_at,
)

DAY = date(2026, 11, 23)


def test_a_pad_of_another_window_is_refused_naming_both_windows(ctx, hall):
    t = finished_visit(ctx, hall, 1)
    err = refused("wrong_counter", "ticket", ratings.rate, ctx, ticket_id=t["id"], level=5,
                  actor=pad_at(hall, 2))
    assert isinstance(err, Forbidden)
    assert err.params == {"number": t["number"], "served": 1, "here": 2}
    assert str(err) == f"Ticket {t['number']} was served at window 1, not at window 2"
    # the refusal left the visit open for its own pad
    assert ratings.rate(ctx, ticket_id=t["id"], level=5, actor=pad_at(hall, 1)).value["level"] == 5


def test_staff_cannot_rate_the_visits_they_served(ctx, hall):
    t = finished_visit(ctx, hall, 1)
    for role in ("staff", "supervisor"):
        me = Actor("staff", hall["staff"]["li"], hall["id"], role, hall["counters"][1])
        refused("forbidden", "authorization", ratings.rate, ctx, ticket_id=t["id"], level=5,
                actor=me)


def test_rating_is_accepted_up_to_the_end_of_the_window_and_refused_after(ctx, hall, clock):
    first = finished_visit(ctx, hall, 1)
    clock.advance(minutes=10)  # rating_window_minutes = 10: the last moment still counts
    ratings.rate(ctx, ticket_id=first["id"], level=4, actor=pad_at(hall, 1))
    second = finished_visit(ctx, hall, 1)
    clock.advance(minutes=10, seconds=1)
    err = refused("rating_closed", "ticket", ratings.rate, ctx, ticket_id=second["id"], level=4,
                  actor=pad_at(hall, 1))
    assert err.params == {"number": second["number"], "minutes": 10}


def test_a_visit_is_rated_once(ctx, hall):
    t = finished_visit(ctx, hall, 1)
    ratings.rate(ctx, ticket_id=t["id"], level=3, actor=pad_at(hall, 1))
    refused("already_rated", "ticket", ratings.rate, ctx, ticket_id=t["id"], level=5,
            actor=pad_at(hall, 1))
    with ctx.engine.connect() as conn:
        assert conn.execute(text("SELECT level FROM ratings WHERE ticket_id=:i"),
                            {"i": t["id"]}).scalars().all() == [3]


def test_a_low_rating_needs_a_reason_from_the_halls_list(ctx, hall):
    t = finished_visit(ctx, hall, 1)
    pad = pad_at(hall, 1)
    refused("reason_required", "reason", ratings.rate, ctx, ticket_id=t["id"], level=2, actor=pad)
    refused("reason_required", "reason", ratings.rate, ctx, ticket_id=t["id"], level=1, actor=pad,
            reason="  ")
    refused("invalid_reason", "reason", ratings.rate, ctx, ticket_id=t["id"], level=1, actor=pad,
            reason="看不顺眼")
    refused("comment_required", "comment", ratings.rate, ctx, ticket_id=t["id"], level=2, actor=pad,
            reason="其他")
    done = ratings.rate(ctx, ticket_id=t["id"], level=2, actor=pad, reason="等候时间长",
                        comment="  排了一个小时  ").value
    assert done["reason"] == "等候时间长" and done["followup"] is not None
    with ctx.engine.connect() as conn:
        row = conn.execute(text("SELECT reason, comment FROM ratings WHERE ticket_id=:i"),
                           {"i": t["id"]}).one()
    assert tuple(row) == ("等候时间长", "排了一个小时")


def test_a_five_key_hardware_pad_rates_low_without_a_reason(ctx, hall):
    t = finished_visit(ctx, hall, 1)
    done = ratings.rate(ctx, ticket_id=t["id"], level=1, actor=pad_at(hall, 1), keys_only=True)
    assert done.value["reason"] is None and done.value["followup"] is not None


def test_a_hall_configures_its_own_reasons(ctx, hall):
    set_hall_settings(ctx, hall, rating_reasons=["材料要求反复", "其他"])
    t = finished_visit(ctx, hall, 1)
    refused("invalid_reason", "reason", ratings.rate, ctx, ticket_id=t["id"], level=1,
            actor=pad_at(hall, 1), reason="等候时间长")
    ratings.rate(ctx, ticket_id=t["id"], level=1, actor=pad_at(hall, 1), reason="材料要求反复")


def test_a_visit_not_yet_finished_cannot_be_rated(ctx, hall):
    t = tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall)).value
    staff = signed_in_at(ctx, hall, 1)
    calling.call_next(ctx, counter_id=hall["counters"][1], actor=staff)
    calling.start(ctx, counter_id=hall["counters"][1], actor=staff)
    err = refused("not_finished", "ticket", ratings.rate, ctx, ticket_id=t["id"], level=5,
                  actor=pad_at(hall, 1))
    assert err.params["number"] == t["number"]


def test_a_level_outside_one_to_five_is_refused(ctx, hall):
    t = finished_visit(ctx, hall, 1)
    refused("invalid_level", "level", ratings.rate, ctx, ticket_id=t["id"], level=6,
            actor=pad_at(hall, 1))


def test_a_good_rating_opens_no_follow_up_and_raises_no_alert(ctx, hall):
    t = finished_visit(ctx, hall, 1)
    result = ratings.rate(ctx, ticket_id=t["id"], level=3, actor=pad_at(hall, 1))
    assert result.value["followup"] is None
    assert [e.type for e in result.events] == ["ticket.rated"]
    with ctx.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM follow_ups")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM alerts")).scalar_one() == 0


def test_unrated_visits_count_once_their_window_has_closed(ctx, hall, clock):
    rated = finished_visit(ctx, hall, 1)
    ratings.rate(ctx, ticket_id=rated["id"], level=5, actor=pad_at(hall, 1))
    bad = finished_visit(ctx, hall, 1)
    ratings.rate(ctx, ticket_id=bad["id"], level=1, actor=pad_at(hall, 1), reason="服务态度差")
    lapsed = finished_visit(ctx, hall, 1)
    clock.advance(minutes=11)
    pending = finished_visit(ctx, hall, 2)
    tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall))  # never served

    summary = ratings.rating_summary(ctx, hall["id"], DAY, DAY)
    assert {k: summary[k] for k in ("visits", "rated", "pending", "unrated", "bad")} == {
        "visits": 4, "rated": 2, "pending": 1, "unrated": 1, "bad": 1}
    assert summary["levels"] == {1: 1, 2: 0, 3: 0, 4: 0, 5: 1}
    assert summary["satisfaction_rate"] == 0.5
    assert summary["rating_rate"] == pytest.approx(2 / 3)
    by_counter = {c["counter_id"]: c for c in summary["by_counter"]}
    assert by_counter[hall["counters"][2]]["pending"] == 1
    assert [v["number"] for v in ratings.unrated_visits(ctx, hall["id"], DAY, DAY)] == [
        lapsed["number"]]

    clock.advance(minutes=11)  # the last window closes: pending becomes unrated
    later = ratings.rating_summary(ctx, hall["id"], DAY, DAY)
    assert (later["pending"], later["unrated"]) == (0, 2)
    assert [v["number"] for v in ratings.unrated_visits(ctx, hall["id"], DAY, DAY)] == [
        lapsed["number"], pending["number"]]


def test_rating_status_of_one_visit(clock):
    now = clock.now()
    from datetime import timedelta

    assert ratings.rating_status("rated", now, now, 600) == "rated"
    assert ratings.rating_status("done", now - timedelta(seconds=600), now, 600) == "pending"
    assert ratings.rating_status("done", now - timedelta(seconds=601), now, 600) == "unrated"
    assert ratings.rating_status("serving", None, now, 600) is None


def test_the_pad_shows_its_staff_and_the_visit_awaiting_a_rating(ctx, hall, clock):
    with ctx.engine.begin() as conn:
        conn.execute(text("UPDATE staff SET number='GA-0123' WHERE login='li'"))
    pad = pad_at(hall, 1)
    idle = ratings.pad_state(ctx, pad)
    assert idle["counter"]["number"] == 1 and idle["staff"] is None and idle["pending"] is None
    assert idle["reasons"][:2] == ["等候时间长", "服务态度差"] and idle["window_s"] == 600

    t = finished_visit(ctx, hall, 1)
    clock.advance(minutes=2)
    shown = ratings.pad_state(ctx, pad)
    assert shown["staff"] == {"id": hall["staff"]["li"], "name": "李娜", "number": "GA-0123"}
    assert shown["pending"]["ticket_id"] == t["id"] and shown["pending"]["expires_in_s"] == 480
    assert ratings.pad_state(ctx, pad_at(hall, 2))["pending"] is None  # not another window's

    # once the counter calls the next visitor, the pad no longer offers the old visit
    tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall))
    staff = Actor("staff", hall["staff"]["li"], hall["id"], "staff", hall["counters"][1])
    calling.call_next(ctx, counter_id=hall["counters"][1], actor=staff)
    assert ratings.pad_state(ctx, pad)["pending"] is None


def test_a_rated_or_lapsed_visit_is_not_offered_again(ctx, hall, clock):
    t = finished_visit(ctx, hall, 1)
    ratings.rate(ctx, ticket_id=t["id"], level=5, actor=pad_at(hall, 1))
    assert ratings.pad_state(ctx, pad_at(hall, 1))["pending"] is None
    finished_visit(ctx, hall, 1)
    clock.advance(minutes=10, seconds=1)
    assert ratings.pad_state(ctx, pad_at(hall, 1))["pending"] is None


def test_only_a_pad_reads_the_pad_state(ctx, hall):
    with pytest.raises(Forbidden):
        ratings.pad_state(ctx, Actor("device", 5, hall["id"], "keypad", hall["counters"][1]))
