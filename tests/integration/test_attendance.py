"""考勤 (hall/services/staff/attendance.py): derived from sign-ins against the rota — on time,
late, left early, absent, with minutes — and the watch's 缺岗 alert naming the person."""
from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import text

from hall.domain.access import Actor
from hall.services.config import accounts, staff_admin
from hall.services.counters import state as counters
from hall.services.staff import attendance, rota
from hall.services.supervision import watch
from tests.integration.conftest import signed_in_at

MON = date(2026, 11, 23)


def at(hh: int, mm: int) -> datetime:
    """A time of the Monday in Shanghai, as UTC."""
    return datetime(2026, 11, 23, hh - 8, mm, tzinfo=UTC)


def _people(ctx, hall) -> Actor:
    for login, name in (("zhao", "赵敏"), ("qian", "钱进")):
        hall["staff"][login] = accounts.add_user(ctx, login=login, name=name).value["id"]
    boss = Actor("staff", hall["staff"]["wang"], hall["id"], "supervisor")
    for counter, login in ((1, "li"), (2, "zhao"), (3, "qian")):
        rota.assign(ctx, boss, counter=counter, day=MON, shift="am", post="A",
                    staff_id=hall["staff"][login])
    return boss


def test_attendance_late_and_absent_from_sign_ins(ctx, hall, clock, admin):
    _people(ctx, hall)
    staff_admin.change(ctx, admin, hall["staff"]["qian"], department="swj")
    clock.current = at(9, 2)
    signed_in_at(ctx, hall, 1, "li")  # within the 5 minutes' grace: on time
    clock.current = at(9, 20)
    zhao = signed_in_at(ctx, hall, 2, "zhao")  # 20 minutes late
    clock.current = at(11, 30)
    counters.close(ctx, counter_id=hall["counters"][2], actor=zhao)  # 30 minutes early

    # while the shift runs: zhao has gone, qian never came
    clock.current = at(11, 45)
    now = {r["name"]: r for r in attendance.records(ctx, hall["id"], MON)}
    assert now["李娜"]["status"] == "on_time"
    assert (now["赵敏"]["status"], now["赵敏"]["late_minutes"], now["赵敏"]["early_minutes"]) \
        == ("late_and_left_early", 20, 30)
    assert (now["钱进"]["status"], now["钱进"]["absent_minutes"]) == ("absent", 165)

    # the day over: per person per day, each shift with its minutes
    clock.current = at(18, 0)
    day = attendance.records(ctx, hall["id"], MON)
    assert [(r["day"], r["name"], r["status"], r["late_minutes"], r["early_minutes"],
             r["absent_minutes"]) for r in day] == [
        ("2026-11-23", "李娜", "on_time", 0, 0, 0),
        ("2026-11-23", "赵敏", "late_and_left_early", 20, 30, 0),
        ("2026-11-23", "钱进", "absent", 0, 0, 180)]
    li = day[0]["shifts"][0]
    assert (li["shift_name"], li["counter"], li["post"]) == ("上午", 1, "A")
    assert li["first_in"] == at(9, 2).isoformat()

    # a department's table (qian is 税务局's)
    with ctx.engine.connect() as conn:
        swj = conn.execute(text("SELECT id FROM departments WHERE code='swj'")).scalar_one()
    assert [(r["name"], r["department"]) for r in
            attendance.records(ctx, hall["id"], MON, department_id=swj)] == [("钱进", "税务局")]
    # a day with no rota has no records; nobody off the rota is counted
    assert attendance.records(ctx, hall["id"], date(2026, 11, 24)) == []


def _absent_alerts(ctx, hall):
    with ctx.engine.connect() as conn:
        return conn.execute(text(
            "SELECT key, counter_id, payload FROM alerts WHERE hall_id=:h AND cleared_at IS NULL "
            "AND key LIKE 'absent:%'"), {"h": hall["id"]}).all()


def test_absent_window_raises_alert(ctx, hall, clock):
    _people(ctx, hall)
    clock.current = at(9, 1)
    signed_in_at(ctx, hall, 1, "li")
    signed_in_at(ctx, hall, 2, "zhao")
    clock.current = at(9, 4)  # inside the grace period: nothing yet
    watch.scan(ctx, hall["id"])
    assert _absent_alerts(ctx, hall) == []

    clock.current = at(9, 6)
    raised = watch.scan(ctx, hall["id"]).value["raised"]
    assert [a["kind"] for a in raised if a["key"].startswith("absent:")] == ["window_absent"]
    (key, counter_id, payload), = _absent_alerts(ctx, hall)
    payload = payload if isinstance(payload, dict) else __import__("json").loads(payload)
    assert key == f"absent:{hall['counters'][3]}:am" and counter_id == hall["counters"][3]
    assert (payload["staff_name"], payload["counter_number"], payload["shift_name"]) == \
        ("钱进", 3, "上午")

    # qian arrives: the window opens and the alert clears at the next scan
    clock.current = at(9, 30)
    signed_in_at(ctx, hall, 3, "qian")
    watch.scan(ctx, hall["id"])
    assert _absent_alerts(ctx, hall) == []
    # closed again after the shift: nobody is expected, nothing is raised
    counters.close(ctx, counter_id=hall["counters"][3],
                   actor=Actor("staff", hall["staff"]["qian"], hall["id"], "staff",
                               hall["counters"][3]))
    clock.current = at(12, 30)
    watch.scan(ctx, hall["id"])
    assert _absent_alerts(ctx, hall) == []
