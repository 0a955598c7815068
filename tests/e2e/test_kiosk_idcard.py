"""An ID card laid on a kiosk's reader (issue 21), end to end over HTTP: the emulated reader
on a pty is the kiosk's ``idcard+serial://`` reader, driven by the server; the kiosk page's
ask (``POST /kiosk/<device>/card``) gets the holder masked and the 绿色通道 offer, and the
ticket taken with the sealed reading carries the ID hash and the masked name — nothing of
the card is stored or logged, nor handed to the page."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import MetaData, select

from drivers.idcard import protocol as p
from drivers.idcard.emulator import IdCardEmulator
from hall.domain.personal import id_check_char, keyed_hash
from hall.services.config import accounts
from hall.store.models import Device
from tests.e2e.conftest import bearer, err, issue

ELDER = "11010519490307123" + id_check_char("11010519490307123")  # 77 on the test's day
CARD = p.CardText(name="张三丰", sex="男", nation="01", birth="19490307",
                  address="北京市东城区和平里东街11号", id_number=ELDER,
                  authority="北京市公安局东城分局", valid_from="20150101", valid_to="长期")
RAW = (ELDER, "张三丰", "三丰", "和平里", "19490307", "东城分局")


@pytest.fixture
def reader_kiosk(app, seeded):
    device = accounts.add_device(seeded, kind="kiosk").value
    with IdCardEmulator() as emulator:
        app.config["IDCARD_READERS"] = {device["id"]: emulator.url}
        yield device["id"], bearer(device["token"]), emulator


def test_idcard_swipe_reaches_kiosk(client, actx, reader_kiosk, caplog):
    caplog.set_level(logging.DEBUG)
    device, headers, emulator = reader_kiosk
    page = client.get(f"/kiosk/{device}")
    assert b'data-card-url="/kiosk/' in page.data  # the page knows it has a reader
    empty = client.post(f"/kiosk/{device}/card", headers=headers)
    assert empty.status_code == 200 and empty.json == {"reader": True, "card": None,
                                                      "message": None}
    emulator.place(CARD)
    read = client.post(f"/kiosk/{device}/card", headers=headers)
    assert read.status_code == 200, read.json
    assert read.json["holder"] == "张**先生"
    assert read.json["priority"] is True and read.json["priority_reason"] == "老年人"
    for raw in RAW:
        assert raw not in read.get_data(as_text=True), raw
    ticket = issue(client, headers, card=read.json["card"])
    assert ticket.status_code == 201, ticket.json
    assert ticket.json["kind"] == "priority" and ticket.json["priority_reason"] == "老年人"
    metadata = MetaData()
    metadata.reflect(actx.engine)
    with actx.engine.connect() as conn:
        row = conn.execute(select(metadata.tables["tickets"]).where(
            metadata.tables["tickets"].c.id == ticket.json["id"])).one()
        everything = "\n".join(str(tuple(r)) for table in metadata.sorted_tables
                               for r in conn.execute(select(table)))
    assert row.holder_masked == "张**先生"
    assert row.person_hash == keyed_hash(actx.secret, "id", ELDER)
    for raw in RAW:
        assert raw not in everything, raw
        assert raw not in caplog.text, raw
    # the kiosk page sends kind "priority" once the card offered it, leaving the reason to
    # the card: the number is the elder's 绿色通道 one, not a refusal for a missing reason
    again = client.post(f"/kiosk/{device}/card", headers=headers).json["card"]
    elder = issue(client, headers, card=again, kind="priority")
    assert elder.status_code == 201, elder.json
    assert (elder.json["kind"], elder.json["priority_reason"]) == ("priority", "老年人")
    # a sealed reading is not a free pass: tampered, it is refused naming the field
    err(issue(client, headers, card=read.json["card"][:-2] + "xx"), 422, "card_expired",
        "card")


def kiosk_health(ctx, device: int) -> dict:
    with ctx.engine.connect() as conn:
        return conn.execute(select(Device.health).where(Device.id == device)).scalar() or {}


def test_idcard_reader_problems_told(client, reader_kiosk, seeded, caplog):
    caplog.set_level(logging.DEBUG)
    device, headers, emulator = reader_kiosk
    emulator.place(CARD)
    emulator.truncate_next = True  # a truncated block: a clear message, no card
    cut = client.post(f"/kiosk/{device}/card", headers=headers)
    assert cut.status_code == 200 and cut.json["card"] is None
    assert cut.json["message"] == "身份证未能读取，请重新放到读卡器上"
    assert client.post(f"/kiosk/{device}/card", headers=headers).json["card"]  # next is fine
    emulator.corrupt_next = True  # a bad checksum: the same message
    bad = client.post(f"/kiosk/{device}/card", headers=headers)
    assert bad.json["card"] is None and bad.json["message"] == cut.json["message"]
    # a card whose ID number fails its check digit: refused naming the field
    mistyped = ELDER[:-1] + ("0" if ELDER[-1] != "0" else "1")
    emulator.place(p.CardText(**{**CARD.__dict__, "id_number": mistyped}))
    err(client.post(f"/kiosk/{device}/card", headers=headers), 422, "invalid_id_number",
        "id_number")
    # each problem logged and counted in the kiosk's health (the admin's devices page)
    health = kiosk_health(seeded, device)
    assert health["errors"] == 3
    assert health["problems"] == {"truncated": 1, "checksum": 1, "invalid_id_number": 1}
    assert health["error"] == "This ID number is mistyped (its check digit does not match)"
    assert "invalid_id_number" in caplog.text and "bad checksum" in caplog.text
    for raw in (*RAW, mistyped):
        assert raw not in caplog.text and raw not in str(health), raw
    emulator.remove()  # no card on the reader is no problem: nothing more counted
    assert client.post(f"/kiosk/{device}/card", headers=headers).json["message"] is None
    assert kiosk_health(seeded, device)["errors"] == 3
    other = bearer(accounts.add_device(seeded, kind="kiosk").value["token"])
    assert client.post(f"/kiosk/{device}/card", headers=other).status_code == 403
