"""Ticket layout and the exact ESC/POS bytes for it (python-escpos's Dummy records them).

Golden vectors: command bytes from the Epson ESC/POS reference (ESC @ 1B 40, ESC a 1B 61,
ESC E 1B 45, GS ! 1D 21, GS ( k 1D 28 6B, GS V 1D 56, ESC d 1B 64) and the Chinese double-byte
mode of Chinese-made printers (FS & 1C 26, FS . 1C 2E; see shared/DEVICES.md). GB18030 codes
of 社保业务 (C9E7 B1A3 D2B5 CEF1) are their GB2312 codes, as in any GB2312 code table.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from escpos.printer import Dummy

from drivers.escpos import fonts, status
from drivers.escpos.printer import (
    PROFILES,
    PrintFailed,
    native_chinese,
    paper_profile,
    print_ticket,
    profile_for,
    render,
    ticket_bytes,
)
from drivers.escpos.status import PrinterStatus, decode
from drivers.escpos.ticket import (
    LABEL_AHEAD,
    PAPERS,
    Cut,
    Qr,
    Text,
    TicketContent,
    layout,
    text_width,
    texts,
    wrap,
)
from drivers.urls import DeviceURLError, parse
from tests.conftest import need_font

URL = "https://hall.example.cn/t/Xq3vT9bK2mPz"
SHEBAO = bytes.fromhex("C9E7 B1A3 D2B5 CEF1")  # 社保业务 in GB18030 (= GB2312 here)


def content(**changes) -> TicketContent:
    base = dict(hall_name="某某市政务服务中心", service_name="社保业务", number="A001",
                people_ahead=3, wait_minutes=(5, 12), issued_at=datetime(2025, 3, 14, 9, 30),
                qr_url=URL, materials=("居民身份证原件及复印件（正反面）一份", "户口簿原件"))
    return TicketContent(**{**base, **changes})


def test_cjk_counts_two_columns_and_wrapping_never_overflows():
    assert text_width("A001") == 4 and text_width("社保") == 4 and text_width("（") == 2
    for paper in PAPERS.values():
        for op in layout(content(service_name="城乡居民基本养老保险参保登记" * 2), paper):
            if isinstance(op, Text):
                assert text_width(op.text) * op.scale <= paper.columns, op


def test_wrap_keeps_closing_punctuation_off_the_start_of_a_line():
    assert wrap("请您带好身份证。谢谢", 8) == ["请您带好", "身份证。", "谢谢"]
    assert wrap("一二三（四五", 8) == ["一二三", "（四五"]
    assert all(not line.startswith(("，", "。", "）")) for line in wrap("甲乙丙丁，戊己。" * 5, 6))


def test_number_is_large_and_centred_and_materials_hang_under_their_number():
    ops = layout(content(), "58")
    number = next(op for op in ops if isinstance(op, Text) and op.text == "A001")
    assert (number.align, number.scale) == ("center", 4)
    assert texts(ops)[texts(ops).index("1. 居民身份证原件及复印件（正反") + 1].startswith("   ")
    wide = next(op for op in layout(content(), "80") if isinstance(op, Text) and
                op.text == "A001")
    assert wide.scale == 5
    assert Qr(URL, 6) in ops and ops[-1] == Cut()


def test_labels_go_through_the_callers_gettext():
    zh = {LABEL_AHEAD: "前面还有 %(n)s 人"}
    assert "前面还有 3 人" in texts(layout(content(), "58", lambda s: zh.get(s, s)))
    assert "绿色通道: 老年人" in texts(layout(content(kind="绿色通道", kind_reason="老年人")))


def test_golden_bytes_native_chinese_big_number_native_qr_and_cut():
    printer = Dummy()
    render(printer, [Text("社保业务", "center", True, 2), Text("A001", "center", True, 4),
                     Qr("https://h/t/x", 6), Cut()], PROFILES["generic-58"])
    assert printer.output == (
        b"\x1b@"  # ESC @
        + b"\x1ba\x01\x1bE\x01\x1d!\x11"  # centre, bold, GS ! 2×2
        + b"\x1c&" + SHEBAO + b"\x1c.\n"  # FS & … FS . then LF
        + b"\x1d!\x33" + b"\x1bt\x00" + b"A001\n"  # GS ! 4×4; python-escpos picks CP437
        + b"\x1bE\x00\x1d!\x00"  # bold off, back to 1×1 before the QR code
        + b"\x1d(k\x04\x001A2\x00"  # QR model 2
        + b"\x1d(k\x03\x001C\x06"  # module 6 dots
        + b"\x1d(k\x03\x001E1"  # error correction M
        + b"\x1d(k\x10\x001P0https://h/t/x"  # store 13 bytes: pL = 13 + 3 (cn fn m)
        + b"\x1d(k\x03\x001Q0"  # print it
        + b"\x1bd\x06\x1dV\x00"  # feed 6 lines, full cut
    )


def test_whole_ticket_native_bytes_carry_the_service_name_number_and_url():
    data = ticket_bytes(layout(content(), "58"), PROFILES["generic-58"])
    assert data.startswith(b"\x1b@")
    assert b"\x1c&" + SHEBAO + b"\x1c." in data
    assert b"\x1d!\x33A001\n" in data.replace(b"\x1bt\x00", b"")
    assert b"1P0" + URL.encode() in data
    assert data.endswith(b"\x1dV\x00")


def test_raster_profile_sends_no_double_byte_text_but_paper_wide_images():
    need_font()
    for paper, row_bytes in (("58", 48), ("80", 72)):
        profile = replace(PROFILES["raster"], paper=paper)
        data = ticket_bytes(layout(content(), paper), profile)
        assert b"\x1c&" not in data and SHEBAO not in data
        assert b"\x1dv0\x00" + bytes((row_bytes, 0)) in data  # GS v 0, width in bytes
        assert b"1P0" not in data  # the QR code went as an image too


def test_raster_lines_sit_on_the_printers_grid():
    need_font()
    full = "社保" * 8  # 32 columns: exactly 384 dots at 12 dots a column
    assert fonts.render_line(full, 384).size == (384, 30)
    assert fonts.render_line("A001", 576, scale=4, bold=True).size == (576, 120)
    strip = fonts.render_line("社", 384)
    assert strip.crop((0, 0, 24, 30)).getextrema() == (0, 255)  # ink inside the first cell
    assert strip.crop((24, 0, 384, 30)).getextrema() == (255, 255)  # and nowhere else


def test_characters_beyond_the_printers_font_fall_back_to_an_image():
    assert native_chinese("社保 A1–·（）") and not native_chinese("𠀀")
    need_font()
    data = ticket_bytes([Text("𠀀")], PROFILES["generic"])
    assert b"\x1dv0" in data and b"\x1c&" not in data


@pytest.mark.parametrize("replies, ok, flag", [
    ((0x12, 0x12, 0x12), True, None),
    ((0x12, 0x12, 0x1E), True, "paper_near_end"),
    ((0x1A, 0x32, 0x7E), False, "paper_end"),
    ((0x1A, 0x16, 0x12), False, "cover_open"),
    ((0x1A, 0x52, 0x12), False, "error"),
    ((0x1A, 0x12, 0x12), False, None),
])
def test_dle_eot_replies_decode_to_plain_status(replies, ok, flag):
    s = decode(*replies)
    assert s.ok is ok
    if flag:
        assert getattr(s, flag)
    assert bool(s.reasons) is (not ok or flag is not None)


def test_no_or_malformed_reply_means_the_printer_is_not_answering():
    s = decode(None, None, None)
    assert not s.ok and s.reasons == (status.MSG_SILENT,)
    assert not decode(0xFF, 0x12, 0x12).answering
    assert PrinterStatus.unknown().ok and PrinterStatus.unknown().health()["paper"] == "unknown"
    assert decode(0x1A, 0x32, 0x7E).health()["paper"] == "out"


def test_a_printer_that_cannot_answer_has_unknown_status():
    assert status.query(Dummy()) == PrinterStatus.unknown()


def test_profile_and_options_come_from_the_device_url():
    assert profile_for(parse("escpos+tcp://10.0.0.5:9100")).chinese == "native"
    p = profile_for(parse("escpos+tcp://10.0.0.5:9100?profile=generic&paper=58&chinese=raster"))
    assert (p.paper, p.chinese, p.native_qr) == ("58", "raster", True)
    assert profile_for(parse("escpos+serial:socket://h:7000?chinese=raster")).chinese == "raster"
    with pytest.raises(DeviceURLError, match="unknown printer profile"):
        profile_for(parse("escpos+tcp://h:9100?profile=nope"))
    with pytest.raises(DeviceURLError, match="paper"):
        profile_for(parse("escpos+tcp://h:9100?paper=76"))


def test_file_printer_gets_the_ticket_and_an_unknown_status(tmp_path):
    out = tmp_path / "printer.bin"
    result = print_ticket(f"escpos+file://{out}?paper=58", content())
    assert result.printed and not result.status.known
    assert out.read_bytes() == ticket_bytes(layout(content(), "58"), profile_for(
        parse("escpos+file:///x?paper=58")))


def test_missing_printer_is_a_result_not_an_exception(tmp_path):
    result = print_ticket(f"escpos+file://{tmp_path}/no/such/dir/out.bin", content())
    assert not result.printed and not result.status.reachable and result.reasons
    with pytest.raises(PrintFailed):
        print_ticket(f"escpos+file://{tmp_path}/no/such/dir/out.bin", content(),
                     raise_on_failure=True)


def test_paper_profile_knows_the_width_for_image_centring():
    assert paper_profile(PAPERS["58"]).profile_data["media"]["width"]["pixels"] == 384
