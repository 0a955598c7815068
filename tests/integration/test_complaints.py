"""投诉建议 on SQLite and PostgreSQL: staff entry from every channel, "not satisfied"
reopens a complaint once, overdue complaints are alerts of the watch (injected clock)."""
from __future__ import annotations

from datetime import UTC, datetime

from hall.domain.access import Actor
from hall.services.complaints import handling, intake
from hall.services.supervision import alerts, watch, watch_rules
from tests.conftest import refused
from tests.integration.conftest import finished_visit, kiosk


def supervisor(hall) -> Actor:
    return Actor("staff", hall["staff"]["wang"], hall["id"], "supervisor", None, "王强")


def reception(hall) -> Actor:
    return Actor("staff", hall["staff"]["li"], hall["id"], "staff", None, "李娜")


def at_local(clock, y, m, d, hour=10):
    clock.current = datetime(y, m, d, hour - 8, 0, tzinfo=UTC)


def overdue_alerts(ctx, hall) -> list[dict]:
    return [a for a in alerts.open_alerts(ctx, hall["id"]) if a["kind"] == "complaint_overdue"]


def test_every_channel_is_recorded_with_its_source(ctx, hall):
    t = finished_visit(ctx, hall, 1)
    intake.from_ticket(ctx, token=t["token"], text="态度不好", category="attitude")
    intake.at_kiosk(ctx, actor=kiosk(hall), text="大厅太冷", category="environment",
                    target=intake.Target(service_id=hall["services"]["hj"]))
    refused("work_order_required", "work_order", intake.by_staff, ctx, actor=reception(hall),
            source="hotline_12345", text="群众来电反映排队久")
    intake.by_staff(ctx, actor=reception(hall), source="hotline_12345", text="排队久",
                    work_order="GD-2026-112301", category="efficiency", anonymous=True,
                    phone="13812345678")
    intake.by_staff(ctx, actor=reception(hall), source="comment_book", text="意见簿：建议增设座椅")
    refused("text_required", "text", intake.at_kiosk, ctx, actor=kiosk(hall), text=" ")
    refused("target_not_found", "counter_id", intake.at_kiosk, ctx, actor=kiosk(hall),
            text="x", target=intake.Target(counter_id=999))
    listed = handling.list_complaints(ctx, actor=supervisor(hall))["complaints"]
    assert [(c["source"], c["category"], c["work_order"]) for c in listed] == [
        ("ticket_page", "attitude", None), ("kiosk", "environment", None),
        ("hotline_12345", "efficiency", "GD-2026-112301"), ("comment_book", "other", None)]
    assert listed[0]["counter_number"] == 1 and listed[0]["staff_name"] == "李娜"
    assert listed[1]["department_name"]  # the service's department, known from the service
    assert listed[2]["anonymous"] is True and listed[2]["phone"] is None  # anonymous: no phone


def test_unsatisfied_complaint_reopens_once(ctx, hall):
    t = finished_visit(ctx, hall, 1)
    filed = intake.from_ticket(ctx, token=t["token"], text="材料清单没有一次性告知",
                               category="efficiency").value
    boss = supervisor(hall)
    refused("complaint_not_replied", "satisfied", handling.answer, ctx, token=filed["token"],
            satisfied=False)
    refused("complaint_not_replied", "reply", handling.close, ctx, actor=boss,
            complaint_id=filed["id"])
    handling.take(ctx, actor=boss, complaint_id=filed["id"])
    handling.reply(ctx, actor=boss, complaint_id=filed["id"], text="已提醒窗口人员")
    refused("complaint_replied", "state", handling.reply, ctx, actor=boss,
            complaint_id=filed["id"], text="再答一次")

    first = handling.answer(ctx, token=filed["token"], satisfied=False, note="没解决问题")
    assert first.value["state"] == "handling" and first.value["reopened"] == 1
    assert first.value["satisfied"] is None and first.value["can_answer"] is False
    again = handling.reply(ctx, actor=boss, complaint_id=filed["id"], upheld=True,
                           text="已补发一次性告知书，并约谈窗口负责人")
    assert again.value["state"] == "replied" and again.value["satisfied"] is None
    mine = handling.for_complainant(ctx, token=filed["token"])
    assert mine["reply"] == "已补发一次性告知书，并约谈窗口负责人" and mine["can_answer"]

    second = handling.answer(ctx, token=filed["token"], satisfied=False)  # not again
    assert second.value["state"] == "replied" and second.value["reopened"] == 1
    assert second.value["satisfied"] is False and second.value["can_answer"] is False
    refused("complaint_answered", "satisfied", handling.answer, ctx, token=filed["token"],
            satisfied=True)
    closed = handling.close(ctx, actor=boss, complaint_id=filed["id"], note="已两次答复")
    assert closed.value["state"] == "closed" and closed.value["upheld"] is True
    assert [h["action"] for h in closed.value["history"]] == [
        "received", "taken", "replied", "reopened", "replied", "not_satisfied", "closed"]
    refused("complaint_closed", "state", handling.reply, ctx, actor=boss,
            complaint_id=filed["id"], text="x")


def test_overdue_complaint_alerts(ctx, hall, clock):
    t = finished_visit(ctx, hall, 1)  # Monday 23 Nov: due Monday 30 Nov (5 working days)
    filed = intake.from_ticket(ctx, token=t["token"], text="窗口人员玩手机",
                               category="discipline").value
    assert filed["due_date"] == "2026-11-30"
    rules = [watch_rules.COMPLAINTS_OVERDUE]
    at_local(clock, 2026, 11, 30, hour=23)  # the due day itself is not late
    watch.scan(ctx, hall["id"], rules)
    assert overdue_alerts(ctx, hall) == []

    at_local(clock, 2026, 12, 1, hour=9)
    raised = watch.scan(ctx, hall["id"], rules)
    (alert,) = overdue_alerts(ctx, hall)
    assert alert["key"] == f"complaint:{filed['id']}" and alert["counter_id"] == \
        hall["counters"][1]
    assert alert["payload"]["complaint_number"] == filed["number"]
    assert alert["payload"]["due_date"] == "2026-11-30"
    assert [e.type for e in raised.events] == ["alert"]
    assert watch.scan(ctx, hall["id"], rules).events == []  # raised once
    late = handling.list_complaints(ctx, actor=supervisor(hall), overdue=True)["complaints"]
    assert [c["id"] for c in late] == [filed["id"]] and late[0]["overdue"] is True

    handling.reply(ctx, actor=supervisor(hall), complaint_id=filed["id"], text="已处理")
    watch.scan(ctx, hall["id"], rules)
    assert overdue_alerts(ctx, hall) == []  # answered: the alert clears
    # a reopened complaint past its due date is overdue again
    handling.answer(ctx, token=filed["token"], satisfied=False)
    watch.scan(ctx, hall["id"], rules)
    assert [a["key"] for a in overdue_alerts(ctx, hall)] == [f"complaint:{filed['id']}"]
    assert watch_rules.COMPLAINTS_OVERDUE in watch_rules.RULES  # the real watch runs it


def test_the_reply_reaches_a_complainants_phone_by_text_message(ctx, hall):
    """A phone given, the reply is told by the hall's SMS provider through the outbox (the
    answer itself on the complainant's page); closing erases the number. A hall that sends
    no text messages writes no message that no adapter would ever send."""
    import json

    from sqlalchemy import text

    from drivers.sms.aliyun import AliyunSmsEmulator
    from hall.services.outbox import sms, worker
    from tests.integration.conftest import set_hall_settings

    boss = supervisor(hall)
    quiet = intake.from_ticket(ctx, token=finished_visit(ctx, hall, 1)["token"], text="太慢",
                               phone="13912345678").value
    handling.reply(ctx, actor=boss, complaint_id=quiet["id"], text="已处理")
    with ctx.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM outbox")).scalar() == 0

    set_hall_settings(ctx, hall, notify={"provider": "aliyun"})
    filed = intake.from_ticket(ctx, token=finished_visit(ctx, hall, 1)["token"],
                               text="窗口人员态度差", phone="138 1234 5678").value
    handling.reply(ctx, actor=boss, complaint_id=filed["id"], text="已批评教育")
    with ctx.engine.connect() as conn:
        (topic, key, payload), = conn.execute(text("SELECT topic, key, payload FROM outbox"))
    payload = json.loads(payload) if isinstance(payload, str) else payload
    assert (topic, key) == ("notify.sms.aliyun", f"complaint:{filed['id']}:reply:1")
    assert payload["kind"] == "complaint_reply" and payload["phone"] == "13812345678"
    assert payload["params"] == {"number": filed["number"]}
    with AliyunSmsEmulator("LTAI-test", "aliyun-secret", "市民中心",
                           {"SMS_1004": "您的投诉建议${number}已答复，请在原页面查看"}) as aliyun:
        adapters = sms.adapters_from_environment({
            "HALL_SMS_ALIYUN_ACCESS_KEY_ID": "LTAI-test",
            "HALL_SMS_ALIYUN_ACCESS_KEY_SECRET": "aliyun-secret",
            "HALL_SMS_ALIYUN_SIGN_NAME": "市民中心", "HALL_SMS_ALIYUN_URL": aliyun.url + "/",
            "HALL_SMS_ALIYUN_TEMPLATE_COMPLAINT_REPLY": "SMS_1004"})
        assert worker.run_once(ctx, adapters) == {"sent": 1, "refused": 0, "retry": 0}
    assert [(m["phone"], m["text"]) for m in aliyun.sent] == [
        ("13812345678", f"您的投诉建议{filed['number']}已答复，请在原页面查看")]

    handling.answer(ctx, token=filed["token"], satisfied=True)
    handling.close(ctx, actor=boss, complaint_id=filed["id"])
    with ctx.engine.connect() as conn:
        (kept,) = conn.execute(text("SELECT payload FROM outbox")).scalars()
        phone = conn.execute(text("SELECT reply_phone FROM complaints WHERE id = :i"),
                             {"i": filed["id"]}).scalar()
    kept = json.loads(kept) if isinstance(kept, str) else kept
    assert phone is None and "phone" not in kept and kept["masked"] == "138****5678"


def test_an_upheld_complaint_grounds_an_admonition(ctx, hall):
    """效能告诫 on a complaint (issue 19 item 2): only one of this hall's, found upheld; the
    complaint then shows the admonition it grounded."""
    from hall.services.supervision import admonitions

    boss = supervisor(hall)
    t = finished_visit(ctx, hall, 1)
    founded = intake.from_ticket(ctx, token=t["token"], text="窗口人员玩手机",
                                 category="discipline").value
    pending = intake.from_ticket(ctx, token=t["token"], text="态度一般").value

    def admonish(number):
        return admonitions.issue(ctx, actor=boss, level="admonition", reason="工作时间玩手机",
                                 staff_id=hall["staff"]["li"], evidence_kind="complaint",
                                 evidence_ref=number)

    refused("complaint_not_found", "evidence_ref", admonish, "TS-20990101-0001")
    refused("complaint_not_upheld", "evidence_ref", admonish, founded["number"])
    handling.reply(ctx, actor=boss, complaint_id=pending["id"], text="经核实不属实",
                   upheld=False)
    refused("complaint_not_upheld", "evidence_ref", admonish, pending["number"])
    handling.reply(ctx, actor=boss, complaint_id=founded["id"], text="已核实", upheld=True)
    assert handling.get_complaint(ctx, actor=boss, complaint_id=founded["id"])[
        "admonished"] == 0
    made = admonish(founded["number"]).value
    assert (made["evidence_kind"], made["evidence_ref"]) == ("complaint", founded["number"])
    assert handling.get_complaint(ctx, actor=boss, complaint_id=founded["id"])[
        "admonished"] == 1
    admonitions.withdraw(ctx, admonition_id=made["id"], actor=boss, reason="重复")
    assert handling.get_complaint(ctx, actor=boss, complaint_id=founded["id"])[
        "admonished"] == 0
