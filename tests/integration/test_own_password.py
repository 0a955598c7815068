"""Issue 15 item 9, the service: people change their own password; a password someone else
made for them (an admin's create or reset, `hall user add`, the first run's admin) is a
one-time one that must be replaced. HTTP, pages and the browser: tests/e2e/test_own_password.py.
"""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from hall.domain.access import SYSTEM
from hall.domain.errors import DomainError
from hall.domain.passwords import MAX_LENGTH, MIN_LENGTH
from hall.services.config import accounts, audit, passwords, staff_admin
from hall.services.config.layout.spec import StaffSpec
from hall.store.models import Staff

NEW = "长城长江 2026 好办事"  # a phrase counts: length is what the policy asks for


def account(ctx, login: str = "li", role: str = "staff", one_time: bool = True):
    made = accounts.add_user(ctx, login=login, name="李娜", role=role,
                             one_time=one_time).value
    return accounts.staff_actor(ctx, made["id"]), made["password"]


def row(ctx, staff_id: int):
    with ctx.engine.connect() as conn:
        return conn.execute(select(Staff).where(Staff.id == staff_id)).one()


def refusal(call) -> tuple[str, str | None]:
    with pytest.raises(DomainError) as err:
        call()
    return err.value.code, err.value.field


def test_a_wrong_current_password_is_refused_and_counts_toward_the_lock(ctx, hall, clock):
    li, password = account(ctx)
    with pytest.raises(DomainError):
        accounts.sign_in(ctx, "li", "a guess")  # one failed sign-in …
    for _ in range(accounts.LOCK_AFTER - 1):  # … and four wrong current passwords
        assert refusal(lambda: passwords.change_own_password(ctx, li, "wrong", NEW)) == (
            "wrong_password", "current")
    assert row(ctx, li.id).failed_logins == accounts.LOCK_AFTER
    # locked, as after five failed sign-ins: the change, and signing in, even rightly
    assert refusal(lambda: passwords.change_own_password(ctx, li, password, NEW)) == (
        "locked", "current")
    assert refusal(lambda: accounts.sign_in(ctx, "li", password)) == ("locked", "login")
    clock.advance(minutes=5, seconds=1)
    passwords.change_own_password(ctx, li, password, NEW)
    assert row(ctx, li.id).failed_logins == 0
    assert accounts.sign_in(ctx, "li", NEW).actor.id == li.id


@pytest.mark.parametrize(("new", "code"), [
    ("short", "password_too_short"),
    ("x" * (MAX_LENGTH + 1), "password_too_long"),
    ("Li-Na-2026", None),  # ten characters: allowed
])
def test_the_policy_names_the_new_password_field(ctx, hall, new, code):
    li, password = account(ctx)
    if code is None:
        assert len(new) == MIN_LENGTH
        passwords.change_own_password(ctx, li, password, new)
        return
    assert refusal(lambda: passwords.change_own_password(ctx, li, password, new)) == (
        code, "new")
    assert row(ctx, li.id).must_change_password  # nothing changed
    assert accounts.sign_in(ctx, "li", password).actor.id == li.id


def test_the_new_password_is_neither_the_login_nor_the_current_one(ctx, hall):
    boss, password = account(ctx, login="wang.admin.1", role="admin")
    assert refusal(lambda: passwords.change_own_password(
        ctx, boss, password, "Wang.Admin.1")) == ("password_is_login", "new")
    passwords.change_own_password(ctx, boss, password, NEW)
    boss = accounts.staff_actor(ctx, boss.id)
    assert refusal(lambda: passwords.change_own_password(ctx, boss, NEW, NEW)) == (
        "password_unchanged", "new")


def test_a_change_ends_the_other_sessions_clears_the_flag_and_is_audited_without_secrets(
        ctx, hall):
    li, password = account(ctx)
    before = row(ctx, li.id)
    assert before.must_change_password and li.must_change_password
    done = passwords.change_own_password(ctx, li, password, NEW, ip="10.0.0.7")
    after = row(ctx, li.id)
    assert done == {"id": li.id, "auth_version": before.auth_version + 1}
    assert after.auth_version == done["auth_version"] and not after.must_change_password
    assert after.password_hash.startswith("scrypt:") and NEW not in after.password_hash
    # sessions issued under the old version end; the caller re-issues its own
    assert accounts.staff_actor(ctx, li.id, before.auth_version) is None
    assert not accounts.staff_actor(ctx, li.id, done["auth_version"]).must_change_password
    assert refusal(lambda: accounts.sign_in(ctx, "li", password)) == (
        "bad_credentials", "password")

    (entry,) = audit.entries(ctx, hall["id"], entity="staff", entity_id=str(li.id))
    assert entry["action"] == "change_password" and entry["ip"] == "10.0.0.7"
    assert entry["actor"] == f"staff:staff:{li.id}" and entry["actor_name"] == "李娜"
    assert entry["before"]["password_hash"] == entry["after"]["password_hash"] == "••••••"
    assert (entry["before"]["must_change_password"], entry["after"]["must_change_password"]
            ) == (True, False)
    text = json.dumps(entry, ensure_ascii=False, default=str)
    assert password not in text and NEW not in text and before.password_hash not in text
    assert after.password_hash not in text


def test_only_a_staff_member_changes_their_own_password(ctx, hall):
    assert refusal(lambda: passwords.change_own_password(ctx, SYSTEM, "x", NEW)) == (
        "forbidden", "authorization")


def test_every_password_someone_else_made_is_a_one_time_password(ctx, hall):
    boss, _ = account(ctx, login="boss", role="admin", one_time=False)
    assert not row(ctx, boss.id).must_change_password  # demo halls, tests: ready to use
    cli, _ = account(ctx, login="liu", one_time=True)  # what `hall user add` asks for
    assert row(ctx, cli.id).must_change_password

    made = staff_admin.create(ctx, boss, StaffSpec(login="zhou", name="周敏")).value
    zhou = made["staff"]["id"]
    assert made["staff"]["must_change_password"] and row(ctx, zhou).must_change_password
    zhou_actor = accounts.staff_actor(ctx, zhou)
    passwords.change_own_password(ctx, zhou_actor, made["password"], NEW)
    assert not row(ctx, zhou).must_change_password
    reset = staff_admin.reset_password(ctx, boss, zhou).value
    assert reset["staff"]["must_change_password"] and row(ctx, zhou).must_change_password
    assert accounts.sign_in(ctx, "zhou", reset["password"]).actor.must_change_password

    with ctx.engine.begin() as conn:  # the hall loses its admins: the next start makes one
        conn.execute(Staff.__table__.update().where(Staff.role == "admin").values(
            active=False))
    (first,) = accounts.ensure_admins(ctx).value
    assert accounts.sign_in(ctx, first["login"], first["password"]).actor.must_change_password
