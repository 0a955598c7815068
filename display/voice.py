"""Offline voice announcements: a clip pack joined in order, standard library only.

Which clips a call names is hall/domain/announce.py's (``announcement_parts``, re-exported
here): the one table the pages' player (static/voice.js, which gets the names with each
call's event) and this module share. ``resolve_clip`` finds each clip (a hall's own
recording in ``instance/voice/`` wins over the shipped pack in ``display/static/voice/``,
file by file) and ``join_clips`` joins them into one WAV with a short gap between clips. The
result depends only on the clip files and the arguments, so the same call gives the same
bytes every time.

The pack's format is 22050 Hz, mono, 16-bit PCM. A hall's own recording may be any PCM WAV
(8/16/24/32-bit, mono or stereo, any rate): it is converted to the pack's format when joined.
"""
from __future__ import annotations

import array
import io
import os
import sys
import wave
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

from hall.domain.announce import (  # noqa: F401 - the names this module's users know
    DIGITS,
    EN_NUMBERS,
    EN_WORDS,
    LANGS,
    LETTERS,
    ZH_WORDS,
    VoiceError,
    all_clip_names,
    announcement_parts,
    en_counter_units,
    zh_counter_units,
)

PACK_DIR = Path(__file__).resolve().parent / "static" / "voice"
RATE = 22050
SAMPLE_WIDTH = 2  # bytes: 16-bit signed PCM
CHANNELS = 1


class MissingClipError(FileNotFoundError):
    """A clip file does not exist; the message names the file(s) looked for."""


# -- where the clips are -------------------------------------------------------------------------


def default_override_dir() -> Path:
    """``<instance>/voice``: the hall's own recordings (HALL_INSTANCE, default ./instance)."""
    return Path(os.environ.get("HALL_INSTANCE", "instance")).resolve() / "voice"


def _clip_file(base: Path, name: str) -> Path:
    parts = name.split("/")
    if not name or any(p in ("", ".", "..") for p in parts) or "\\" in name:
        raise VoiceError(f"bad clip name {name!r}")
    return base.joinpath(*parts).with_name(parts[-1] + ".wav")


def resolve_clip(
    name: str, override_dir: Path | str | None = None, pack_dir: Path | str = PACK_DIR
) -> Path:
    """The file for clip ``name`` (e.g. "zh/qing"): the hall's override if it has one, else the
    shipped pack's. Raises MissingClipError naming every file looked for."""
    tried = []
    for base in ([Path(override_dir)] if override_dir is not None else []) + [Path(pack_dir)]:
        path = _clip_file(base, name)
        if path.is_file():
            return path
        tried.append(str(path))
    raise MissingClipError(f"voice clip {name!r} not found: looked for {' and '.join(tried)}")


def clip_paths(
    names: Iterable[str],
    override_dir: Path | str | None = None,
    pack_dir: Path | str = PACK_DIR,
) -> list[Path]:
    return [resolve_clip(n, override_dir, pack_dir) for n in names]


# -- joining -------------------------------------------------------------------------------------


def _to_int16_mono(raw: bytes, width: int, channels: int) -> array.array:
    """Decode little-endian PCM of any common width to signed 16-bit mono samples."""
    if width == 2:
        samples = array.array("h")
        samples.frombytes(raw)
        if sys.byteorder == "big":
            samples.byteswap()
    elif width == 1:  # unsigned 8-bit
        samples = array.array("h", ((b - 128) << 8 for b in raw))
    elif width in (3, 4):
        samples = array.array(
            "h",
            (
                int.from_bytes(raw[i : i + width], "little", signed=True) >> (8 * (width - 2))
                for i in range(0, len(raw), width)
            ),
        )
    else:
        raise VoiceError(f"unsupported sample width {width}")
    if channels == 1:
        return samples
    return array.array(
        "h",
        (sum(samples[i : i + channels]) // channels for i in range(0, len(samples), channels)),
    )


def _resample(samples: array.array, src: int, dst: int) -> array.array:
    """Linear interpolation in integer arithmetic (deterministic); a box filter first when
    going down in rate, so a 44.1/48 kHz recording does not alias badly."""
    if src == dst or not samples:
        return samples
    if src > dst:
        k = -(-src // dst)  # ceil
        if k > 1:
            acc, run = 0, []
            for i, s in enumerate(samples):
                acc += s
                if i >= k:
                    acc -= samples[i - k]
                run.append(acc // min(i + 1, k))
            samples = array.array("h", run)
    n_out = max(1, len(samples) * dst // src)
    last = len(samples) - 1
    out = array.array("h", bytes(2 * n_out))
    for i in range(n_out):
        num = i * src
        j, frac = divmod(num, dst)
        a = samples[min(j, last)]
        b = samples[min(j + 1, last)]
        out[i] = (a * (dst - frac) + b * frac) // dst
    return out


@lru_cache(maxsize=256)
def _load(path: str, mtime_ns: int, size: int) -> bytes:
    try:
        with wave.open(path, "rb") as w:
            width, channels, rate = w.getsampwidth(), w.getnchannels(), w.getframerate()
            raw = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as exc:
        raise VoiceError(
            f"voice clip {path} is not a PCM WAV file ({exc}); save it as 16-bit PCM WAV"
        ) from exc
    if (width, channels, rate) == (SAMPLE_WIDTH, CHANNELS, RATE) and sys.byteorder == "little":
        return raw
    samples = _resample(_to_int16_mono(raw, width, channels), rate, RATE)
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def clip_frames(path: Path | str) -> bytes:
    """A clip's audio as 16-bit little-endian mono frames at RATE (converted if need be)."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise MissingClipError(f"voice clip not found: {p}") from None
    if not p.is_file():
        raise MissingClipError(f"voice clip not found: {p} is not a file")
    return _load(str(p), st.st_mtime_ns, st.st_size)


def join_clips(paths: Sequence[Path | str], gap_ms: int = 80) -> bytes:
    """One WAV (RATE Hz, mono, 16-bit) of the clips in order with ``gap_ms`` of silence between
    consecutive clips. The same clips give the same bytes."""
    if gap_ms < 0:
        raise VoiceError(f"gap_ms must not be negative, not {gap_ms}")
    gap = bytes(SAMPLE_WIDTH * CHANNELS * (RATE * gap_ms // 1000))
    chunks = []
    for i, path in enumerate(paths):
        if i:
            chunks.append(gap)
        chunks.append(clip_frames(path))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(CHANNELS)
        w.setsampwidth(SAMPLE_WIDTH)
        w.setframerate(RATE)
        w.writeframes(b"".join(chunks))
    return buf.getvalue()


def announcement_wav(
    number: str,
    counter: int,
    lang: str = "zh",
    *,
    override_dir: Path | str | None = None,
    pack_dir: Path | str = PACK_DIR,
    gap_ms: int = 80,
    chime: bool = True,
    counter_word: str = "window",
) -> bytes:
    """The joined WAV for one call in one language (overrides from ``override_dir``)."""
    names = announcement_parts(number, counter, lang, chime=chime, counter_word=counter_word)
    return join_clips(clip_paths(names, override_dir, pack_dir), gap_ms=gap_ms)
