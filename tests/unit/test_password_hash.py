"""Passwords are kept as salted scrypt at scrypt's own cost unless HALL_PASSWORD_HASH says
otherwise (hall/services/config/password_hash.py); a typo in it never starts a hall."""
from __future__ import annotations

import pytest

from hall.services.config import password_hash


def test_a_hall_keeps_passwords_at_scrypts_full_cost_when_nothing_is_configured(monkeypatch):
    monkeypatch.delenv("HALL_PASSWORD_HASH", raising=False)
    digest = password_hash.make("门口的密码")
    assert digest.startswith("scrypt:32768:8:1$")
    assert password_hash.matches(digest, "门口的密码")
    assert not password_hash.matches(digest, "门口的密码 ")
    assert password_hash.is_current(digest)


def test_the_configured_cost_is_used_and_other_costs_are_not_current(monkeypatch):
    monkeypatch.setenv("HALL_PASSWORD_HASH", "scrypt:1024:8:1")
    cheap = password_hash.make("secret-1")
    assert cheap.startswith("scrypt:1024:8:1$")
    assert password_hash.is_current(cheap)
    monkeypatch.setenv("HALL_PASSWORD_HASH", "scrypt:32768:8:1")
    assert not password_hash.is_current(cheap)  # re-hashed at its next sign-in
    assert password_hash.matches(cheap, "secret-1")  # a digest names its own parameters


@pytest.mark.parametrize("wrong", ["md5", "plain", "bcrypt:12"])
def test_an_unknown_hash_method_is_refused_before_any_password_is_kept(monkeypatch, wrong):
    monkeypatch.setenv("HALL_PASSWORD_HASH", wrong)
    with pytest.raises(ValueError, match="HALL_PASSWORD_HASH"):
        password_hash.make("secret-1")


def test_a_server_with_an_unknown_hash_method_does_not_start(monkeypatch, tmp_path):
    from hall.app import create_app

    monkeypatch.setenv("HALL_PASSWORD_HASH", "md5")
    with pytest.raises(ValueError, match="HALL_PASSWORD_HASH"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'hall.db'}", "INSTANCE": tmp_path,
                    "SECRET_KEY": "t", "ASYNC_MODE": "threading", "MIGRATE_ON_START": False})
