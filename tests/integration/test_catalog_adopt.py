"""Configuration down (issue 23 item 3), the hall's side without the broker: versions of the
region's catalog and scheme arrive as the downlink stores them, and the hall adopts each
by a three-way merge — a field only the region changed is taken, a field the hall changed
too is a conflict for the admin, never overwritten silently."""
from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from hall.domain.access import SYSTEM
from hall.services.config import audit
from hall.services.config import structure as config
from hall.services.config.layout.spec import ServiceSpec
from hall.services.context import read, run
from hall.services.region import adopt, adoption_view, catalog_file, received
from hall.services.supervision import assessment
from hall.store.models import CounterService, Service
from tests.conftest import DATA, refused
from tests.integration.conftest import set_hall_settings

CATALOG = catalog_file.read("catalog", DATA / "region_catalog.toml")
# the merge's rules are the same whatever the database: the services' and the scheme's
# writes are tested on both
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def arrive(ctx, kind: str, version: int, body: dict) -> bool:
    """Version ``version`` of the region's ``kind`` reaches the hall, as the downlink
    stores it."""
    message = {"kind": kind, "version": version, "published_at": "2026-11-23T01:00:00+00:00",
               "body": body}
    return run(ctx, lambda uow: received.receive(uow, message)).value


def changed(body: dict, code: str, **values) -> dict:
    out = copy.deepcopy(body)
    next(e for e in out["services"] if e["code"] == code).update(values)
    return out


def edit_locally(ctx, admin, code: str, **values) -> None:
    """The hall's admin edits a service on the configuration page."""
    now = config.get_service(ctx, actor=admin, code=code)
    spec = ServiceSpec.model_validate({**{k: v for k, v in now.items() if k != "id"}, **values})
    config.update_service(ctx, actor=admin, code=code, spec=spec)


def service(ctx, admin, code: str) -> dict:
    return config.get_service(ctx, actor=admin, code=code)


def open_conflicts(ctx, admin, kind: str = "catalog") -> list[dict]:
    return adoption_view.status(ctx, actor=admin)[kind]["conflicts"]


def test_local_change_is_not_overwritten(ctx, hall, admin):
    arrive(ctx, "catalog", 1, CATALOG)
    first = adopt.adopt(ctx, actor=admin, hall_id=hall["id"], kind="catalog").value
    assert (first["updated"], first["conflicts"], first["new_services"]) == ([], 0, ["gs"])
    edit_locally(ctx, admin, "hj", promised_days=3)  # the hall promises faster
    before = service(ctx, admin, "hj")
    # the region changes the same field, and the fee, which the hall never touched
    arrive(ctx, "catalog", 2, changed(CATALOG, "hj", promised_days=4, fee="免费"))
    preview = adoption_view.status(ctx, actor=admin)["catalog"]["pending"]
    assert preview["version"] == 2
    assert preview["updates"] == [{"entity": "hj", "field": "fee", "region": "免费",
                                   "local": "不收费"}]
    assert preview["conflicts"] == [{"entity": "hj", "field": "promised_days", "region": 4,
                                     "local": 3}]
    second = adopt.adopt(ctx, actor=admin, hall_id=hall["id"], kind="catalog").value
    assert second["updated"] == [{"entity": "hj", "field": "fee"}]
    after = service(ctx, admin, "hj")
    assert after["promised_days"] == 3  # the hall keeps its value…
    assert after["fee"] == "免费"  # … and takes the one only the region changed
    # nothing the hall keeps for itself moved: prefix, limits, quota, booking, windows
    same = ("prefix", "expected_visit_minutes", "time_limit_minutes", "daily_quota", "hours",
            "booking", "active", "department")
    assert {k: after[k] for k in same} == {k: before[k] for k in same}
    [conflict] = open_conflicts(ctx, admin)
    assert (conflict["entity"], conflict["field"], conflict["region"], conflict["local"]) == \
        ("hj", "promised_days", 4, 3)
    # the admin chooses the region's value: it is applied, and the conflict is closed
    adopt.decide(ctx, actor=admin, conflict_id=conflict["id"], choice="region")
    assert service(ctx, admin, "hj")["promised_days"] == 4
    assert open_conflicts(ctx, admin) == []
    refused("conflict_decided", "conflict_id", adopt.decide, ctx, actor=admin,
            conflict_id=conflict["id"], choice="local")
    actions = [(e["action"], e["entity"]) for e in audit.entries(ctx, hall["id"])]
    assert ("adopt", "region_catalog") in actions and ("decide", "region_conflict") in actions
    assert actions.count(("adopt", "service")) == 1  # the fee, written by the merge
    assert ("choose_region", "service") in actions


@SQLITE_ONLY
def test_kept_local_value_is_asked_again_only_when_the_region_changes_it(ctx, hall, admin):
    arrive(ctx, "catalog", 1, CATALOG)
    adopt.adopt(ctx, actor=admin, hall_id=hall["id"], kind="catalog")
    edit_locally(ctx, admin, "hj", name="户口办理")
    arrive(ctx, "catalog", 2, changed(CATALOG, "hj", name="户籍登记"))
    adopt.adopt(ctx, actor=admin, hall_id=hall["id"], kind="catalog")
    [conflict] = open_conflicts(ctx, admin)
    adopt.decide(ctx, actor=admin, conflict_id=conflict["id"], choice="local")
    assert service(ctx, admin, "hj")["name"] == "户口办理"
    # the region publishes again without touching the name: nothing to ask
    arrive(ctx, "catalog", 3, changed(CATALOG, "hj", name="户籍登记", steps=["取号", "办结"]))
    third = adopt.adopt(ctx, actor=admin, hall_id=hall["id"], kind="catalog").value
    assert third["conflicts"] == 0 and service(ctx, admin, "hj")["name"] == "户口办理"
    assert service(ctx, admin, "hj")["steps"] == ["取号", "办结"]
    # it changes the name again: asked again
    arrive(ctx, "catalog", 4, changed(CATALOG, "hj", name="户籍业务", steps=["取号", "办结"]))
    adopt.adopt(ctx, actor=admin, hall_id=hall["id"], kind="catalog")
    assert [(c["region"], c["local"]) for c in open_conflicts(ctx, admin)] == \
        [("户籍业务", "户口办理")]
    refused("nothing_to_adopt", "kind", adopt.adopt, ctx, actor=admin, hall_id=hall["id"],
            kind="catalog")


@SQLITE_ONLY
def test_first_adoption_asks_about_every_difference(ctx, hall, admin):
    """With no version adopted before, nothing tells who changed a differing field: each is
    a conflict, none is overwritten."""
    arrive(ctx, "catalog", 1, changed(CATALOG, "hj", legal_days=15, basis="《户口登记条例》"))
    done = adopt.adopt(ctx, actor=admin, hall_id=hall["id"], kind="catalog").value
    assert done["updated"] == [] and done["conflicts"] == 2
    assert service(ctx, admin, "hj")["legal_days"] == 20
    assert sorted(c["field"] for c in open_conflicts(ctx, admin)) == ["basis", "legal_days"]
    # the region then agrees with the hall on the basis: that question is settled by itself
    arrive(ctx, "catalog", 2, changed(CATALOG, "hj", legal_days=15))
    adopt.adopt(ctx, actor=admin, hall_id=hall["id"], kind="catalog")
    assert [c["field"] for c in open_conflicts(ctx, admin)] == ["legal_days"]


@SQLITE_ONLY
def test_updates_that_would_break_a_service_wait_for_the_admin(ctx, hall, admin):
    arrive(ctx, "catalog", 1, CATALOG)
    adopt.adopt(ctx, actor=admin, hall_id=hall["id"], kind="catalog")
    edit_locally(ctx, admin, "hj", promised_days=10)
    # the region shortens 法定时限 below the hall's own 承诺时限
    arrive(ctx, "catalog", 2, changed(CATALOG, "hj", legal_days=8))
    done = adopt.adopt(ctx, actor=admin, hall_id=hall["id"], kind="catalog").value
    assert done["updated"] == [] and service(ctx, admin, "hj")["legal_days"] == 20
    [conflict] = open_conflicts(ctx, admin)
    assert (conflict["field"], conflict["region"], conflict["local"]) == ("legal_days", 8, 20)
    refused("invalid_service", "service", adopt.decide, ctx, actor=admin,
            conflict_id=conflict["id"], choice="region")
    assert open_conflicts(ctx, admin)  # still open until the hall fixes its promise


@SQLITE_ONLY
def test_new_catalog_service_is_added_closed_at_no_window(ctx, hall, admin):
    arrive(ctx, "catalog", 1, CATALOG)
    adopt.adopt(ctx, actor=admin, hall_id=hall["id"], kind="catalog")
    view = adoption_view.status(ctx, actor=admin)["catalog"]
    assert [e["code"] for e in view["addable"]] == ["gs"]
    added = adopt.add_service(ctx, actor=admin, code="gs", prefix="G").value
    gs = service(ctx, admin, "gs")
    assert (gs["active"], gs["prefix"], gs["department"], gs["promised_days"]) == \
        (False, "G", "scj", 3)
    assert gs["materials"] == CATALOG["services"][2]["materials"]
    links = read(ctx, lambda uow: uow.conn.execute(select(CounterService).where(
        CounterService.service_id == added["id"])).all())
    assert links == []
    assert adoption_view.status(ctx, actor=admin)["catalog"]["addable"] == []
    refused("already_exists", "code", adopt.add_service, ctx, actor=admin, code="gs",
            prefix="G")


def test_scheme_adoption_keeps_the_halls_own_points(ctx, hall, admin):
    scheme = catalog_file.read("scheme", DATA / "region_scheme.toml")
    scheme["rules"]["absent"] = -6
    arrive(ctx, "scheme", 1, scheme)
    set_hall_settings(ctx, hall, targets={"on_time": 98})  # the hall's own 按时办结率 target
    # the hall never had a scheme of its own: the region's points replace the defaults;
    # the target it set itself is asked about
    first = adopt.adopt(ctx, actor=SYSTEM, hall_id=hall["id"], kind="scheme").value
    assert (first["updated"], first["conflicts"]) == ([{"entity": "rules", "field": "absent"}], 1)
    [target] = open_conflicts(ctx, admin, "scheme")
    assert (target["entity"], target["field"], target["region"], target["local"]) == \
        ("targets", "on_time", 99.0, 98)
    adopt.decide(ctx, actor=admin, conflict_id=target["id"], choice="local")
    assert assessment.current_scheme(ctx, hall["id"])["rules"]["absent"] == -6
    # the hall deducts more for a bad review; the region changes that and lateness
    assessment.set_scheme(ctx, actor=admin, hall_id=hall["id"], rules={"bad_review": -4})
    arrive(ctx, "scheme", 2, {**scheme, "rules": {**scheme["rules"], "bad_review": -3,
                                                 "late": -2}})
    done = adopt.adopt(ctx, actor=SYSTEM, hall_id=hall["id"], kind="scheme").value
    assert done["updated"] == [{"entity": "rules", "field": "late"}]
    rules = assessment.current_scheme(ctx, hall["id"])["rules"]
    assert (rules["bad_review"], rules["late"]) == (-4, -2)
    [conflict] = open_conflicts(ctx, admin, "scheme")
    assert (conflict["field"], conflict["region"], conflict["local"]) == ("bad_review", -3, -4)
    with ctx.engine.connect() as conn:  # the services were never touched by the scheme
        assert conn.execute(select(Service.promised_days).where(Service.code == "hj")).scalar() \
            == 5
