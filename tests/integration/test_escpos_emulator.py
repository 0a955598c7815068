"""Real bytes over TCP, a pty and a pyserial URL into the ESC/POS emulator, read back as
tickets; status queries answered with the paper states a kiosk has to explain."""
from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from drivers.escpos import fonts, status
from drivers.escpos.emulator import PrinterEmulator
from drivers.escpos.printer import print_ticket
from drivers.escpos.ticket import LABEL_AHEAD, LABEL_WAIT, TicketContent
from tests.conftest import need_font, unavailable

URL = "https://hall.example.cn/t/Xq3vT9bK2mPz"
ZH = {LABEL_AHEAD: "前面还有 %(n)s 人", LABEL_WAIT: "预计等候 %(low)s-%(high)s 分钟"}
ROOT = Path(__file__).resolve().parents[2]


def zh(msgid: str) -> str:
    return ZH.get(msgid, msgid)


def content(**changes) -> TicketContent:
    base = dict(hall_name="某某市政务服务中心", service_name="社保业务", number="A001",
                people_ahead=3, wait_minutes=(5, 12), issued_at=datetime(2025, 3, 14, 9, 30),
                qr_url=URL, materials=("居民身份证原件",), kind="绿色通道", kind_reason="老年人")
    return TicketContent(**{**base, **changes})


def assert_native_ticket(ticket) -> None:
    assert "社保业务" in ticket.lines  # GB18030 round trip
    number = next(b for b in ticket.blocks if getattr(b, "text", None) == "A001")
    assert number.scale == 4 and number.align == "center"
    assert ticket.qr == [URL]
    assert ticket.cut and not ticket.unknown


@pytest.mark.parametrize("where", ["tcp", "pty", "pyserial-socket"])
def test_a_native_ticket_arrives_with_chinese_number_qr_and_cut(printer, where):
    url = {"tcp": f"escpos+tcp://127.0.0.1:{printer.tcp_port}?paper=58",
           "pty": f"escpos+serial://{printer.pty_path}?baudrate=115200&paper=58",
           "pyserial-socket": f"escpos+serial:socket://127.0.0.1:{printer.tcp_port}"
                              f"?paper=58"}[where]
    result = print_ticket(url, content(), translate=zh)
    assert result.printed, result
    assert result.before.ok and result.after is not None and result.after.ok
    (rec,) = printer.wait_for_tickets(1)
    assert_native_ticket(rec.ticket)
    assert "前面还有 3 人" in rec.ticket.lines and "预计等候 5-12 分钟" in rec.ticket.lines
    assert printer.queries[:3] == [1, 2, 4]


def test_a_raster_ticket_is_paper_wide_images_matching_the_font(printer):
    need_font()
    result = print_ticket(f"escpos+tcp://127.0.0.1:{printer.tcp_port}?profile=raster-58",
                          content())
    assert result.printed
    (rec,) = printer.wait_for_tickets(1)
    images = rec.ticket.images
    assert images and all(image.width == 384 for image in images)
    assert "社保业务" not in rec.ticket.lines and "A001" in rec.ticket.lines
    expected = fonts.render_line("社保业务", 384, align="center", bold=True, scale=2)
    assert any(image.tobytes() == expected.tobytes() for image in images)
    assert expected.getextrema() == (0, 255)  # and it is not blank


RARE = ("䶮", "𠮷", "𡈼")  # CJK Ext A (GB18030 FE 9F, not GBK) and Ext B (four-byte)
COMMON = "堃 喆 赟"  # rare in names, but in GBK: the printer's own font has them


def _ink_box(image: Image.Image) -> Image.Image:
    """The inked part of a black-on-white image, as a 1-bit crop."""
    ink = image.convert("L").point(lambda v: 255 if v < 128 else 0)
    box = ink.getbbox()
    assert box is not None, "blank: no ink at all"
    return ink.crop(box).convert("1")


def test_rare_characters_print_in_raster(printer):
    """Issue 17 §8: a GBK printer gets in FS & only codes its GBK font has (checked with the
    'gbk' codec on the bytes that arrived), and a line with 䶮, 𠮷 or 𡈼 is drawn as a raster
    image with a font that has them (fonts-hanazono), each glyph the same as that font
    draws it — not blank, not the main font's empty box."""
    need_font()
    if not all(fonts.covered(ch) for ch in RARE):
        unavailable("a font with CJK Extension A and B", "make fonts (fonts-hanazono)")
    extra = (f"取号人：{COMMON}", *(f"取号人：{ch}" for ch in RARE))
    result = print_ticket(f"escpos+tcp://127.0.0.1:{printer.tcp_port}?paper=58",
                          content(extra=extra), translate=zh)
    assert result.printed, result
    (rec,) = printer.wait_for_tickets(1)
    raw = bytes(printer.received)
    chinese = re.findall(rb"\x1c&(.*?)\x1c\.", raw, re.S)
    assert len(chinese) >= 5  # hall, service, kind, materials … and the GBK names
    for run in chinese:  # every code inside FS & is GBK (strict), two bytes each
        text = run.decode("gbk")
        assert text.encode("gbk") == run
        assert all(ch.isascii() or len(ch.encode("gbk")) == 2 for ch in text)
    assert "䶮".encode("gb18030") not in b"".join(chinese)  # FE 9F never reaches the font
    assert f"取号人：{COMMON}".encode("gbk") in b"".join(chinese)  # GBK names stay native
    assert f"取号人：{COMMON}" in rec.ticket.lines
    assert not any(ch in line for line in rec.ticket.lines for ch in RARE)

    images = [image.tobytes() for image in rec.ticket.images]
    main = ImageFont.truetype(str(fonts.font_path()), fonts.GLYPH)
    for ch in RARE:
        line = f"取号人：{ch}"
        expected = fonts.render_line(line, 384)
        assert expected.tobytes() in images, f"{line} was not rastered as drawn"
        cell = expected.crop((96, 0, 120, fonts.LINE))  # 4 wide characters of 24 dots first
        rare = ImageFont.truetype(str(fonts.font_for(ch)), fonts.GLYPH)
        assert fonts.font_for(ch) != fonts.font_path()  # not the main font …
        drawn = Image.new("L", (48, 48), 255)
        ImageDraw.Draw(drawn).text((4, 40), ch, font=rare, fill=0, anchor="ls")
        drawn = drawn.point(lambda v: 0 if v < 160 else 255)
        assert _ink_box(cell).tobytes() == _ink_box(drawn).tobytes()  # … but its own glyph
        tofu = Image.new("L", (48, 48), 255)
        ImageDraw.Draw(tofu).text((4, 40), ch, font=main, fill=0, anchor="ls")
        assert _ink_box(cell).tobytes() != _ink_box(tofu.point(
            lambda v: 0 if v < 160 else 255)).tobytes()


def test_paper_end_stops_the_print_and_says_why(printer):
    printer.state = "paper_end"
    result = print_ticket(f"escpos+tcp://127.0.0.1:{printer.tcp_port}", content())
    assert not result.printed and result.before.paper_end and result.after is None
    assert result.reasons[0] == status.MSG_PAPER_END
    assert result.status.health()["paper"] == "out"
    assert printer.tickets == []


def test_paper_running_out_during_the_print_is_reported_failed(tmp_path):
    emu = PrinterEmulator(tmp_path, tickets_until_paper_end=1)
    port = emu.listen_tcp()
    with emu:
        result = print_ticket(f"escpos+tcp://127.0.0.1:{port}", content())
        assert result.before.ok and result.after is not None and result.after.paper_end
        assert not result.printed
        assert emu.wait_for_tickets(1)[0].printed  # the ticket itself went out: reprint it


@pytest.mark.parametrize("state, reason", [("near_end", status.MSG_NEAR_END),
                                           ("cover_open", status.MSG_COVER),
                                           ("offline", status.MSG_OFFLINE),
                                           ("silent", status.MSG_SILENT)])
def test_every_printer_state_has_plain_words(printer, state, reason):
    printer.state = state
    result = print_ticket(f"escpos+serial://{printer.pty_path}", content(), timeout=0.3)
    assert result.printed is (state == "near_end")
    assert reason in result.reasons


def test_a_printer_nobody_listens_for_is_unreachable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: connection refused
        result = print_ticket(f"escpos+tcp://127.0.0.1:{port}", content(), timeout=0.5)
    assert not result.printed and result.reasons == (status.MSG_UNREACHABLE,)


def test_each_ticket_has_a_png_preview_and_a_json_record(printer):
    need_font()
    for number in ("A001", "A002"):
        print_ticket(f"escpos+tcp://127.0.0.1:{printer.tcp_port}", content(number=number))
    recs = printer.wait_for_tickets(2)
    for rec in recs:
        with Image.open(rec.preview) as png:
            png.verify()
        with Image.open(rec.preview) as png:
            assert png.width >= 384 and png.height > png.width
        assert rec.preview.with_suffix(".json").read_text(encoding="utf-8").count("社保业务")
    assert [r.ticket.lines.count(n) for r, n in zip(recs, ("A001", "A002"), strict=True)] == [1, 1]


def test_the_emulator_runs_from_the_command_line(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "drivers.escpos.emulator", "--tcp", "0",
                             "--out", str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True, encoding="utf-8")
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split()[-1]
        assert url.startswith("escpos+tcp://127.0.0.1:")
        assert "previews go to" in proc.stdout.readline()
        assert print_ticket(url, content()).printed
        assert proc.stdout.readline().startswith("ticket 1: ")
        assert (tmp_path / "ticket-0001.png").is_file()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
        proc.stdout.close()
