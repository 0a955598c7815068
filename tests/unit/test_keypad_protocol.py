"""FF 68 keypad frames (drivers/keypad/protocol.py) against golden bytes and a noisy line.

Source of the golden vectors: /work/shared/DEVICES.md "Caller keypads (叫号器) and rating
keypads (评价器): the FF 68 bus" — frame layout, L, CS, key codes, FUNC 02/03/11, "01 0B" and
the beep example — which follows the vendor sheet "21键点阵液晶呼叫器通讯协议" and
JackQChen/QueueSystem CallSystem/frmMain.cs (SendTicket, SendBeep). Each expected frame below
is written out field by field from those rules, with the checksum summed by hand in a comment.
Which function bytes carry keys, and how a score is acknowledged, follow frmMain.cs at commit
8b1593d (lines 229–249 and 261–373; drivers/keypad/README.md, "Function bytes").
"""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.keypad import protocol as kp

# DEVICES.md, verbatim: "beep to address 5: FF 68 02 02 68 05 03 08 16"
BEEP_5 = bytes.fromhex("FF 68 02 02 68 05 03 08 16")
# FUNC 02, address 3, waiting 012, ticket A045 → digits 00 01 02 | 00 04 05
# CS = 03+02+00+01+02+00+04+05 = 0x11
DISPLAY_3 = bytes.fromhex("FF 68 08 08 68 03 02 00 01 02 00 04 05 11 16")
# frmMain.cs SendTicket's shape: waiting dark (0A 0A 0A), ticket 012 at address 1
# CS = 01+02+0A+0A+0A+00+01+02 = 0x24
TICKET_ONLY_1 = bytes.fromhex("FF 68 08 08 68 01 02 0A 0A 0A 00 01 02 24 16")
# key 0C (call) from address 1; L = 3 (ADDR FUNC KEY); CS = 01+01+0C = 0x0E
CALL_1 = bytes.fromhex("FF 68 03 03 68 01 01 0C 0E 16")
# 6 then 0F (give up = skip) from address 2; CS = 02+01+06+0F = 0x18
GIVE_UP_2 = bytes.fromhex("FF 68 04 04 68 02 01 06 0F 18 16")
# rating pad 9, FUNC 11, score 5; CS = 09+11+05 = 0x1F
SCORE_9 = bytes.fromhex("FF 68 03 03 68 09 11 05 1F 16")
# host → rating pad 9: "01 0B = start rating"; CS = 09+01+0B = 0x15
START_RATING_9 = bytes.fromhex("FF 68 03 03 68 09 01 0B 15 16")
# key 0C (call) from address 1 with function byte 05 or 00 instead of 01 (issue 17 §7);
# CS = 01+05+0C = 0x12 and 01+00+0C = 0x0D
CALL_1_FUNC_05 = bytes.fromhex("FF 68 03 03 68 01 05 0C 12 16")
CALL_1_FUNC_00 = bytes.fromhex("FF 68 03 03 68 01 00 0C 0D 16")
# the reference host's answer to SCORE_9 (frmMain.cs 8b1593d, 243–247): FUNC 01, the score,
# CS = 1F − 10 = 09+01+05 = 0x0F
SCORE_9_ACK = bytes.fromhex("FF 68 03 03 68 09 01 05 0F 16")


def test_golden_frames_are_built_byte_for_byte():
    assert kp.beep_frame(5).encode() == BEEP_5
    assert kp.display_frame(3, 12, "A045").encode() == DISPLAY_3
    assert kp.display_frame(1, None, "A012").encode() == TICKET_ONLY_1
    assert kp.key_frame(1, kp.Key.CALL).encode() == CALL_1
    assert kp.key_frame(2, kp.Key.CONFIRM, "6").encode() == GIVE_UP_2
    assert kp.score_frame(9, 5).encode() == SCORE_9
    assert kp.start_rating_frame(9).encode() == START_RATING_9


def test_golden_frames_parse_back_to_their_fields():
    frames = kp.StreamParser().feed(BEEP_5 + DISPLAY_3 + CALL_1 + GIVE_UP_2 + SCORE_9)
    assert frames == [kp.Frame(5, 0x03), kp.Frame(3, 0x02, bytes([0, 1, 2, 0, 4, 5])),
                      kp.Frame(1, 0x01, b"\x0c"), kp.Frame(2, 0x01, b"\x06\x0f"),
                      kp.Frame(9, 0x11, b"\x05")]
    assert kp.read_display(frames[1]) == ("012", "045")
    assert kp.read_display(kp.StreamParser().feed(TICKET_ONLY_1)[0]) == ("   ", "012")


def test_the_display_caps_the_count_and_shows_the_last_three_digits():
    assert kp.read_display(kp.display_frame(1, 1234, "B1007")) == ("999", "007")
    assert kp.read_display(kp.display_frame(1, 0, None)) == ("000", "   ")
    assert kp.read_display(kp.display_frame(1, 5, "A7")) == ("005", "  7")


@pytest.mark.parametrize(("data", "paused", "action", "digits"), [
    (b"\x0c", False, kp.Action.CALL_NEXT, ""),
    (b"\x0d", False, kp.Action.RECALL, ""),
    (b"\x0e", False, kp.Action.SKIP, ""),
    (b"\x06\x0f", False, kp.Action.SKIP, "6"),  # 6 + 确认 = 弃号 (frmMain.cs GiveUpNo)
    (b"\x0f", False, kp.Action.START, ""),
    (b"\x0b", False, kp.Action.FINISH, ""),  # 评价 ends the visit and asks for a rating
    (b"\x12", False, kp.Action.PAUSE, ""),
    (b"\x02\x12", False, kp.Action.PAUSE, "2"),  # the second configured pause reason
    (b"\x12", True, kp.Action.RESUME, ""),
    (b"\x13", False, kp.Action.TRANSFER, ""),
    (b"\x01\x02\x13", False, kp.Action.TRANSFER, "12"),  # to counter 12
    (b"\x00\x0f", False, kp.Action.HOLD, "0"),  # 0 + 确认 = 挂起
    (b"\x03\x0f", False, kp.Action.UNHOLD, "3"),  # 3 + 确认 = 回呼
])
def test_keys_map_to_counter_actions(data, paused, action, digits):
    press = kp.interpret(kp.Frame(4, kp.Function.KEY, data), paused=paused)
    assert press == kp.Press(4, action, digits, data[-1])


@pytest.mark.parametrize("frame", [
    kp.Frame(4, kp.Function.KEY, b"\x11"),  # 一米线 key: no meaning in Hall
    kp.Frame(4, kp.Function.KEY, b"\x05\x0f"),  # 5 + 确认: no such combination
    kp.Frame(4, kp.Function.KEY, b"\x0c\x0c"),  # a non-digit before the key
    kp.Frame(4, kp.Function.KEY, b""),
    kp.Frame(4, kp.Function.DISPLAY, bytes(6)),  # host → keypad, not a press
    kp.Frame(4, kp.Function.BEEP, b"\x0c"),
    kp.Frame(4, kp.Function.SCORE, b"\x0c"),  # a rating pad's score 12, not a key
])
def test_frames_that_mean_nothing_are_not_presses(frame):
    assert kp.interpret(frame) is None


@pytest.mark.parametrize(("raw", "function"), [(CALL_1_FUNC_05, 0x05), (CALL_1_FUNC_00, 0x00)])
def test_key_frames_with_function_05_or_00_call_next_as_the_reference_host_reads_them(
        raw, function):
    frame, = kp.StreamParser().feed(raw)
    assert frame == kp.Frame(1, function, b"\x0c")
    assert kp.interpret(frame) == kp.Press(1, kp.Action.CALL_NEXT, "", kp.Key.CALL)
    assert kp.key_frame(1, kp.Key.CALL, function=function).encode() == raw


def test_every_function_byte_but_the_hosts_two_and_the_ratings_carries_keys():
    """frmMain.cs (8b1593d) sets only FUNC 11 apart; 02 (display) and 03 (beep) are what a
    host sends, so from a keypad's address they are our own frames heard back."""
    keys = {f for f in range(256) if kp.is_key_frame(kp.Frame(1, f, b"\x0c"))}
    assert keys == set(range(256)) - {0x02, 0x03, 0x11}
    six_then_confirm = kp.Frame(2, 0x05, b"\x06\x0f")  # digits before the key, any function
    assert kp.interpret(six_then_confirm) == kp.Press(2, kp.Action.SKIP, "6", kp.Key.CONFIRM)


def test_a_score_is_acknowledged_with_function_01_and_the_score():
    score, = kp.StreamParser().feed(SCORE_9)
    assert kp.score_ack(score).encode() == SCORE_9_ACK
    assert kp.score_ack(score) != kp.start_rating_frame(9)  # 01 05 is not 01 0B


def test_scores_map_to_the_five_national_levels():
    assert [kp.score_level(kp.score_frame(9, s)) for s in (1, 2, 3, 4, 5)] == [1, 2, 3, 4, 5]
    assert kp.score_level(kp.score_frame(9, 6)) is None
    reverse = {1: 5, 2: 4, 3: 3, 4: 2, 5: 1}  # a pad whose first key is 非常满意
    assert kp.score_level(kp.score_frame(9, 1), reverse) == 5
    assert kp.score_level(kp.key_frame(9, kp.Key.CALL)) is None


def test_noise_before_a_header_is_skipped_and_counted_once_per_run():
    parser = kp.StreamParser()
    assert parser.feed(b"\x00\x13junk" + CALL_1) == [kp.Frame(1, 1, b"\x0c")]
    assert parser.errors["noise"] == 1 and parser.skipped == 6


def test_a_bad_checksum_costs_only_its_own_frame():
    bad = bytearray(CALL_1)
    bad[-2] ^= 0x01
    parser = kp.StreamParser()
    assert parser.feed(bytes(bad) + GIVE_UP_2) == [kp.Frame(2, 1, b"\x06\x0f")]
    assert parser.errors["bad_checksum"] == 1 and parser.errors["noise"] == 0
    assert parser.bad[0].kind == "bad_checksum" and parser.bad[0].raw == bytes(bad)


def test_a_truncated_frame_followed_by_a_good_one_loses_only_itself():
    parser = kp.StreamParser()
    assert parser.feed(DISPLAY_3[:9] + CALL_1) == [kp.Frame(1, 1, b"\x0c")]
    assert parser.errors["truncated"] == 1
    assert parser.feed(CALL_1[:6] + SCORE_9 + BEEP_5) == [kp.Frame(9, 0x11, b"\x05"),
                                                        kp.Frame(5, 3)]
    assert parser.errors["truncated"] == 2


def test_wrong_lengths_and_a_missing_end_byte_are_told_apart():
    parser = kp.StreamParser()
    unequal = bytes.fromhex("FF 68 03 04 68 01 01 0C 0E 16")  # L ≠ L'
    too_long = bytes.fromhex("FF 68 40 40 68 01")  # L above 32
    no_mark = bytes.fromhex("FF 68 03 03 69 01 01 0C 0E 16")
    no_end = CALL_1[:-1] + b"\x17"
    assert parser.feed(unequal + too_long + no_mark + no_end + BEEP_5) == [kp.Frame(5, 3)]
    assert parser.errors["bad_length"] == 3 and parser.errors["bad_end"] == 1
    assert parser.errors["noise"] == 0


def test_a_frame_cut_short_when_the_line_goes_quiet_is_expired_as_truncated():
    parser = kp.StreamParser()
    assert parser.feed(CALL_1[:7]) == [] and parser.pending == 7
    assert parser.expire() == [] and parser.errors["truncated"] == 1 and parser.pending == 0
    assert parser.feed(CALL_1) == [kp.Frame(1, 1, b"\x0c")]


def test_frames_split_byte_by_byte_are_reassembled():
    parser = kp.StreamParser()
    out = [f for b in DISPLAY_3 + SCORE_9 for f in parser.feed(bytes([b]))]
    assert [f.address for f in out] == [3, 9] and sum(parser.errors.values()) == 0


frames_st = st.builds(kp.Frame, st.integers(0, 0xFE), st.sampled_from(list(kp.Function)),
                      st.binary(max_size=8).map(lambda b: bytes(x % 0x14 for x in b)))
noise_st = st.binary(max_size=12).map(lambda b: b.replace(b"\xff", b""))


@given(st.lists(st.tuples(noise_st, frames_st), max_size=8), st.integers(1, 7))
def test_every_good_frame_survives_noise_between_frames_in_any_chunking(items, step):
    stream = b"".join(noise + frame.encode() for noise, frame in items)
    parser = kp.StreamParser()
    found = [f for i in range(0, len(stream), step) for f in parser.feed(stream[i:i + step])]
    assert found == [frame for _, frame in items]
    assert parser.errors["noise"] <= len(stream) and parser.errors["bad_checksum"] == 0


@given(st.binary(max_size=300), st.integers(1, 9))
def test_the_parser_never_raises_on_any_bytes(data, step):
    parser = kp.StreamParser()
    for i in range(0, len(data), step):
        parser.feed(data[i:i + step])
    parser.expire()
    assert parser.pending == 0


def test_frames_refuse_values_that_do_not_fit_a_byte():
    with pytest.raises(ValueError):
        kp.Frame(256, 1).encode()
    with pytest.raises(ValueError):
        kp.Frame(1, 1, bytes(40)).encode()
    with pytest.raises(ValueError):
        kp.key_frame(1, kp.Key.CALL, "1a")
