"""Onbon BX-5K/6K frames (drivers/led/protocol.py) against golden bytes from the specification.

Source of every golden vector: 上海仰邦 "BX-5K/6K 通讯协议用户版本" v1.4 (2021-02-28),
doc.onbonbx.com/zh/k/potocol (Markdown: onbonlab/onbonlab.github.io docs/zh/k/potocol.md),
cited as §; and /work/shared/DEVICES.md for the ping frame.
"""
from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.led import protocol as bx
from drivers.led.sign import HallStrip, WindowSign


def arc(data: bytes) -> int:
    """CRC-16/ARC written out bit by bit from the appendix's polynomial (x^16+x^15+x^2+1,
    reflected 0xA001, initial 0), independent of the table in protocol.py."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def frames(data: bytes) -> list[bx.Packet | bx.BadFrame]:
    return bx.FrameParser().feed(data)


# DEVICES.md "LED signs" and §8.7 PING 命令实例 (the same bytes): ping to address 1.
PING = bytes.fromhex("A5 A5 A5 A5 A5 A5 A5 A5 01 00 00 80 00 00 00 00 00 00 FE 02 05 00"
                     " A2 00 01 00 00 68 F8 5A")
# §8.2.1 命令示例8: A3 06 to 0xFFFE, 128×32 in pixel units, static, "欢迎光临".
WELCOME = bytes.fromhex(
    "a5 a5 a5 a5 a5 a5 a5 a5 fe ff 00 80 00 00 00 00 00 00 fe 02 2c 00 a3 06 01 00 00 00 01 23"
    " 00 00 00 80 00 00 80 80 20 00 00 00 00 0a 00 00 00 00 02 01 01 00 02 0a 08 00 00 00 bb b6"
    " d3 ad b9 e2 c1 d9 3c 49 5a")
# §7.1 命令示例4 (ACK) and §7.2 命令示例5 (NACK, CmdError 5 = CRC16 error) as printed: the
# document shows nine A5s, which a receiver takes as a longer preamble (§3 item 1).
ACK_DOC = bytes.fromhex("A5 A5 A5 A5 A5 A5 A5 A5 A5 00 80 FE FF 00 00 00 00 00 00 FE 02 05 00"
                        " A0 00 00 00 00 14 AC 5A")
NACK_DOC = bytes.fromhex("A5 A5 A5 A5 A5 A5 A5 A5 A5 00 80 FE FF 00 00 00 00 00 00 FE 02 05 00"
                         " A0 01 05 00 00 05 51 5A")
# A WindowSign at address 05 (128×16) showing "A012 请到5号窗口"; derived field by field below.
CALL_05 = bytes.fromhex(
    "A5 A5 A5 A5 A5 A5 A5 A5 05 00 00 80 00 00 00 00 00 00 FE 02 34 00 A3 06 01 00 00 00 01 2B"
    " 00 00 00 00 00 00 10 00 10 00 00 00 00 0A 00 00 00 0A 01 01 01 00 00 0A 10 00 00 00 41 30"
    " 31 32 20 C7 EB B5 BD 35 BA C5 B4 B0 BF DA C0 67 5A")


def test_crc16_arc_check_value():
    assert bx.crc16(b"123456789") == 0xBB3D == arc(b"123456789")  # the catalogue's check value
    assert bx.crc16(b"") == 0


@given(st.binary(max_size=300))
def test_crc16_table_agrees_with_the_bitwise_definition(data):
    assert bx.crc16(data) == arc(data)


def test_ping_frame_is_reproduced_byte_for_byte():
    assert bx.request(1, bx.PING).encode() == PING
    assert arc(PING[8:-3]) == 0xF868  # CRC over header+data, sent low byte first: 68 F8


def test_vendor_dynamic_area_example_is_reproduced_byte_for_byte():
    area = bx.Area(0, 0, 128, 32, mode=bx.DisplayMode.STATIC, speed=2, stay=5.0,
                   single_line=False, auto_wrap=False, timeout=10, pixel_units=True)
    assert bx.show(bx.BROADCAST, [(area, "欢迎光临")]).encode() == WELCOME
    (packet,) = frames(WELCOME)
    update = bx.parse_show(packet)
    assert update.delete == () and update.areas == ((area, "欢迎光临"),)


def test_vendor_ack_and_nack_examples_parse_and_are_rebuilt():
    (ack,) = frames(ACK_DOC)
    (nack,) = frames(NACK_DOC)
    assert (ack.dst, ack.src, ack.command, ack.flag) == (bx.HOST, bx.BROADCAST, bx.ACK, 0)
    assert (nack.command, nack.flag) == (bx.NACK, bx.CmdError.CHECKSUM)
    ping = bx.request(bx.BROADCAST, bx.PING)
    assert bx.answer(ping).encode() == ACK_DOC[1:]
    assert bx.answer(ping, bx.NACK, bx.CmdError.CHECKSUM).encode() == NACK_DOC[1:]


def test_window_call_at_address_05_built_field_by_field_from_the_spec():
    text = "A012 请到5号窗口".encode("gb2312")  # 16 bytes; Chinese is two bytes each
    le16 = struct.Struct("<H").pack
    area = (b"\x00"  # §9.1 AreaType
            + le16(0)  # AreaX 0 (bit 15 clear: units of 8 px)
            + le16(0)  # AreaY 0 px
            + le16(128 // 8)  # AreaWidth 16 units = 128 px
            + le16(16)  # AreaHeight 16 px
            + b"\x00"  # DynamicAreaLoc: area 0
            + b"\x00"  # Lines_sizes: line spacing 0
            + b"\x00"  # RunMode 0: cycle
            + le16(10)  # Timeout 10 s
            + b"\x00"  # SoundMode 0: no voice, so no voice bytes follow
            + b"\x00"  # ExtendParaLen 0: no extension bytes follow
            + b"\x0a"  # TextAlignment: bits 1-0 = 10 centre, bits 3-2 = 10 middle
            + b"\x01"  # SingleLine 0x01: one line
            + b"\x01"  # NewLine 0x01: no automatic wrapping
            + b"\x01"  # DisplayMode 0x01: static
            + b"\x00"  # ExitMode 0
            + b"\x00"  # Speed 0: fastest
            + b"\x0a"  # StayTime 10 × 0.5 s
            + struct.pack("<I", len(text)) + text)  # DataLen (4, LE) and Data
    data = (b"\xa3\x06"  # §8.2.1 CmdGroup A3, Cmd 06: real-time dynamic area
            + b"\x01"  # Response 0x01: the controller must reply
            + b"\x00\x00"  # ProcessMode 0 (keep the area), Reserved
            + b"\x00"  # DeleteAreaNum 0 (so no DeleteAreaId bytes)
            + b"\x01"  # AreaNum 1
            + le16(len(area)) + area)  # AreaDataLen0, AreaData0
    header = (le16(5)  # §4 DstAddr: the sign at address 05
              + le16(0x8000)  # SrcAddr: the PC
              + bytes(3)  # Reserved
              + b"\x00\x00\x00"  # BarCode option, CheckMode 0 (CRC16), DisplayMode 0
              + b"\xfe\x02"  # DeviceType wildcard, ProtocolVersion 2
              + le16(len(data)))  # DataLen
    phy1 = header + data + le16(arc(header + data))  # §3: CRC over header and data
    assert not {0xA5, 0xA6, 0x5A, 0x5B} & set(phy1)  # nothing to escape in this one
    frame = b"\xa5" * 8 + phy1 + b"\x5a"
    assert frame == CALL_05
    assert WindowSign(None, address=5).call_packet("A012", 5).encode() == CALL_05


def test_frame_with_a5_and_5a_inside_is_escaped_and_parsed_back():
    # address 0x5A and the katakana ア (GB2312 A5 A2) put both reserved bytes in the frame
    packet = bx.show(0x5A, [(bx.Area(0, 0, 64, 16), "ア")])
    frame = packet.encode()
    assert frame[8:10] == b"\x5b\x02"  # dst 5A escaped (§3.3)
    assert b"\xa6\x02\xa2" in frame  # ア's A5 escaped
    assert 0xA5 not in frame[8:] and frame.index(0x5A) == len(frame) - 1
    assert frames(frame) == [packet]


@given(st.binary())
def test_escaping_round_trips_and_hides_the_frame_bytes(data):
    escaped = bx.escape(data)
    assert bx.unescape(escaped) == data
    assert 0xA5 not in escaped and 0x5A not in escaped


@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.binary(min_size=5, max_size=600),
       st.integers(1, 40))
def test_any_packet_survives_framing_in_any_chunking(dst, src, data, chunk):
    packet = bx.Packet(dst, src, data)
    stream = b"\x00\x13noise" + packet.encode() + packet.encode()
    parser = bx.FrameParser()
    found = [f for i in range(0, len(stream), chunk) for f in parser.feed(stream[i:i + chunk])]
    assert found == [packet, packet]
    assert parser.skipped == 7


def test_parser_resynchronises_after_garbage_and_a_false_start():
    one, two = bx.request(5, bx.PING), bx.request(7, bx.STATUS)
    junk = b"\x01\x02\xa5\xa5\x33\x44"  # noise, then a preamble whose frame never ends
    parser = bx.FrameParser()
    found = parser.feed(b"\xff\xfe" + one.encode() + junk + two.encode() + b"\x5a\x00")
    assert found[0] == one and found[2] == two and len(found) == 3
    assert isinstance(found[1], bx.BadFrame) and "truncated" in found[1].reason
    assert parser.skipped == 6  # FF FE, 01 02, and the stray 5A 00 after the last frame


def test_bad_crc_is_rejected_and_the_next_frame_still_parses():
    good = WindowSign(None, 5).call_packet("A012", 5)
    bad = bytearray(good.encode())
    bad[-4] ^= 0x01  # the last text byte: DA → DB, still nothing to escape
    found = frames(bytes(bad) + good.encode())
    assert isinstance(found[0], bx.BadFrame) and "CRC" in found[0].reason
    assert (found[0].dst, found[0].src) == (5, bx.HOST)  # kept for a NACK
    assert found[1:] == [good]


@pytest.mark.parametrize("body, says", [
    (b"\x01\x00\xa6\x03", "bad escape"),
    (b"\x01\x00", "too short"),
])
def test_malformed_frames_are_reported(body, says):
    (bad,) = frames(b"\xa5" * 8 + body + b"\x5a")
    assert isinstance(bad, bx.BadFrame) and says in bad.reason


def test_data_length_must_match_the_header():
    raw = bytearray(bx.request(1, bx.PING).phy1())
    raw[12] = 6  # DataLen 6, but 5 data bytes follow
    raw[-2:] = struct.pack("<H", arc(bytes(raw[:-2])))
    (bad,) = frames(bx.PREAMBLE + bx.escape(bytes(raw)) + b"\x5a")
    assert "DataLen" in bad.reason


@pytest.mark.parametrize("text, says", [
    ("A012 請到", "'請' (U+8ACB) at position 5"),  # traditional: not in GB2312
    ("€5", "'€' (U+20AC) at position 0"),
    ("A012 😀", "U+1F600"),
    ("C:\\path", "backslash"),
])
def test_text_outside_gb2312_is_refused_clearly(text, says):
    with pytest.raises(bx.TextEncodingError, match="GB2312|backslash") as exc:
        bx.encode_text(text)
    assert says in str(exc.value)


def test_newline_becomes_the_controllers_escape():
    assert bx.encode_text("上\n下") == "上".encode("gb2312") + b"\\n" + "下".encode("gb2312")
    assert bx.decode_text(b"\\FO000\\C1" + "上".encode("gb2312") + b"\\n") == "上\n"


GB2312_TEXT = st.text(st.characters(codec="gb2312", exclude_characters="\\",
                                    exclude_categories=("Cc",)), max_size=60)


@given(GB2312_TEXT, st.integers(0, 7), st.sampled_from(list(bx.DisplayMode)),
       st.integers(0, 120), st.integers(1, 60))
def test_dynamic_area_round_trips(text, area_id, mode, x8, width8):
    area = bx.Area(x8 * 8, 16, width8 * 8, 32, area_id, mode, stay=1.5, pixel_units=False)
    update = bx.parse_show(bx.show(7, [(area, text)], delete=[3]))
    assert update.areas == ((area, text),) and update.delete == (3,)


def test_geometry_uses_pixel_units_only_when_needed():
    assert bx.Area(8, 0, 64, 16).units() == (1, 8)
    assert bx.Area(4, 0, 60, 16).units() == (0x8004, 0x803C)
    with pytest.raises(bx.ProtocolError, match="multiples of 8"):
        bx.Area(4, 0, 60, 16, pixel_units=False).units()


def test_delete_all_and_status_round_trip():
    assert bx.show(5, [], delete=None).body == b"\xff\x00"
    assert bx.parse_show(bx.show(5, [], delete=None)).delete is None
    status = bx.Status(brightness=9, areas=(0, 2))
    assert bx.Status.parse(status.encode()) == status


def test_too_much_text_for_one_frame_is_refused():
    with pytest.raises(bx.ProtocolError, match="1024"):
        bx.show(5, [(bx.Area(), "号" * 600)])


def test_hall_strip_scrolls_the_lines_left_on_one_line():
    update = bx.parse_show(HallStrip(None, 9).lines_packet(["A012 请到5号窗口", " ", "B003"]))
    ((area, text),) = update.areas
    assert text == "A012 请到5号窗口\u3000\u3000B003"
    assert (area.mode, area.single_line, area.width) == (bx.DisplayMode.SCROLL_LEFT, True, 256)
