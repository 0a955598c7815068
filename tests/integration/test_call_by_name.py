"""Calling by name (issue 21), a hall setting off by default: a ticket taken with an ID card
carries the holder's name masked (张*女士); screens and voice get it with the call only when
the hall calls by name, and never the name itself."""
from __future__ import annotations

from drivers.idcard.protocol import CardText
from hall.domain.personal import id_check_char
from hall.services.queue import calling, idcard
from tests.integration.conftest import kiosk, set_hall_settings, signed_in_at

FIRST17 = "11010519850307122"
CARD = CardText(name="张丽华", sex="女", nation="01", birth="19850307", address="北京市",
                id_number=FIRST17 + id_check_char(FIRST17), authority="北京市公安局",
                valid_from="20150101", valid_to="20350101")


def call(ctx, hall, card: CardText) -> dict:
    idcard.swipe(ctx, hall_id=hall["id"], service="hj", actor=kiosk(hall),
                 id_number=card.id_number, name=card.name, sex=card.sex)
    staff = signed_in_at(ctx, hall, 1)
    result = calling.call_next(ctx, counter_id=hall["counters"][1], actor=staff)
    calling.skip(ctx, counter_id=hall["counters"][1], actor=staff)
    return next(e for e in result.events if e.type == "ticket.called").payload


def test_masked_name_on_screen(ctx, hall):
    off = call(ctx, hall, CARD)  # the default: numbers only
    assert "holder" not in off and "张" not in off["announce"]["zh"]
    set_hall_settings(ctx, hall, call_by_name=True)
    on = call(ctx, hall, CARD)
    assert on["holder"] == "张**女士"
    assert on["announce"]["zh"] == f"请 {on['number']} 号 张女士 到 1 号窗口办理"
    assert on["announce"]["clips"]["zh"][:2] == ["zh/qing", "zh/A"]  # the clips: the number
    for raw in ("丽华", CARD.id_number):
        assert raw not in str(on)
