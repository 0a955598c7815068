"""Offline voice: which clips a call names, the shipped pack, joining, hall overrides
(display/voice.py, display/static/voice/, display/voice_build.py)."""
from __future__ import annotations

import array
import hashlib
import io
import math
import shutil
import subprocess
import wave
from pathlib import Path

import pytest

from display import voice

PACK = voice.PACK_DIR


def _frames(path: Path) -> int:
    with wave.open(str(path), "rb") as w:
        return w.getnframes()


def _tone(path: Path, seconds=0.2, rate=voice.RATE, channels=1, width=2, freq=440.0):
    """Write a sine WAV in any PCM format; returns the frame count."""
    n = int(seconds * rate)
    frames = bytearray()
    for i in range(n):
        v = int(12000 * math.sin(2 * math.pi * freq * i / rate))
        if width == 1:
            sample = bytes([(v >> 8) + 128])
        else:
            sample = (v << (8 * (width - 2))).to_bytes(width, "little", signed=True)
        frames += sample * channels
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return n


# -- what is said ---------------------------------------------------------------------------------


def test_zh_parts_of_the_example_call():
    assert voice.announcement_parts("A012", 5, "zh") == [
        "chime", "zh/qing", "zh/A", "zh/0", "zh/1", "zh/2", "zh/hao",
        "zh/dao", "zh/5", "zh/hao", "zh/chuangkou", "zh/banli",
    ]  # fmt: skip


def test_en_parts_of_the_example_call():
    assert voice.announcement_parts("A012", 5, "en") == [
        "chime", "en/number", "en/A", "en/0", "en/1", "en/2",
        "en/please_go_to", "en/window", "en/5",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("counter", "zh", "en"),
    [
        (1, ["1"], ["1"]),
        (5, ["5"], ["5"]),
        (10, ["shi"], ["10"]),  # 十, not 一十
        (12, ["shi", "2"], ["12"]),  # 十二
        (20, ["2", "shi"], ["20"]),  # 二十
        (35, ["3", "shi", "5"], ["30", "5"]),  # 三十五 / thirty five
        (40, ["4", "shi"], ["40"]),  # 四十
        (99, ["9", "shi", "9"], ["90", "9"]),
        (101, ["1", "0", "1"], ["1", "0", "1"]),  # room-number style past 99
    ],
)
def test_counter_numbers_are_read_as_halls_read_them(counter, zh, en):
    assert voice.zh_counter_units(counter) == zh
    assert voice.en_counter_units(counter) == en
    zh_parts = voice.announcement_parts("B7", counter, "zh")
    assert zh_parts == ["chime", "zh/qing", "zh/B", "zh/7", "zh/hao", "zh/dao"] + [
        f"zh/{u}" for u in zh
    ] + ["zh/hao", "zh/chuangkou", "zh/banli"]
    en_parts = voice.announcement_parts("B7", counter, "en", chime=False, counter_word="counter")
    assert en_parts == ["en/number", "en/B", "en/7", "en/please_go_to", "en/counter"] + [
        f"en/{u}" for u in en
    ]


def test_ticket_number_is_read_unit_by_unit_and_case_insensitively():
    assert voice.announcement_parts("vip1000", 3, "zh", chime=False)[:8] == [
        "zh/qing", "zh/V", "zh/I", "zh/P", "zh/1", "zh/0", "zh/0", "zh/0",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("number", "counter", "lang", "match"),
    [
        ("A-12", 5, "zh", "cannot read '-'"),
        ("", 5, "zh", "empty"),
        ("A012", 0, "zh", "1 or more"),
        ("A012", True, "zh", "must be an int"),
        ("A012", "5", "zh", "must be an int"),
        ("A012", 5, "fr", "unknown language"),
    ],
)
def test_unreadable_calls_are_refused(number, counter, lang, match):
    with pytest.raises(voice.VoiceError, match=match):
        voice.announcement_parts(number, counter, lang)


def test_counter_word_must_be_window_or_counter():
    with pytest.raises(voice.VoiceError, match="counter_word"):
        voice.announcement_parts("A1", 1, "en", counter_word="desk")


# -- the shipped pack -----------------------------------------------------------------------------


def test_every_clip_of_the_pack_exists_in_one_format_with_a_plausible_length():
    for name in voice.all_clip_names():
        path = PACK / f"{name}.wav"
        assert path.is_file(), f"missing {path}"
        with wave.open(str(path), "rb") as w:
            fmt = (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getcomptype())
            assert fmt == (1, 2, 22050, "NONE"), f"{path}: {fmt}"
            seconds = w.getnframes() / w.getframerate()
        longest = 2.0 if name == "chime" else 1.2
        assert 0.15 < seconds < longest, f"{path}: {seconds:.3f} s"


def test_every_clip_a_call_can_name_is_in_the_pack():
    names = set(voice.all_clip_names())
    prefixes = "".join(voice.LETTERS)
    for lang in voice.LANGS:
        for counter in range(1, 131):
            for number in (prefixes + "0123456789", "A012"):
                parts = voice.announcement_parts(number, counter, lang)
                assert set(parts) <= names, set(parts) - names
                voice.clip_paths(parts)  # resolves every one of them


def test_the_mandarin_clips_are_all_different_and_trimmed():
    words = list(voice.ZH_WORDS) + [f"zh/{d}" for d in voice.DIGITS]
    digests = {hashlib.sha256((PACK / f"{n}.wav").read_bytes()).hexdigest() for n in words}
    assert len(digests) == len(words)
    for name in words:
        samples = array.array("h", voice.clip_frames(PACK / f"{name}.wav"))
        edge = voice.RATE // 100  # 10 ms
        assert max(map(abs, samples[:edge])) < 1000, name  # 10 ms of quiet, then speech
        assert max(map(abs, samples[-edge:])) < 1000, name
        assert max(map(abs, samples)) > 6000, name  # normalised, not near-silent
    # two syllables take longer than one
    assert _frames(PACK / "zh/chuangkou.wav") > _frames(PACK / "zh/hao.wav")


def test_the_pack_is_small():
    total = sum(p.stat().st_size for p in PACK.rglob("*") if p.is_file())
    assert total < 3 * 1024 * 1024


def test_the_chime_is_rebuilt_byte_for_byte_from_the_build_script(tmp_path):
    from display import voice_build

    voice_build.write(tmp_path / "chime.wav", voice_build.normalise(voice_build.chime()))
    assert (tmp_path / "chime.wav").read_bytes() == (PACK / "chime.wav").read_bytes()


def _espeak_151() -> bool:
    if shutil.which("espeak-ng") is None:
        return False
    out = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True).stdout
    return "NG text-to-speech: 1.51 " in out


def test_the_whole_pack_is_rebuilt_byte_for_byte_by_the_build_script(capsys):
    from display import voice_build
    from tests.conftest import unavailable

    if not _espeak_151():  # a dev-time tool; .ci/run installs it
        unavailable("Debian's espeak-ng 1.51", "not installed")

    assert voice_build.main(["--check"]) == 0
    assert f"{len(voice.all_clip_names())}/{len(voice.all_clip_names())} clips identical" in (
        capsys.readouterr().out
    )


# -- joining --------------------------------------------------------------------------------------


def test_join_is_deterministic_and_as_long_as_the_clips_plus_the_gaps():
    paths = voice.clip_paths(voice.announcement_parts("A012", 35, "zh"))
    first = voice.join_clips(paths)
    assert voice.join_clips(paths) == first
    gap = 22050 * 80 // 1000
    expected = sum(_frames(p) for p in paths) + gap * (len(paths) - 1)
    with wave.open(io.BytesIO(first), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 22050)
        assert w.getnframes() == expected
        audio = w.readframes(w.getnframes())
    assert len(first) == 44 + 2 * expected
    # the clips really are in there, in order, with silent gaps between them
    first_clip, second_clip = voice.clip_frames(paths[0]), voice.clip_frames(paths[1])
    assert audio.startswith(first_clip + bytes(2 * gap) + second_clip)
    # about 6-7 s for a Mandarin call
    assert 4.0 < expected / 22050 < 9.0


@pytest.mark.parametrize("gap_ms", [0, 200])
def test_join_gap_is_configurable(gap_ms):
    paths = [PACK / "zh/qing.wav", PACK / "zh/hao.wav", PACK / "zh/dao.wav"]
    with wave.open(io.BytesIO(voice.join_clips(paths, gap_ms=gap_ms)), "rb") as w:
        assert w.getnframes() == sum(map(_frames, paths)) + 2 * (22050 * gap_ms // 1000)


def test_join_of_nothing_is_an_empty_wav():
    with wave.open(io.BytesIO(voice.join_clips([])), "rb") as w:
        assert w.getnframes() == 0


def test_announcement_wav_joins_the_parts():
    paths = voice.clip_paths(voice.announcement_parts("C3", 12, "en"))
    assert voice.announcement_wav("C3", 12, "en") == voice.join_clips(paths)


def test_a_missing_clip_is_a_clear_error_naming_the_file(tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(PACK / "zh", pack / "zh")
    (pack / "zh" / "hao.wav").unlink()
    with pytest.raises(voice.MissingClipError) as err:
        voice.resolve_clip("zh/hao", tmp_path / "override", pack)
    assert str(pack / "zh" / "hao.wav") in str(err.value)
    assert str(tmp_path / "override" / "zh" / "hao.wav") in str(err.value)
    with pytest.raises(voice.MissingClipError, match="zh/hao"):
        voice.announcement_wav("A1", 1, "zh", pack_dir=pack, chime=False)
    gone = tmp_path / "nowhere" / "qing.wav"
    with pytest.raises(voice.MissingClipError, match=str(gone)):
        voice.join_clips([PACK / "zh/qing.wav", gone])


def test_a_file_that_is_not_a_pcm_wav_is_a_clear_error(tmp_path):
    bad = tmp_path / "qing.wav"
    bad.write_bytes(b"ID3 this is an mp3 renamed")
    with pytest.raises(voice.VoiceError, match=f"{bad}.*16-bit PCM WAV"):
        voice.join_clips([bad])


@pytest.mark.parametrize("name", ["../secret", "/etc/passwd", "zh//qing", ""])
def test_clip_names_cannot_leave_the_pack(name):
    with pytest.raises(voice.VoiceError, match="bad clip name"):
        voice.resolve_clip(name)


# -- a hall's own recordings ----------------------------------------------------------------------


def test_a_halls_recording_takes_precedence_file_by_file(tmp_path):
    override = tmp_path / "voice"
    n = _tone(override / "zh" / "qing.wav", seconds=0.3)
    assert voice.resolve_clip("zh/qing", override) == override / "zh" / "qing.wav"
    assert voice.resolve_clip("zh/hao", override) == PACK / "zh" / "hao.wav"
    parts = voice.announcement_parts("A012", 5, "zh")
    mixed = voice.announcement_wav("A012", 5, "zh", override_dir=override)
    shipped = voice.announcement_wav("A012", 5, "zh")
    assert mixed != shipped
    with wave.open(io.BytesIO(mixed), "rb") as w:
        gap = 22050 * 80 // 1000
        others = sum(_frames(PACK / f"{p}.wav") for p in parts if p != "zh/qing")
        assert w.getnframes() == others + n + gap * (len(parts) - 1)


def test_default_override_dir_follows_hall_instance(monkeypatch, tmp_path):
    monkeypatch.setenv("HALL_INSTANCE", str(tmp_path / "inst"))
    assert voice.default_override_dir() == (tmp_path / "inst" / "voice").resolve()


@pytest.mark.parametrize(
    ("rate", "channels", "width"),
    [(44100, 2, 2), (48000, 1, 3), (16000, 1, 1), (22050, 2, 4), (8000, 1, 2)],
)
def test_a_halls_recording_in_another_pcm_format_is_converted(tmp_path, rate, channels, width):
    path = tmp_path / "voice" / "zh" / "dao.wav"
    n = _tone(path, seconds=0.5, rate=rate, channels=channels, width=width)
    data = voice.join_clips([path])
    with wave.open(io.BytesIO(data), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 22050)
        assert w.getnframes() == n * 22050 // rate
        samples = array.array("h", w.readframes(w.getnframes()))
    assert 9000 < max(samples) <= 12100  # the level survives conversion
    assert voice.join_clips([path]) == data  # and is deterministic
