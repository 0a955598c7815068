"""Staff accounts as admins manage them, on SQLite and PostgreSQL: one-time passwords that
sign in, scrypt hashes nobody sees, resets and role changes that end old sessions, and a
hall that always keeps an admin."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text

from hall.domain.access import Actor
from hall.domain.errors import NotFound
from hall.services.config import accounts, staff_admin
from hall.services.config.audit import REDACTED
from hall.services.config.layout.spec import StaffSpec
from hall.store.models import AuditEntry, Staff
from tests.conftest import refused


def row(ctx, staff_id: int):
    with ctx.engine.connect() as conn:
        return conn.execute(select(Staff.__table__).where(Staff.id == staff_id)).one()


def entries(ctx, entity_id: int) -> list:
    with ctx.engine.connect() as conn:
        return conn.execute(select(AuditEntry).where(AuditEntry.entity == "staff",
                                                     AuditEntry.entity_id == str(entity_id))
                            .order_by(AuditEntry.id)).all()


def test_a_new_account_signs_in_with_its_one_time_password_stored_only_as_scrypt(ctx, hall,
                                                                               admin):
    made = staff_admin.create(ctx, admin, StaffSpec(login="zhou", name="周敏", number="GA07",
                                                   role="supervisor"), ip="10.0.0.2").value
    assert len(made["password"]) >= 16
    assert accounts.authenticate(ctx, "zhou", made["password"]).role == "supervisor"
    assert row(ctx, made["staff"]["id"]).password_hash.startswith("scrypt:")
    listed = {s["login"]: s for s in staff_admin.list_staff(ctx, hall["id"])}
    assert set(listed) == {"li", "wang", "root", "zhou"}
    assert listed["zhou"]["number"] == "GA07" and not listed["zhou"]["locked"]
    assert all("password_hash" not in s and "password" not in s for s in listed.values())

    [entry] = entries(ctx, made["staff"]["id"])
    assert entry.action == "create" and entry.before is None and entry.ip == "10.0.0.2"
    assert entry.after["login"] == "zhou" and entry.after["password_hash"] == REDACTED
    assert made["password"] not in str(entry.after)
    refused("login_taken", "login", staff_admin.create, ctx, admin,
            StaffSpec(login="zhou", name="另一个"))


def test_a_reset_gives_a_new_password_lifts_the_lock_and_ends_old_sessions(ctx, hall, admin):
    li = hall["staff"]["li"]
    old = accounts.add_user(ctx, login="li", name="李娜").value["password"]
    for _ in range(accounts.LOCK_AFTER):
        refused("bad_credentials", "password", accounts.authenticate, ctx, "li", "wrong")
    assert staff_admin.list_staff(ctx, hall["id"])[0]["locked"] is True
    version = row(ctx, li).auth_version

    reset = staff_admin.reset_password(ctx, admin, li).value
    assert reset["password"] != old and reset["staff"]["locked"] is False
    assert row(ctx, li).auth_version == version + 1
    refused("bad_credentials", "password", accounts.authenticate, ctx, "li", old)
    assert accounts.authenticate(ctx, "li", reset["password"]).id == li
    entry = entries(ctx, li)[-1]
    assert entry.action == "reset_password"
    assert entry.before["password_hash"] == entry.after["password_hash"] == REDACTED
    assert entry.after["auth_version"] == version + 1


def test_unlock_clears_failed_sign_ins_and_keeps_the_password(ctx, hall, admin):
    password = accounts.add_user(ctx, login="li", name="李娜").value["password"]
    for _ in range(accounts.LOCK_AFTER):
        refused("bad_credentials", "password", accounts.authenticate, ctx, "li", "wrong")
    refused("locked", "login", accounts.authenticate, ctx, "li", password)
    unlocked = staff_admin.unlock(ctx, admin, hall["staff"]["li"]).value["staff"]
    assert unlocked["failed_logins"] == 0 and unlocked["locked"] is False
    assert accounts.authenticate(ctx, "li", password).id == hall["staff"]["li"]
    assert [e.action for e in entries(ctx, hall["staff"]["li"])] == ["unlock"]
    staff_admin.unlock(ctx, admin, hall["staff"]["li"])  # nothing to unlock: no entry
    assert len(entries(ctx, hall["staff"]["li"])) == 1


def test_a_role_change_ends_sessions_a_rename_does_not(ctx, hall, admin):
    wang = hall["staff"]["wang"]
    version = row(ctx, wang).auth_version
    staff_admin.change(ctx, admin, wang, name="王强强", number="S2")
    assert row(ctx, wang).auth_version == version
    changed = staff_admin.change(ctx, admin, wang, role="admin").value["staff"]
    assert changed["role"] == "admin" and changed["auth_version"] == version + 1
    last = entries(ctx, wang)[-1]
    assert last.before == {"id": wang, "name": "王强强", "login": "wang", "number": "S2",
                           "role": "supervisor", "auth_version": version}
    assert last.after["role"] == "admin"


def test_a_deactivated_account_cannot_sign_in_until_reactivated(ctx, hall, admin):
    password = accounts.add_user(ctx, login="li", name="李娜").value["password"]
    li = hall["staff"]["li"]
    version = row(ctx, li).auth_version
    staff_admin.set_active(ctx, admin, li, False)
    assert row(ctx, li).auth_version == version + 1
    assert accounts.staff_actor(ctx, li) is None
    refused("bad_credentials", "password", accounts.authenticate, ctx, "li", password)
    staff_admin.set_active(ctx, admin, li, True)
    assert accounts.authenticate(ctx, "li", password).id == li
    assert [e.action for e in entries(ctx, li)] == ["deactivate", "activate"]


def test_an_admin_cannot_demote_or_deactivate_themself_nor_the_last_admin(ctx, hall, admin):
    refused("cannot_change_self", "staff_id", staff_admin.change, ctx, admin, admin.id,
            role="staff")
    refused("cannot_change_self", "staff_id", staff_admin.set_active, ctx, admin, admin.id, False)
    staff_admin.change(ctx, admin, admin.id, name="新名字")  # anything else is fine

    second = staff_admin.create(ctx, admin, StaffSpec(login="zhao", name="赵", role="admin"))
    zhao = Actor("staff", second.value["staff"]["id"], hall["id"], "admin", None, "赵")
    staff_admin.change(ctx, zhao, admin.id, role="supervisor")  # another admin remains
    system = Actor("system", None, hall["id"], None, None, "system")
    refused("last_admin", "role", staff_admin.change, ctx, system, zhao.id, role="staff")
    refused("last_admin", "role", staff_admin.set_active, ctx, system, zhao.id, False)
    assert row(ctx, zhao.id).role == "admin" and row(ctx, zhao.id).active


def test_an_admin_sees_and_changes_only_their_own_halls_accounts(ctx, hall, admin):
    with ctx.engine.begin() as conn:
        conn.execute(text("INSERT INTO halls (code, name, name_en, timezone, target_wait_s, "
                          "priority_ratio, max_wait_s, rating_window_s, recall_limit, "
                          "settings, last_seq) VALUES ('h2', '二号大厅', '', 'Asia/Shanghai', "
                          "900, 2, 2700, 600, 3, '{}', 0)"))
        other = conn.execute(text("SELECT id FROM halls WHERE code = 'h2'")).scalar_one()
    accounts.add_user(ctx, login="far", name="远方", hall_code="h2")
    [far] = staff_admin.list_staff(ctx, other)
    assert far["login"] == "far"
    assert "far" not in {s["login"] for s in staff_admin.list_staff(ctx, hall["id"])}
    with pytest.raises(NotFound):
        staff_admin.reset_password(ctx, admin, far["id"])
    with pytest.raises(NotFound):
        staff_admin.set_active(ctx, admin, far["id"], False)
