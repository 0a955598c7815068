"""Staff belong to a department (their 派驻 unit, 双重管理) and a hall; the console and the
layout set it; reports group by it as well as by the window's services' departments."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from hall.services.config import staff_admin
from hall.services.config.layout import exchange
from hall.services.config.layout.seed import load_layout, seed
from hall.services.supervision import reports
from tests.conftest import DATA, refused
from tests.integration.conftest import finished_visit


def _department_of(ctx, login: str):
    with ctx.engine.connect() as conn:
        return conn.execute(text(
            "SELECT d.code FROM staff s LEFT JOIN departments d ON d.id = s.department_id "
            "WHERE s.login = :l"), {"l": login}).scalar()


def test_staff_belong_to_a_department(ctx, hall, admin, clock):
    # a layout names each person's department; hall seed stores it and export gives it back
    layout = load_layout(DATA / "small_hall.toml")
    for entry in layout["staff"]:
        entry["department"] = "gaj"
    seed(ctx, layout)
    assert _department_of(ctx, "li") == "gaj"
    exported = {s.login: s.department for s in exchange.export_layout(ctx, hall["id"]).staff}
    assert exported["li"] == "gaj" and exported["wang"] == "gaj"

    # the console moves li to 税务局; an unknown department is refused naming the field
    li = hall["staff"]["li"]
    changed = staff_admin.change(ctx, admin, li, department="swj").value["staff"]
    assert _department_of(ctx, "li") == "swj" and changed["department_id"] is not None
    refused("unknown_department", "department", staff_admin.change, ctx, admin, li,
            department="nope")
    bad = dict(layout, staff=[dict(layout["staff"][0], department="nope")])
    try:
        seed(ctx, bad)
    except ValueError as exc:
        assert "staff.li" in str(exc) and "nope" in str(exc)
    else:
        raise AssertionError("a layout naming an unknown department was accepted")

    # li (税务局) serves 户籍办理 (a 公安局 service): the window's department gets the
    # visit in one grouping, li's own department in the other
    finished_visit(ctx, hall, 1, service="hj")
    clock.advance(minutes=1)
    by_service_dept = {r["name"]: r["served"]
                       for r in reports.report(ctx, group="department")["rows"]}
    by_staff_dept = {r["name"]: r["served"]
                     for r in reports.report(ctx, group="staff_department")["rows"]}
    assert by_service_dept == {"公安局": 1}
    assert by_staff_dept == {"税务局": 1}

    # a closed day reads the same from its rollup
    clock.advance(days=1, hours=1)
    day = (clock.now() - timedelta(days=1)).date()
    rolled = reports.report(ctx, group="staff_department", on=day.isoformat())
    assert {r["name"]: r["served"] for r in rolled["rows"]} == {"税务局": 1}
