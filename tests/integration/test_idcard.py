"""The resident ID card reader (drivers/idcard) over a pty against its emulator, with golden
frames from the public SAM protocol description, and the kiosk's use of a card: 绿色通道 for
elders by the age in the ID number, the name kept as 张*, and nothing of the card stored."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import MetaData, select, text

from drivers.idcard import protocol as p
from drivers.idcard.emulator import IdCardEmulator
from drivers.idcard.reader import IdCardReader, ReaderError
from hall.domain.errors import DomainError
from hall.domain.personal import id_check_char
from hall.services.queue import idcard
from tests.integration.conftest import kiosk


def id_number(first17: str) -> str:
    return first17 + id_check_char(first17)


ELDER = id_number("11010519490307123")  # born 1949-03-07: 77 on the test's day (2026-11-23)
YOUNG = id_number("11010519900307123")


def card(number: str, name: str = "张三") -> p.CardText:
    return p.CardText(name=name, sex="男", nation="01", birth=number[6:14],
                      address="北京市东城区和平里东街11号", id_number=number,
                      authority="北京市公安局东城分局", valid_from="20150101",
                      valid_to="长期")


@pytest.fixture
def reader():
    with IdCardEmulator() as emulator:
        device = IdCardReader(emulator.url)
        device.emulator = emulator
        yield device
        device.close()


def test_idcard_frames_match_golden_bytes(reader):
    # the commands as the protocol description spells them (preamble, length, CMD PARA, XOR)
    golden = {p.RESET: "AA AA AA 96 69 00 03 10 FF EC",
              p.STATUS: "AA AA AA 96 69 00 03 11 FF ED",
              p.FIND: "AA AA AA 96 69 00 03 20 01 22",
              p.SELECT: "AA AA AA 96 69 00 03 20 02 21",
              p.READ_BASIC: "AA AA AA 96 69 00 03 30 01 32"}
    for cmd, frame in golden.items():
        assert p.command(cmd) == bytes.fromhex(frame)
    # answers: card found, no card, status OK
    assert p.parse_answer(bytes.fromhex("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")
                          ).status == p.FOUND
    assert p.parse_answer(bytes.fromhex("AA AA AA 96 69 00 04 00 00 80 84")).text == "no card"
    assert p.answer(p.OK) == bytes.fromhex("AA AA AA 96 69 00 04 00 00 90 94")
    # the basic information answer: LEN 05 08 = SW(3) + lengths(4) + text 256 + photo 1024 + CHK
    block = p.answer(p.OK, p.basic_block(card(ELDER)))
    assert block[5:7] == bytes.fromhex("0508") and len(block) == 7 + 0x508
    assert block[10:14] == bytes.fromhex("0100 0400")
    assert block[14:18] == "张三".encode("utf-16-le")  # UCS-2, little-endian
    # over the pty: what the reader sent is the golden bytes, and the card comes back whole
    reader.reset()
    assert reader.status()
    reader.emulator.place(card(ELDER))
    read = reader.read_card()
    assert (read.name, read.sex, read.birth, read.id_number, read.valid_to) == (
        "张三", "男", "19490307", ELDER, "长期")
    assert read.address == "北京市东城区和平里东街11号" and "张三" not in repr(read)
    assert reader.emulator.received[-3:] == [bytes.fromhex(golden[c]) for c in
                                             (p.FIND, p.SELECT, p.READ_BASIC)]
    # no card; a bad checksum; a truncated block: clear errors
    reader.emulator.remove()
    with pytest.raises(ReaderError, match="no card"):
        reader.read_card()
    reader.emulator.place(card(ELDER))
    reader.emulator.corrupt_next = True
    with pytest.raises(p.FrameError, match="bad checksum"):
        reader.read_card()
    reader.emulator.truncate_next = True
    with pytest.raises(p.FrameError, match="truncated"):
        reader.read_card()
    assert reader.read_card().id_number == ELDER  # and the next read is fine


def test_idcard_swipe_gives_priority_to_elders(ctx, hall, reader):
    reader.emulator.place(card(ELDER, "张三"))
    read = reader.read_card()
    elder = idcard.swipe(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall),
                         id_number=read.id_number, name=read.name).value
    assert elder["kind"] == "priority" and elder["priority_reason"] == "老年人"
    reader.emulator.place(card(YOUNG, "李四"))
    read = reader.read_card()
    young = idcard.swipe(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall),
                         id_number=read.id_number, name=read.name).value
    assert young["kind"] == "normal"
    with ctx.engine.connect() as conn:
        held = dict(conn.execute(text("SELECT number, holder_masked FROM tickets")).all())
    assert held == {elder["number"]: "张*", young["number"]: "李*"}
    # a card whose ID number fails its check digit: a clear error naming the field
    bad = YOUNG[:-1] + ("0" if YOUNG[-1] != "0" else "1")
    with pytest.raises(DomainError) as err:
        idcard.swipe(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall),
                     id_number=bad, name="王五")
    assert (err.value.code, err.value.field) == ("invalid_id_number", "id_number")


def test_idcard_nothing_stored_raw(ctx, hall, reader, caplog):
    caplog.set_level(logging.DEBUG)
    reader.emulator.place(card(ELDER, "张三丰"))
    read = reader.read_card()
    issued = idcard.swipe(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall),
                          id_number=read.id_number, name=read.name).value
    assert issued["kind"] == "priority"
    secrets = [ELDER, "张三丰", "三丰", "和平里", "19490307", "东城分局"]
    metadata = MetaData()
    metadata.reflect(ctx.engine)
    with ctx.engine.connect() as conn:
        everything = "\n".join(str(tuple(row)) for table in metadata.sorted_tables
                               for row in conn.execute(select(table)))
        person = conn.execute(text("SELECT person_hash, holder_masked FROM tickets")).one()
    assert "张**" in everything and len(person[0]) == 64
    for secret in secrets:
        assert secret not in everything, secret
        assert secret not in caplog.text, secret
