"""Configuring the hall (issue 9) against a real database (SQLite file and PostgreSQL):
departments, services and counters change through the service layer, refusals say why,
every change leaves an audit entry with before/after, and the next ticket or call already
sees it."""
from __future__ import annotations

import pytest

from hall.domain.access import SYSTEM, Actor
from hall.domain.errors import DomainError, Forbidden, NotFound
from hall.services.config import audit
from hall.services.config import structure as config
from hall.services.config.layout.rows import counter_spec, service_row, service_spec
from hall.services.config.layout.seed import load_layout
from hall.services.config.layout.spec import CounterSpec, DepartmentSpec, ServiceSpec
from hall.services.counters import state as counters
from hall.services.queue import calling, catalog, tickets
from tests.conftest import DATA
from tests.integration.conftest import kiosk

IP = "192.0.2.7"


def spec_of(ctx, admin, code: str, **changes) -> ServiceSpec:
    current = {k: v for k, v in config.get_service(ctx, actor=admin, code=code).items()
               if k != "id"}
    return ServiceSpec.model_validate(current | changes)


def counter_of(ctx, admin, number: int) -> CounterSpec:
    row = next(c for c in config.list_counters(ctx, actor=admin) if c["number"] == number)
    return CounterSpec.model_validate({k: v for k, v in row.items() if k not in ("id", "state")})


def config_entries(ctx, hall) -> list[dict]:
    """The configuration's audit entries (accounts made by the fixtures have theirs)."""
    return [e for e in audit.entries(ctx, hall["id"])
            if e["entity"] in ("department", "service", "counter")]


def last_entry(ctx, hall, entity: str) -> dict:
    return audit.entries(ctx, hall["id"], entity=entity, limit=1)[0]


NEW_SERVICE = dict(code="jz", department="gaj", name="居住证办理", name_en="Residence permit",
                   prefix="C", kind="promised", legal_days=15, promised_days=7,
                   expected_visit_minutes=12, time_limit_minutes=25, warning_minutes=20,
                   daily_quota=50, per_person_daily_limit=1, hours=["09:00-12:00"],
                   booking={"slot_minutes": 30, "capacity": 2, "days_ahead": 7},
                   materials=["身份证原件", "居住证明"], basis="《居住证暂行条例》",
                   fee="不收费", steps=["取号", "窗口受理", "领证"], notes="七个工作日内办结")


def test_the_console_reads_back_every_seeded_service_and_counter_as_the_layout_wrote_it(
        ctx, hall):
    admin = Actor("staff", 1, hall["id"], "admin")
    layout = load_layout(DATA / "small_hall.toml")
    services = [{k: v for k, v in s.items() if k != "id"}
                for s in config.list_services(ctx, actor=admin)]
    assert services == [ServiceSpec.model_validate(s).model_dump() for s in layout["services"]]
    listed = [{k: v for k, v in c.items() if k not in ("id", "state")}
              for c in config.list_counters(ctx, actor=admin)]
    expected = [CounterSpec.model_validate(c).model_dump() for c in layout["counters"]]
    assert [c["number"] for c in listed] == [c["number"] for c in expected]
    for got, want in zip(listed, expected, strict=True):  # links are listed in service order
        assert sorted(got.pop("services"), key=str) == sorted(want.pop("services"), key=str)
        assert got == want


def test_a_service_converts_to_its_row_and_back_unchanged():
    spec = ServiceSpec.model_validate(NEW_SERVICE)
    row = service_row(spec, department_id=7) | {"id": 1}
    assert row["time_limit_s"] == 1500 and row["warning_s"] == 1200
    assert row["guide"]["steps"] == ["取号", "窗口受理", "领证"]
    assert service_spec(row, "gaj") == spec
    bare = spec.model_copy(update={"warning_minutes": None, "booking": None, "materials": None})
    assert service_spec(service_row(bare, 7), "gaj") == bare
    links = [("hj", 2), ("sfz", 1)]
    counter = counter_spec({"number": 9, "name": "九号窗口", "led_address": None,
                            "active": True}, links)
    assert [(s.service, s.weight) for s in counter.services] == links


def test_creating_a_service_lists_it_with_its_guide_audits_it_and_tells_the_kiosks(
        ctx, hall, admin):
    result = config.create_service(ctx, actor=admin, spec=ServiceSpec(**NEW_SERVICE), ip=IP)
    created = result.value
    assert created["code"] == "jz" and created["materials"] == ["身份证原件", "居住证明"]
    assert created["booking"] == {"slot_minutes": 30, "capacity": 2, "days_ahead": 7}
    assert [(e.type, e.payload) for e in result.events] == [
        ("config.changed", {"entity": "service", "id": created["id"]})]
    entry = last_entry(ctx, hall, "service")
    assert (entry["action"], entry["entity_id"], entry["ip"]) == ("create", "jz", IP)
    assert entry["before"] is None and entry["after"]["steps"] == ["取号", "窗口受理", "领证"]
    assert entry["actor"] == admin.audit() and entry["actor_name"] == "管理员"
    shown = catalog.catalog(ctx, hall["id"])
    gaj = next(d for d in shown["departments"] if d["code"] == "gaj")
    jz = next(s for s in gaj["services"] if s["code"] == "jz")
    assert jz["guide"]["basis"] == "《居住证暂行条例》" and jz["promised_days"] == 7


def test_an_updated_service_is_used_by_the_very_next_ticket_despite_the_cache(
        ctx, hall, admin):
    first = tickets.issue(ctx, hall_id=hall["id"], service="ss", actor=kiosk(hall)).value
    assert first["number"] == "B001"  # the service row is now cached for the issue path
    spec = spec_of(ctx, admin, "ss", prefix="D", daily_quota=None,
                   materials=["营业执照副本"], steps=["填表", "申报"])
    updated = config.update_service(ctx, actor=admin, code="ss", spec=spec, ip=IP).value
    assert updated["prefix"] == "D" and updated["steps"] == ["填表", "申报"]
    second = tickets.issue(ctx, hall_id=hall["id"], service="ss", actor=kiosk(hall)).value
    assert second["number"] == "D001"
    shown = catalog.catalog(ctx, hall["id"])
    ss = next(s for d in shown["departments"] for s in d["services"] if s["code"] == "ss")
    assert ss["guide"]["materials"] == ["营业执照副本"] and ss["quota"] is None

    entry = last_entry(ctx, hall, "service")
    assert entry["action"] == "update" and entry["entity_id"] == "ss"
    same = {"code": "ss", "name": "税务申报", "kind": "instant"}  # kept to name the entry
    assert entry["before"] == same | {"prefix": "B", "daily_quota": 3, "materials": None,
                                      "steps": None}
    assert entry["after"] == same | {"prefix": "D", "daily_quota": None,
                                     "materials": ["营业执照副本"], "steps": ["填表", "申报"]}


def test_saving_a_service_unchanged_writes_no_audit_entry_and_no_event(ctx, hall, admin):
    result = config.update_service(ctx, actor=admin, code="hj", spec=spec_of(ctx, admin, "hj"))
    assert result.events == [] and audit.entries(ctx, hall["id"], entity="service") == []


def test_a_deactivated_service_refuses_tickets_but_its_waiting_ones_are_still_called(
        ctx, hall, admin, clock):
    waiting = tickets.issue(ctx, hall_id=hall["id"], service="ss", actor=kiosk(hall)).value
    off = config.set_service_active(ctx, actor=admin, code="ss", active=False, ip=IP)
    assert off.value["active"] is False
    entry = last_entry(ctx, hall, "service")
    assert entry["action"] == "deactivate"
    assert (entry["before"]["active"], entry["after"]["active"]) == (True, False)
    with pytest.raises(DomainError) as err:
        tickets.issue(ctx, hall_id=hall["id"], service="ss", actor=kiosk(hall))
    assert err.value.code == "service_closed"
    counters.open_counter(ctx, counter_id=hall["counters"][4], actor=SYSTEM)
    called = calling.call_next(ctx, counter_id=hall["counters"][4], actor=SYSTEM).value
    assert called["number"] == waiting["number"]
    on = config.set_service_active(ctx, actor=admin, code="ss", active=True)
    assert on.value["active"] is True
    assert tickets.issue(ctx, hall_id=hall["id"], service="ss", actor=kiosk(hall)).value


def test_service_refusals_name_the_field_at_fault(ctx, hall, admin):
    with pytest.raises(DomainError) as err:
        config.create_service(ctx, actor=admin, spec=ServiceSpec(**NEW_SERVICE | {"code": "hj"}))
    assert (err.value.code, err.value.field) == ("already_exists", "code")
    with pytest.raises(DomainError) as err:
        config.create_service(ctx, actor=admin,
                              spec=ServiceSpec(**NEW_SERVICE | {"department": "nope"}))
    assert (err.value.code, err.value.field) == ("department_not_found", "department")
    with pytest.raises(DomainError) as err:
        config.update_service(ctx, actor=admin, code="sfz", spec=spec_of(ctx, admin, "hj"))
    assert (err.value.code, err.value.field) == ("key_changed", "code")
    with pytest.raises(NotFound):
        config.get_service(ctx, actor=admin, code="nope")
    assert config_entries(ctx, hall) == []


def test_a_department_is_deleted_only_when_no_service_belongs_to_it(ctx, hall, admin):
    with pytest.raises(DomainError) as err:
        config.delete_department(ctx, actor=admin, code="swj", ip=IP)
    assert err.value.code == "department_in_use" and err.value.params["count"] == 1
    made = config.create_department(ctx, actor=admin, ip=IP,
                                    spec=DepartmentSpec(code="mzj", name="民政局"))
    assert made.value["services"] == 0
    renamed = config.update_department(ctx, actor=admin, code="mzj", ip=IP, spec=DepartmentSpec(
        code="mzj", name="民政局", name_en="Civil Affairs")).value
    assert renamed["name_en"] == "Civil Affairs"
    deleted = config.delete_department(ctx, actor=admin, code="mzj", ip=IP)
    assert deleted.events[0].payload == {"entity": "department", "id": made.value["id"]}
    assert [d["code"] for d in config.list_departments(ctx, actor=admin)] == ["gaj", "swj"]
    history = audit.entries(ctx, hall["id"], entity="department")
    assert [e["action"] for e in history] == ["delete", "update", "create"]
    assert history[0]["before"] == {"code": "mzj", "name": "民政局",
                                    "name_en": "Civil Affairs"}
    assert history[0]["after"] is None
    assert history[1]["before"] == {"code": "mzj", "name": "民政局", "name_en": ""}
    with pytest.raises(DomainError) as err:
        config.create_department(ctx, actor=admin, spec=DepartmentSpec(code="gaj", name="重复"))
    assert err.value.code == "already_exists"


def test_new_counter_weights_decide_the_next_call_at_once(ctx, hall, admin, clock):
    counter_id = hall["counters"][1]  # hj weight 2, sfz weight 1
    counters.open_counter(ctx, counter_id=counter_id, actor=SYSTEM)
    older = tickets.issue(ctx, hall_id=hall["id"], service="sfz", actor=kiosk(hall)).value
    clock.advance(seconds=30)
    tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall))
    clock.advance(seconds=30)
    newer = tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall)).value
    first = calling.call_next(ctx, counter_id=counter_id, actor=SYSTEM).value
    assert first["number"] != older["number"]  # hj outweighs the older sfz ticket
    calling.skip(ctx, counter_id=counter_id, actor=SYSTEM)

    spec = CounterSpec.model_validate(counter_of(ctx, admin, 1).model_dump() | {"services": [
        {"service": "hj", "weight": 1}, {"service": "sfz", "weight": 5}]})
    saved = config.update_counter(ctx, actor=admin, number=1, spec=spec, ip=IP).value
    assert sorted((s["service"], s["weight"]) for s in saved["services"]) == [
        ("hj", 1), ("sfz", 5)]
    second = calling.call_next(ctx, counter_id=counter_id, actor=SYSTEM).value
    assert second["number"] == older["number"] != newer["number"]
    entry = last_entry(ctx, hall, "counter")
    assert entry["entity_id"] == "1" and entry["action"] == "update"
    assert {s["service"]: s["weight"] for s in entry["before"]["services"]} == {"hj": 2, "sfz": 1}
    assert {s["service"]: s["weight"] for s in entry["after"]["services"]} == {"hj": 1, "sfz": 5}


def test_a_counter_with_a_visitor_at_it_cannot_be_deactivated_and_an_idle_one_is_closed(
        ctx, hall, admin):
    counter_id = hall["counters"][2]
    counters.open_counter(ctx, counter_id=counter_id, actor=SYSTEM)
    ticket = tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall)).value
    calling.call_next(ctx, counter_id=counter_id, actor=SYSTEM)
    with pytest.raises(DomainError) as err:
        config.set_counter_active(ctx, actor=admin, number=2, active=False, ip=IP)
    assert err.value.code == "counter_busy" and err.value.params["number"] == ticket["number"]
    assert audit.entries(ctx, hall["id"], entity="counter") == []

    calling.skip(ctx, counter_id=counter_id, actor=SYSTEM)
    off = config.set_counter_active(ctx, actor=admin, number=2, active=False, ip=IP)
    assert off.value["active"] is False and off.value["state"] == "closed"
    # and its lines' figures follow (issue 15 item 1): window 2 served hj and sfz
    assert [e.type for e in off.events] == ["counter.state", "config.changed", "queue.stats",
                                            "queue.stats"]
    entry = last_entry(ctx, hall, "counter")
    assert entry["action"] == "deactivate" and entry["after"]["active"] is False
    back = config.set_counter_active(ctx, actor=admin, number=2, active=True)
    assert back.value["active"] is True and back.value["state"] == "closed"


def test_counter_refusals_name_the_field_at_fault(ctx, hall, admin):
    spec = CounterSpec(number=5, name="五号窗口", led_address=5, services=[
        {"service": "hj", "weight": 1}, {"service": "nope", "weight": 1}])
    with pytest.raises(DomainError) as err:
        config.create_counter(ctx, actor=admin, spec=spec)
    assert (err.value.code, err.value.field) == ("service_not_found", "services.1.service")
    with pytest.raises(DomainError) as err:
        config.create_counter(ctx, actor=admin, spec=spec.model_copy(update={"number": 1}))
    assert (err.value.code, err.value.field) == ("already_exists", "number")
    made = config.create_counter(ctx, actor=admin, ip=IP, spec=CounterSpec(
        number=5, name="五号窗口", services=[{"service": "ss", "weight": 3}])).value
    assert made["state"] == "closed" and made["services"] == [{"service": "ss", "weight": 3}]
    with pytest.raises(NotFound):
        config.update_counter(ctx, actor=admin, number=99, spec=spec)


def test_only_admins_change_or_read_the_configuration(ctx, hall):
    for role in ("staff", "supervisor"):
        who = Actor("staff", 1, hall["id"], role)
        with pytest.raises(Forbidden):
            config.list_services(ctx, actor=who)
        with pytest.raises(Forbidden):
            config.create_department(ctx, actor=who, spec=DepartmentSpec(code="x", name="x"))
    with pytest.raises(Forbidden):
        config.set_counter_active(ctx, actor=kiosk(hall), number=1, active=False)
    assert config_entries(ctx, hall) == []
