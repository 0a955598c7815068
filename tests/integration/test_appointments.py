"""Appointments, check-in, the per-person limit and the green channel through the real service
layer on SQLite and PostgreSQL. The clock stands at Monday 2026-11-23 10:00 in Shanghai; the
small hall's "hj" takes appointments: 30-minute slots, 2 places, 14 days ahead."""
from __future__ import annotations

import json
import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text, update

from hall.domain.access import SYSTEM, Actor
from hall.domain.errors import DomainError
from hall.domain.personal import id_check_char
from hall.services.queue import appointments, booking_catalog, tickets
from hall.store.models import Appointment, Hall, PersonDay, Service, SlotBooking, Ticket
from tests.conftest import refused
from tests.integration.conftest import kiosk

SH = ZoneInfo("Asia/Shanghai")
PHONE = "13812341234"
ID_A = "11010519491231002X"
ID_B = "44030419900307001" + id_check_char("44030419900307001")  # another person


def at(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 11, day, hh, mm, tzinfo=SH)


def book(ctx, start=None, phone=PHONE, service="hj", **kw) -> dict:
    return appointments.book(ctx, service=service, start=start or at(23, 11), phone=phone,
                             **kw).value


def set_service(ctx, code: str, **values) -> None:
    with ctx.engine.begin() as conn:
        conn.execute(update(Service).where(Service.code == code).values(**values))
    ctx.cache.clear()


# --------------------------------------------------------------------------- slots

def test_slots_list_working_days_and_the_places_left(ctx, hall):
    cat = booking_catalog.catalog(ctx)
    (dept,) = cat["departments"]
    (svc,) = dept["services"]
    assert svc["code"] == "hj" and svc["capacity"] == 2 and not svc["needs_id_number"]
    assert "2026-11-28" not in svc["days"] and "2026-11-29" not in svc["days"]  # weekend
    assert svc["days"][0] == "2026-11-23" and len(svc["days"]) == 11
    book(ctx, at(23, 11))
    today = booking_catalog.slots(ctx, service="hj", day=date(2026, 11, 23))
    starts = {s["start"][11:16]: s["remaining"] for s in today["slots"]}
    assert "10:00" not in starts and "09:30" not in starts  # begun or past
    assert starts["10:30"] == 2 and starts["11:00"] == 1


def test_slots_on_a_weekend_or_a_hall_holiday_are_refused(ctx, hall):
    refused("not_a_working_day", "day", booking_catalog.slots, ctx, service="hj",
            day=date(2026, 11, 28))
    refused("not_a_working_day", "start", book, ctx, at(28, 9))
    with ctx.engine.begin() as conn:  # the hall closes on Wednesday (a local closure)
        settings = conn.execute(select(Hall.settings)).scalar_one()
        conn.execute(update(Hall).values(settings={**settings, "holidays": ["2026-11-25"]}))
    ctx.cache.clear()
    refused("not_a_working_day", "day", booking_catalog.slots, ctx, service="hj",
            day=date(2026, 11, 25))
    refused("not_a_working_day", "start", book, ctx, at(25, 9))
    assert "2026-11-25" not in booking_catalog.catalog(ctx)["departments"][0]["services"][0][
        "days"]


def test_past_slots_far_days_and_services_without_booking_are_refused(ctx, hall):
    refused("slot_in_past", "start", book, ctx, at(23, 9, 30))
    refused("not_a_slot", "start", book, ctx, at(23, 11, 10))
    refused("beyond_booking_window", "start", book, ctx, at(23, 9) + timedelta(days=21))
    refused("no_appointments", "service", book, ctx, at(24, 9), service="sfz")
    refused("invalid_phone", "phone", book, ctx, at(24, 9), phone="12345")


# --------------------------------------------------------------------------- booking

def test_booking_returns_a_code_and_keeps_the_phone_only_masked_and_hashed(ctx, hall):
    result = appointments.book(ctx, service="hj", start=at(24, 9), phone="138 1234 1234",
                               id_number=ID_A)
    appt = result.value
    assert len(appt["code"]) == 8 and set(appt["code"]) <= set(appointments.ALPHABET)
    assert appt["phone"] == "138****1234" and appt["state"] == "booked"
    assert appt["start"] == "2026-11-24T09:00:00+08:00"
    assert appt["check_in"] == {"from": "2026-11-24T08:30:00+08:00",
                                "until": "2026-11-24T09:15:00+08:00"}
    with ctx.engine.connect() as conn:
        row = conn.execute(select(Appointment.__table__)).one()
        dump = json.dumps([str(v) for v in row]) + json.dumps(
            [e.payload for e in conn.execute(text("SELECT payload FROM events"))], default=str)
    assert PHONE not in dump and "12341234" not in dump and ID_A not in dump
    assert row.phone_hash and len(row.phone_hash) == 64 and len(row.person_hash) == 64
    (event,) = result.events
    assert event.type == "appointment.booked" and "code" not in event.payload
    assert event.payload["remaining"] == 1 and event.payload["service_id"] == hall[
        "services"]["hj"]
    assert appointments.by_code(ctx, appt["code"].lower())["phone"] == "138****1234"


def test_a_phone_holds_one_booking_per_service_and_day(ctx, hall):
    book(ctx, at(24, 9))
    refused("already_booked", "phone", book, ctx, at(24, 14))
    book(ctx, at(25, 9))  # another day is fine
    book(ctx, at(24, 9), phone="13900000000")  # and another phone


def test_a_full_slot_is_refused(ctx, hall):
    book(ctx, at(24, 9), phone="13900000001")
    book(ctx, at(24, 9), phone="13900000002")
    refused("slot_full", "start", book, ctx, at(24, 9), phone="13900000003")


@pytest.mark.slow
def test_capacity_is_never_exceeded_under_concurrent_booking(ctx, hall):
    set_service(ctx, "hj", booking={"slot_minutes": 30, "capacity": 3, "days_ahead": 14})
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    go = threading.Barrier(12)

    def visitor(i: int) -> None:
        go.wait()
        try:
            book(ctx, at(24, 10), phone=f"1390000{i:04d}")
            got = "booked"
        except DomainError as exc:
            got = exc.code
        except BaseException as exc:  # surfaced below
            errors.append(exc)
            return
        with lock:
            outcomes.append(got)

    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(12)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert not errors, errors
    assert sorted(outcomes) == ["booked"] * 3 + ["slot_full"] * 9
    with ctx.engine.connect() as conn:
        assert conn.execute(select(SlotBooking.booked)).scalar_one() == 3
        assert conn.execute(text("SELECT count(*) FROM appointments WHERE state='booked'")
                            ).scalar_one() == 3


def test_cancelling_frees_the_place_and_needs_the_phone(ctx, hall):
    first = book(ctx, at(24, 9), phone="13900000001")
    book(ctx, at(24, 9), phone="13900000002")
    refused("appointment_not_found", "phone", appointments.cancel, ctx, code=first["code"],
            phone="13900000009")
    refused("phone_required", "phone", appointments.cancel, ctx, code=first["code"])
    done = appointments.cancel(ctx, code=first["code"], phone="139-0000-0001")
    assert done.value["state"] == "cancelled"
    assert [e.type for e in done.events] == ["appointment.cancelled"]
    assert "13900000001" not in json.dumps(done.events[0].payload)
    book(ctx, at(24, 9), phone="13900000003")  # the place is free again
    refused("appointment_used", "code", appointments.cancel, ctx, code=first["code"],
            phone="13900000001")
    staff = Actor("staff", hall["staff"]["li"], hall["id"], "staff")
    third = book(ctx, at(25, 9), phone="13900000004")
    assert appointments.cancel(ctx, code=third["code"], actor=staff).value["state"] == \
        "cancelled"


# --------------------------------------------------------------------------- check-in

def test_check_in_on_time_gives_an_appointment_ticket(ctx, hall, clock):
    appt = book(ctx, at(23, 11))
    clock.advance(minutes=40)  # 10:40, 20 minutes early: inside the 30-minute window
    t = appointments.check_in(ctx, hall_id=hall["id"], actor=kiosk(hall),
                              code=appt["code"]).value
    assert t["kind"] == "appointment" and t["number"] == "A001" and t["token"]
    assert t["appointment"]["late"] is False and t["appointment"]["code"] == appt["code"]
    with ctx.engine.connect() as conn:
        row = conn.execute(select(Ticket.appointment_at, Ticket.issued_by)).one()
    assert row.appointment_at == at(23, 11)
    shown = appointments.by_code(ctx, appt["code"])
    assert shown["state"] == "checked_in" and shown["ticket"]["number"] == "A001"
    refused("appointment_used", "code", appointments.check_in, ctx, hall_id=hall["id"],
            actor=kiosk(hall), code=appt["code"])


def test_a_late_check_in_becomes_a_normal_ticket(ctx, hall, clock):
    appt = book(ctx, at(23, 10, 30))
    clock.advance(minutes=50)  # 10:50: 20 minutes after the slot began (late window 15)
    t = appointments.check_in(ctx, hall_id=hall["id"], actor=kiosk(hall),
                              code=appt["code"]).value
    assert t["kind"] == "normal" and t["appointment"]["late"] is True
    assert appointments.by_code(ctx, appt["code"])["state"] == "checked_in"


def test_a_too_early_check_in_is_refused(ctx, hall):
    appt = book(ctx, at(23, 11))  # 10:00 now; the window opens at 10:30
    err = refused("appointment_too_early", "code", appointments.check_in, ctx,
                  hall_id=hall["id"], actor=kiosk(hall), code=appt["code"])
    assert err.params == {"minutes": 30}
    tomorrow = book(ctx, at(24, 9))
    refused("appointment_too_early", "appointment_code", tickets.issue, ctx, hall_id=hall["id"],
            service="hj", actor=kiosk(hall), kind="appointment",
            appointment_code=tomorrow["code"])


def test_an_unknown_code_is_refused_naming_the_field(ctx, hall):
    refused("appointment_not_found", "code", appointments.check_in, ctx, hall_id=hall["id"],
            actor=kiosk(hall), code="ZZZZ9999")
    refused("appointment_not_found", "appointment_code", tickets.issue, ctx,
            hall_id=hall["id"], service="hj", actor=kiosk(hall), appointment_code="ZZZZ9999")
    refused("code_required", "code", appointments.check_in, ctx, hall_id=hall["id"],
            actor=kiosk(hall))


def test_check_in_by_phone_takes_todays_earliest_due_appointment(ctx, hall, clock):
    set_service(ctx, "sfz", booking={"slot_minutes": 30, "capacity": 2, "days_ahead": 3})
    later = book(ctx, at(23, 11, 30), service="sfz")
    first = book(ctx, at(23, 11))
    book(ctx, at(24, 9))  # tomorrow's is never taken today
    refused("appointment_too_early", "phone", appointments.check_in, ctx, hall_id=hall["id"],
            actor=kiosk(hall), phone=PHONE)
    clock.advance(minutes=45)  # 10:45: both on time; 11:00 is due first
    t = appointments.check_in(ctx, hall_id=hall["id"], actor=kiosk(hall),
                              phone="138 1234 1234").value
    assert t["appointment"]["code"] == first["code"] and t["service"]["code"] == "hj"
    clock.advance(minutes=20)  # 11:05: the 11:30 one is on time now
    t2 = appointments.check_in(ctx, hall_id=hall["id"], actor=kiosk(hall), phone=PHONE).value
    assert t2["appointment"]["code"] == later["code"] and t2["kind"] == "appointment"
    refused("appointment_not_found", "phone", appointments.check_in, ctx, hall_id=hall["id"],
            actor=kiosk(hall), phone="13900000000")


# --------------------------------------------------------------------------- per-person limit

def test_a_second_ticket_beyond_the_personal_limit_is_refused(ctx, hall):
    set_service(ctx, "sfz", per_person_limit=1)
    issue = tickets.issue
    t = issue(ctx, hall_id=hall["id"], service="sfz", actor=kiosk(hall), id_number=ID_A).value
    refused("person_limit_reached", "id_number", issue, ctx, hall_id=hall["id"],
            service="sfz", actor=kiosk(hall), id_number=ID_A.lower())
    issue(ctx, hall_id=hall["id"], service="sfz", actor=kiosk(hall), id_number=ID_B)
    issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall), id_number=ID_A)  # no limit
    with ctx.engine.connect() as conn:
        stored = conn.execute(select(Ticket.person_hash).where(Ticket.id == t["id"])
                              ).scalar_one()
        days = conn.execute(select(PersonDay.__table__)).all()
        dump = json.dumps([list(map(str, r)) for r in conn.execute(
            text("SELECT * FROM tickets"))]) + json.dumps(
            [list(map(str, r)) for r in conn.execute(text("SELECT * FROM events"))])
    assert stored == tickets.person_hash(ctx.secret, ID_A) and ID_A not in dump
    assert sorted(d.issued for d in days) == [1, 1]  # one per person; hj has no limit


def test_a_limited_service_needs_the_id_number_and_checks_its_digit(ctx, hall):
    set_service(ctx, "sfz", per_person_limit=2)
    refused("id_number_required", "id_number", tickets.issue, ctx, hall_id=hall["id"],
            service="sfz", actor=kiosk(hall))
    refused("invalid_id_number", "id_number", tickets.issue, ctx, hall_id=hall["id"],
            service="hj", actor=kiosk(hall), id_number="110105194912310021")


def test_the_limit_counts_in_the_halls_local_day(ctx, hall, clock):
    set_service(ctx, "sfz", per_person_limit=1)
    tickets.issue(ctx, hall_id=hall["id"], service="sfz", actor=kiosk(hall), id_number=ID_A)
    clock.current = at(24, 0, 5)  # just after local midnight: a new day
    tickets.issue(ctx, hall_id=hall["id"], service="sfz", actor=kiosk(hall), id_number=ID_A)


def test_an_appointment_check_in_counts_against_the_personal_limit(ctx, hall, clock):
    set_service(ctx, "hj", per_person_limit=1)
    appt = book(ctx, at(23, 10, 30), id_number=ID_A)
    tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall), id_number=ID_A)
    refused("person_limit_reached", "id_number", appointments.check_in, ctx,
            hall_id=hall["id"], actor=kiosk(hall), code=appt["code"])
    assert appointments.by_code(ctx, appt["code"])["state"] == "booked"  # nothing half-done


# --------------------------------------------------------------------------- green channel

def test_a_priority_ticket_needs_a_reason_from_the_halls_list(ctx, hall):
    staff = Actor("staff", hall["staff"]["li"], hall["id"], "staff")
    refused("reason_required", "priority_reason", tickets.issue, ctx, hall_id=hall["id"],
            service="hj", actor=staff, kind="priority")
    refused("invalid_reason", "priority_reason", tickets.issue, ctx, hall_id=hall["id"],
            service="hj", actor=staff, kind="priority", priority_reason="关系户")
    t = tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=staff, kind="priority",
                      priority_reason="孕妇").value
    assert t["kind"] == "priority" and t["priority_reason"] == "孕妇"
    with ctx.engine.connect() as conn:
        assert conn.execute(select(Ticket.issued_by)).scalar_one() == \
            f"staff:staff:{hall['staff']['li']}"


def test_a_hall_without_reasons_issues_no_priority_ticket(ctx, hall):
    with ctx.engine.begin() as conn:
        conn.execute(update(Hall).values(settings={}))
    ctx.cache.clear()
    refused("invalid_reason", "priority_reason", tickets.issue, ctx, hall_id=hall["id"],
            service="hj", actor=SYSTEM, kind="priority", priority_reason="老年人")


# --------------------------------------------------------------------------- layout

def test_a_layout_with_bad_booking_settings_is_refused_naming_the_service():
    from hall.services.config.layout.seed import load_layout, validate_layout
    from tests.conftest import DATA

    layout = load_layout(DATA / "small_hall.toml")
    assert layout["services"][0]["booking"]["capacity"] == 2
    layout["services"][0]["booking"] = {"slot_minutes": 30, "capacity": 0, "days_ahead": 7}
    with pytest.raises(ValueError, match=r"services\.hj: booking\.capacity"):
        validate_layout(layout)
    layout["services"][0]["booking"] = {}
    layout["services"][1]["per_person_daily_limit"] = 0
    with pytest.raises(ValueError, match=r"services\.sfz: per_person_daily_limit"):
        validate_layout(layout)


def test_book_phone_for_near_turn_kept_until_the_visit_starts(ctx, hall, clock):
    from hall.services.queue import calling
    from hall.store.models import NotifySubscription
    from tests.integration.conftest import set_hall_settings, signed_in_at

    set_hall_settings(ctx, hall, notify={"provider": "aliyun", "ahead": 3, "keep_days": 7})
    plain = book(ctx, at(23, 11), phone="13900001111")  # no notify: the number is not kept
    appt = book(ctx, at(23, 11), notify=True)
    with ctx.engine.connect() as conn:
        kept = dict(conn.execute(select(Appointment.code, Appointment.notify_phone)).all())
    assert kept == {plain["code"]: None, appt["code"]: PHONE}
    assert PHONE not in str(appt)  # the visitor's answer shows it masked only
    clock.advance(minutes=40)
    t = appointments.check_in(ctx, hall_id=hall["id"], actor=kiosk(hall),
                              code=appt["code"]).value
    assert t["notify"]["masked"] == "138****1234"
    with ctx.engine.connect() as conn:
        assert conn.execute(select(Appointment.notify_phone).where(
            Appointment.code == appt["code"])).scalar() is None
        assert conn.execute(select(NotifySubscription.address)).scalar() == PHONE
    staff = signed_in_at(ctx, hall, 1)
    calling.call_next(ctx, counter_id=hall["counters"][1], actor=staff)
    calling.start(ctx, counter_id=hall["counters"][1], actor=staff)
    with ctx.engine.connect() as conn:  # at the window: the number is erased
        assert conn.execute(select(NotifySubscription.address)).scalar() is None


def test_book_phone_of_a_missed_booking_is_erased_after_its_slot(ctx, hall, clock):
    from hall.services.queue import notify

    appt = book(ctx, at(23, 11), notify=True)
    notify.erase_expired(ctx)  # the slot is still ahead: kept for the check-in
    with ctx.engine.connect() as conn:
        assert conn.execute(select(Appointment.notify_phone)).scalar() == PHONE
    clock.advance(hours=3)  # nobody came: past the slot's end
    notify.erase_expired(ctx)
    with ctx.engine.connect() as conn:
        assert conn.execute(select(Appointment.notify_phone)).scalar() is None
    assert appointments.by_code(ctx, appt["code"])["state"] == "booked"
