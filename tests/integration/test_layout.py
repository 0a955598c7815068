"""The whole layout out and back in (issue 9), on SQLite and PostgreSQL: the demo file reads
back as written, export → import into an empty database → export is exact, an import
deactivates what the file no longer lists (and keeps the rows), a dry run changes nothing."""
from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from hall.domain.access import SYSTEM, Actor
from hall.domain.errors import DomainError
from hall.services.config import accounts
from hall.services.config import settings as hall_settings
from hall.services.config.layout import exchange as layout
from hall.services.config.layout.seed import load_layout, seed
from hall.services.config.layout.spec import HallSpec, LayoutSpec
from hall.services.context import Context
from hall.services.wiring import make_context
from hall.store.db import make_engine
from hall.store.models import AuditEntry, Event
from tests.conftest import _truncate

DEMO = Path(__file__).resolve().parents[2] / "hall" / "seed" / "demo_hall.toml"


@pytest.fixture
def empty(ctx, db_url, sqlite_template, tmp_path):
    """Another, empty database of the same kind (PostgreSQL: the test's, truncated once the
    test has read what it needs, so call ``empty()`` after exporting)."""
    made: list[Context] = []

    def make() -> Context:
        if db_url.startswith("sqlite"):
            path = tmp_path / "fresh.db"
            shutil.copy(sqlite_template, path)
            url = f"sqlite:///{path}"
        else:
            ctx.engine.dispose()
            _truncate(db_url)
            url = db_url
        made.append(make_context(make_engine(url), clock=ctx.clock))
        return made[-1]

    yield make
    for c in made:
        c.engine.dispose()


def admin_of(ctx, hall_id: int, login: str = "boss") -> Actor:
    staff_id = accounts.add_user(ctx, login=login, name="管理员", role="admin").value["id"]
    return Actor("staff", staff_id, hall_id, "admin", None, "管理员")


def audit_count(ctx) -> int:
    with ctx.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(AuditEntry)).scalar_one()


def test_the_demo_hall_exports_as_the_file_it_was_seeded_from(ctx):
    hall_id = seed(ctx, load_layout(DEMO)).value["hall_id"]
    exported = layout.export_layout(ctx, hall_id)
    assert exported == LayoutSpec.model_validate(tomllib.loads(DEMO.read_text("utf-8")))
    # and the file it writes reads back as the same layout
    assert layout.parse_toml(layout.dump_toml(exported)) == exported


def test_export_then_import_into_an_empty_database_exports_the_same(ctx, hall, empty):
    admin = admin_of(ctx, hall["id"])
    settings = HallSpec.model_validate(hall_settings.get_settings(ctx, hall["id"]).model_dump() | {
        "holidays": ["2026-12-31"], "workdays": ["2026-10-10"], "followup_days": 5,
        "rating_reasons": ["等候太久"], "alerts": {"idle_minutes": 4, "long_wait_minutes": 25}})
    hall_settings.update_settings(ctx, admin, hall["id"], settings)
    staff = accounts.add_user(ctx, login="zhou", name="周", role="supervisor").value
    with ctx.engine.begin() as conn:  # a service and a window taken out, a former employee
        conn.execute(text("UPDATE services SET active = false WHERE code = 'ss'"))
        conn.execute(text("UPDATE counters SET active = false WHERE number = 4"))
        conn.execute(text("UPDATE staff SET active = false, number = 'S9' WHERE id = :id"),
                     {"id": staff["id"]})
    before = layout.export_layout(ctx, hall["id"])
    assert before.hall.holidays and not before.services[2].active
    file = layout.dump_toml(before)

    fresh = empty()
    result = layout.import_layout(fresh, SYSTEM, layout.parse_toml(file))
    after = layout.export_layout(fresh, result.value["hall_id"])
    assert after == before
    assert layout.dump_toml(after) == file
    changes = result.value["changes"]
    assert changes["services"]["added"] == ["hj", "sfz", "ss"]
    assert changes["staff"]["added"] == ["li", "wang", "boss", "zhou"]


def test_an_import_deactivates_what_the_file_no_longer_lists_and_keeps_the_rows(ctx, hall):
    admin = admin_of(ctx, hall["id"])
    old = layout.export_layout(ctx, hall["id"])
    counters = [c.model_copy(update={"services": [s for s in c.services if s.service != "ss"]})
                for c in old.counters if c.number != 4]
    new = old.model_copy(update={
        "services": [s for s in old.services if s.code != "ss"], "counters": counters,
        "staff": [s for s in old.staff if s.login not in ("wang", "boss")]})
    with ctx.engine.connect() as conn:
        wang_version = conn.execute(text("SELECT auth_version FROM staff WHERE login='wang'")
                                    ).scalar_one()
        wang_id = conn.execute(text("SELECT id FROM staff WHERE login='wang'")).scalar_one()
    entries_before = audit_count(ctx)

    result = layout.import_layout(ctx, admin, LayoutSpec.model_validate(new.model_dump()),
                                  ip="10.0.0.8")
    changes = result.value["changes"]
    assert changes["services"]["deactivated"] == ["ss"]
    assert changes["counters"]["deactivated"] == ["4"]
    assert [c["key"] for c in changes["counters"]["changed"]] == ["3"]
    assert changes["staff"]["deactivated"] == ["wang"]
    assert changes["staff"]["kept"] == ["boss"]  # the importing admin is never locked out
    # wang's sessions end with the deactivation: every process drops his live connections
    assert [(e.type, e.payload.get("staff_id")) for e in result.events] == [
        ("staff.sessions_ended", wang_id), ("config.changed", None)]

    again = layout.export_layout(ctx, hall["id"])
    assert {s.code: s.active for s in again.services} == {"hj": True, "sfz": True, "ss": False}
    assert {c.number: c.active for c in again.counters} == {1: True, 2: True, 3: True, 4: False}
    assert [s.service for s in again.counters[2].services] == ["hj"]
    assert {s.login: s.active for s in again.staff} == {"li": True, "wang": False,
                                                       "boss": True}
    with ctx.engine.connect() as conn:
        assert conn.execute(text("SELECT auth_version FROM staff WHERE login='wang'")
                            ).scalar_one() == wang_version + 1  # signed out everywhere
        rows = conn.execute(select(AuditEntry).where(AuditEntry.id > entries_before)
                            .order_by(AuditEntry.id)).all()
    whole = [r for r in rows if r.action == "import"]
    assert len(whole) == 1 and whole[0].entity == "layout" and whole[0].ip == "10.0.0.8"
    assert len(whole[0].before["services"]) == 3 and len(whole[0].after["services"]) == 2
    assert {(r.action, r.entity, r.before["code"] if r.entity == "service" else None)
            for r in rows if r.action == "deactivate"} >= {("deactivate", "service", "ss"),
                                                           ("deactivate", "counter", None),
                                                           ("deactivate", "staff", None)}
    assert all(r.actor == f"staff:admin:{admin.id}" for r in rows)

    # listing them again brings them back
    back = layout.import_layout(ctx, admin, old)
    assert back.value["changes"]["services"]["changed"][0]["after"] == {
        "code": "ss", "name": "税务申报", "kind": "instant", "active": True}
    assert layout.export_layout(ctx, hall["id"]).services == old.services


def test_a_dry_run_says_what_would_change_and_changes_nothing(ctx, hall):
    admin = admin_of(ctx, hall["id"])
    old = layout.export_layout(ctx, hall["id"])
    renamed = old.services[1].model_copy(update={"name": "居民身份证办理", "daily_quota": 50})
    added = old.services[1].model_copy(update={"code": "jz", "name": "居住证", "prefix": "C"})
    spec = LayoutSpec.model_validate(old.model_dump() | {
        "services": [s.model_dump() for s in (old.services[0], renamed, old.services[2], added)],
        "notices": [{"text": "今日系统升级"}]})
    entries, seq = audit_count(ctx), _last_seq(ctx)

    preview = layout.import_layout(ctx, admin, spec, dry_run=True)
    assert preview.events == [] and preview.value["dry_run"] is True
    services = preview.value["changes"]["services"]
    assert services["added"] == ["jz"]
    assert services["changed"] == [{"key": "sfz",
                                    "before": {"code": "sfz", "name": "身份证办理",
                                               "kind": "instant", "daily_quota": None},
                                    "after": {"code": "sfz", "name": "居民身份证办理",
                                              "kind": "instant", "daily_quota": 50}}]
    assert services["unchanged"] == 2
    assert preview.value["changes"]["notices"]["changed"][0]["after"] == {
        "texts": ["今日系统升级"]}
    assert layout.export_layout(ctx, hall["id"]) == old
    assert audit_count(ctx) == entries and _last_seq(ctx) == seq

    layout.import_layout(ctx, admin, spec)  # the same file, applied
    assert layout.export_layout(ctx, hall["id"]) == spec


def test_an_admin_imports_only_a_layout_for_their_own_hall_that_keeps_them_admin(ctx, hall):
    admin = admin_of(ctx, hall["id"])
    old = layout.export_layout(ctx, hall["id"])
    other = old.model_copy(update={"hall": old.hall.model_copy(update={"code": "other"})})
    with pytest.raises(DomainError) as refused:
        layout.import_layout(ctx, admin, other, dry_run=True)
    assert refused.value.code == "hall_mismatch"

    demoted = old.model_copy(update={"staff": [
        s.model_copy(update={"role": "staff"}) if s.login == "boss" else s for s in old.staff]})
    with pytest.raises(DomainError) as refused:
        layout.import_layout(ctx, admin, demoted)
    assert refused.value.code == "cannot_change_self"

    # the system (CLI) may not take away the last admin either
    with pytest.raises(DomainError) as refused:
        layout.import_layout(ctx, SYSTEM, old.model_copy(update={"staff": old.staff[:2]}))
    assert refused.value.code == "last_admin"
    assert layout.export_layout(ctx, hall["id"]) == old


def test_a_broken_file_is_refused_naming_the_entry(ctx, hall):
    file = layout.dump_toml(layout.export_layout(ctx, hall["id"]))
    with pytest.raises(DomainError) as refused:
        layout.parse_toml(file.replace('service = "ss"', 'service = "nope"'))
    assert refused.value.code == "invalid_layout"
    assert "counters.3: unknown service 'nope'" in refused.value.params["problem"]
    with pytest.raises(DomainError) as refused:
        layout.parse_toml("[hall\n")
    assert refused.value.code == "invalid_layout" and refused.value.field == "toml"


def test_a_layout_with_a_control_character_is_refused_naming_the_entry(ctx, hall):
    """``hall seed`` reads the same file as the console's import: a text its escapes make
    a control character (NUL, ESC, C1) is refused naming the entry, before anything is
    written; a tab or a line break is text."""
    from hall.services.config.layout.seed import validate_layout

    file = layout.dump_toml(layout.export_layout(ctx, hall["id"]))
    for old, new, entry in [('name = "户籍办理"', 'name = "户籍\\u0000办理"', "services.hj."),
                            ('name = "测试大厅"', 'name = "测试\\u001b@大厅"', "hall.name"),
                            ('"午休",', '"午休\\u009b",', "hall.pause_reasons.0")]:
        data = tomllib.loads(file.replace(old, new, 1))
        with pytest.raises(ValueError, match=re.escape(entry)):
            validate_layout(data)
        with pytest.raises(DomainError) as refused:
            layout.parse_toml(file.replace(old, new, 1))
        assert (refused.value.code, refused.value.field) == ("control_character", "toml")
        assert refused.value.params["entry"].startswith(entry)
    assert validate_layout(tomllib.loads(file.replace('"午休",', '"午\\t休",', 1)))


def _last_seq(ctx) -> int:
    with ctx.engine.connect() as conn:
        return conn.execute(select(func.coalesce(func.max(Event.seq), 0))).scalar_one()
