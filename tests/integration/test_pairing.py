"""Device pairing on SQLite and PostgreSQL: a device asks and shows a code, an admin who reads
the code approves it, the device claims its token exactly once; rejection, expiry, clean-up
and the audit trail."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from hall.domain.access import Actor
from hall.domain.errors import Forbidden
from hall.services.config import accounts, audit
from hall.services.devices import pairing
from hall.store.models import Device, Pairing
from tests.conftest import refused


def ask(ctx, kind="screen", name="大厅屏", **info) -> dict:
    return pairing.request_pairing(ctx, kind, name, info or {"ip": "10.0.0.7"}).value


def test_a_request_gets_a_six_digit_code_and_a_secret_kept_only_as_a_digest(ctx, hall, clock):
    asked = ask(ctx)
    assert len(asked["code"]) == 6 and asked["code"].isdigit()
    assert len(asked["secret"]) >= 16 and asked["poll_s"] > 0
    with ctx.engine.connect() as conn:
        row = conn.execute(select(Pairing.__table__)).one()
    assert row.state == "pending" and row.kind == "screen" and row.hall_id is None
    assert row.claim_hash == accounts.token_digest(asked["secret"])
    assert asked["secret"] not in str(row._mapping.values())
    assert row.expires_at == clock.now() + pairing.REQUEST_TTL


def test_codes_are_unique_among_pending_requests(ctx, hall):
    codes = [ask(ctx)["code"] for _ in range(40)]
    assert len(set(codes)) == 40


def test_the_pending_list_never_shows_codes_or_secrets(ctx, hall, admin):
    asked = ask(ctx, "kiosk", "一楼取号机", screen="1080x1920")
    [listed] = pairing.pending(ctx, hall["id"])
    assert listed["id"] == asked["id"] and listed["kind"] == "kiosk"
    assert listed["info"] == {"screen": "1080x1920"} and listed["name"] == "一楼取号机"
    assert "code" not in listed and "secret" not in listed and "claim_hash" not in listed


def test_an_approved_device_claims_its_own_token_exactly_once(ctx, hall, admin):
    asked = ask(ctx, "pad", "评价器")
    assert pairing.claim(ctx, asked["id"], asked["secret"]).value["state"] == "pending"
    approved = pairing.approve(ctx, admin, asked["id"], asked["code"], name="1号窗评价器",
                               counter_number=1).value
    assert approved["state"] == "approved" and approved["device"]["kind"] == "pad"
    got = pairing.claim(ctx, asked["id"], asked["secret"]).value
    assert got["state"] == "claimed" and got["device_id"] == approved["device"]["id"]
    assert got["counter_id"] == hall["counters"][1] and got["counter_number"] == 1
    actor = accounts.device_actor(ctx, got["token"])
    assert actor == Actor("device", got["device_id"], hall["id"], "pad",
                          hall["counters"][1], "1号窗评价器")
    refused("pairing_claimed", "id", pairing.claim, ctx, asked["id"], asked["secret"])
    assert pairing.pending(ctx, hall["id"]) == []


def test_a_claim_needs_the_secret_and_the_approval_needs_the_code_on_the_device(
        ctx, hall, admin):
    asked = ask(ctx)
    refused("pairing_not_found", "id", pairing.claim, ctx, asked["id"], "x" * 32)
    wrong = "000000" if asked["code"] != "000000" else "111111"
    err = refused("wrong_code", "code", pairing.approve, ctx, admin, asked["id"], wrong)
    assert err.field == "code"
    assert pairing.claim(ctx, asked["id"], asked["secret"]).value["state"] == "pending"
    with ctx.engine.connect() as conn:
        assert conn.execute(select(Device.id)).all() == []


def test_only_admins_decide(ctx, hall):
    asked = ask(ctx)
    for role in ("staff", "supervisor"):
        who = Actor("staff", 1, hall["id"], role)
        with pytest.raises(Forbidden):
            pairing.approve(ctx, who, asked["id"], asked["code"])
        with pytest.raises(Forbidden):
            pairing.reject(ctx, who, asked["id"])
    with pytest.raises(Forbidden):
        pairing.approve(ctx, Actor("device", 1, hall["id"], "agent"), asked["id"],
                        asked["code"])


def test_a_rejected_request_tells_its_device_and_cannot_be_approved(ctx, hall, admin):
    asked = ask(ctx)
    assert pairing.reject(ctx, admin, asked["id"]).value == {"id": asked["id"],
                                                             "state": "rejected"}
    refused("pairing_rejected", "id", pairing.claim, ctx, asked["id"], asked["secret"])
    refused("pairing_decided", "id", pairing.approve, ctx, admin, asked["id"], asked["code"])
    refused("pairing_decided", "id", pairing.reject, ctx, admin, asked["id"])


def test_a_request_expires_after_ten_minutes_and_is_cleaned_up_later(ctx, hall, admin, clock):
    asked = ask(ctx)
    clock.advance(minutes=10, seconds=1)
    assert pairing.pending(ctx, hall["id"]) == []
    refused("pairing_expired", "id", pairing.claim, ctx, asked["id"], asked["secret"])
    refused("pairing_expired", "id", pairing.approve, ctx, admin, asked["id"], asked["code"])
    clock.advance(hours=1)
    ask(ctx)  # any new request sweeps the old ones away
    refused("pairing_not_found", "id", pairing.claim, ctx, asked["id"], asked["secret"])


def test_an_approved_device_that_never_claims_is_revoked_by_the_clean_up(ctx, hall, admin,
                                                                          clock):
    asked = ask(ctx, "kiosk")
    device_id = pairing.approve(ctx, admin, asked["id"], asked["code"]).value["device"]["id"]
    clock.advance(minutes=10, seconds=1)
    refused("pairing_expired", "id", pairing.claim, ctx, asked["id"], asked["secret"])
    clock.advance(hours=1)
    result = pairing.request_pairing(ctx, "screen", "", {})
    assert [(e.type, e.payload) for e in result.events] == [
        ("device.revoked", {"device_id": device_id})]
    with ctx.engine.connect() as conn:
        assert conn.execute(select(Device.revoked_at).where(Device.id == device_id)
                            ).scalar() is not None
    refused("pairing_not_found", "id", pairing.claim, ctx, asked["id"], asked["secret"])


def test_a_pad_needs_a_window_and_a_screen_with_a_window_is_that_windows_screen(
        ctx, hall, admin):
    pad = ask(ctx, "pad")
    err = refused("counter_required", "counter", pairing.approve, ctx, admin, pad["id"],
                  pad["code"])
    assert err.field == "counter"
    refused("counter_not_found", "counter", pairing.approve, ctx, admin, pad["id"], pad["code"],
            counter_number=99)
    screen = ask(ctx, "screen")
    approved = pairing.approve(ctx, admin, screen["id"], screen["code"], counter_number=2)
    assert approved.value["device"]["counter_id"] == hall["counters"][2]
    as_kiosk = ask(ctx, "screen")
    made = pairing.approve(ctx, admin, as_kiosk["id"], as_kiosk["code"], kind="kiosk").value
    assert made["device"]["kind"] == "kiosk"  # the admin decides what it is


def test_too_many_waiting_requests_are_refused(ctx, hall):
    for _ in range(pairing.MAX_PER_HALL):  # no hall named: the shared queue's cap
        ask(ctx)
    refused("pairing_busy", "kind", ask, ctx)


def test_approvals_rejections_claims_and_revocations_are_audited(ctx, hall, admin):
    asked = ask(ctx, "kiosk", "取号机")
    approved = pairing.approve(ctx, admin, asked["id"], asked["code"], ip="10.1.1.1").value
    device_id = approved["device"]["id"]
    token = pairing.claim(ctx, asked["id"], asked["secret"], ip="10.0.0.7").value["token"]
    other = ask(ctx)
    pairing.reject(ctx, admin, other["id"], ip="10.1.1.1")
    accounts.revoke_device(ctx, device_id, actor=admin, ip="10.1.1.1")
    entries = audit.entries(ctx, hall["id"])
    assert [(e["action"], e["entity"]) for e in reversed(entries)] == [
        ("create", "device"), ("approve", "pairing"), ("claim", "device"),
        ("reject", "pairing"), ("revoke", "device")]
    create, approve, claim, reject, revoke = reversed(entries)
    assert create["actor"] == admin.audit() and create["ip"] == "10.1.1.1"
    assert create["after"]["kind"] == "kiosk" and create["after"]["name"] == "取号机"
    assert approve["after"]["device_id"] == device_id and approve["after"]["state"] == "approved"
    assert claim["actor"] == f"device:kiosk:{device_id}" and claim["ip"] == "10.0.0.7"
    assert claim["after"]["token"] == audit.REDACTED and token not in str(entries)
    assert reject["entity_id"] == str(other["id"]) and reject["after"]["state"] == "rejected"
    assert revoke["before"]["revoked_at"] is None and revoke["after"]["revoked_at"]


def test_a_revoked_device_is_refused_at_once_and_revoking_twice_changes_nothing(
        ctx, hall, admin):
    device = accounts.add_device(ctx, kind="screen").value
    assert accounts.device_actor(ctx, device["token"]) is not None  # now cached
    first = accounts.revoke_device(ctx, device["id"], actor=admin)
    assert [e.type for e in first.events] == ["device.revoked"]
    assert accounts.device_actor(ctx, device["token"]) is None
    again = accounts.revoke_device(ctx, device["id"], actor=admin)
    assert again.events == [] and again.value["revoked_at"] == first.value["revoked_at"]
    other_hall = Actor("staff", admin.id, hall["id"] + 1, "admin")
    refused("device_not_found", "device", accounts.revoke_device, ctx, device["id"],
            actor=other_hall)
