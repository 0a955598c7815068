"""What the hall's voice says for a call (DESIGN.md §3): the sentence in Mandarin and English
for a speech engine, and the same call as the clips of the recorded voice pack.

A call such as ticket ``A012`` to window 5 is read the way hall systems read it, one recorded
clip per unit::

    zh: chime 请 A 零 一 二 号 到 五 号 窗口 办理
    en: chime number A zero one two, please go to window five

This is the one table of clip names: ``ticket.called`` and ``ticket.recalled`` carry a call's
clips (``call_text``), so the pages that play them (display/static/voice.js) never name a
clip themselves, and display/voice.py joins the same names into one WAV. The files are under
display/static/voice/ (a hall's own recordings under instance/voice/ use the same names).
"""
from __future__ import annotations

from typing import Any

LANGS = ("zh", "en")
LETTERS = tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
DIGITS = tuple("0123456789")

# Clip names, without ".wav", relative to the pack (or to the hall's override folder).
CHIME = "chime"
ZH_WORDS = ("zh/qing", "zh/hao", "zh/dao", "zh/chuangkou", "zh/banli", "zh/shi")
EN_WORDS = ("en/number", "en/please_go_to", "en/window", "en/counter")
EN_NUMBERS = tuple(f"en/{n}" for n in range(10, 20)) + tuple(
    f"en/{n}" for n in range(20, 100, 10)
)


class VoiceError(ValueError):
    """An announcement that cannot be read, or a clip that cannot be used."""


def call_text(number: str, counter_number: int, holder: str | None = None) -> dict[str, Any]:
    """The words of a call and, under ``clips``, the pack's clips for it: ``chime``, then
    one list per language (absent when the number has units no clip reads). ``holder``
    (calling by name, masked: 张*女士) is spoken as 张女士 by a speech engine; the clips
    read the number only."""
    spaced = " ".join(number)  # "A 0 1 2": read digit by digit, as halls do
    spoken = holder.replace("*", "") if holder else ""
    out: dict[str, Any] = {
        "zh": f"请 {number} 号{' ' + spoken + ' ' if spoken else ''}到 {counter_number} 号窗口办理",
        "en": f"Number {spaced}, please go to window {counter_number}",
    }
    try:
        out["clips"] = {"chime": [CHIME], **{
            lang: announcement_parts(number, counter_number, lang, chime=False)
            for lang in LANGS}}
    except VoiceError:
        pass  # the pages fall back to their speech engine, or stay silent
    return out


def all_clip_names() -> list[str]:
    """Every clip the shipped pack holds (and that announcement_parts may name)."""
    names = [CHIME, *ZH_WORDS]
    names += [f"zh/{c}" for c in DIGITS + LETTERS]
    names += list(EN_WORDS)
    names += [f"en/{c}" for c in DIGITS + LETTERS]
    names += list(EN_NUMBERS)
    return names


def _ticket_units(number: str) -> list[str]:
    text = str(number).strip().upper()
    if not text:
        raise VoiceError("empty ticket number")
    units = []
    for ch in text:
        if ch in LETTERS or ch in DIGITS:
            units.append(ch)
        else:
            raise VoiceError(f"ticket number {number!r}: cannot read {ch!r} (only A-Z and 0-9)")
    return units


def _check_counter(counter: int) -> int:
    if isinstance(counter, bool) or not isinstance(counter, int):
        raise VoiceError(f"counter must be an int, not {counter!r}")
    if counter < 1:
        raise VoiceError(f"counter must be 1 or more, not {counter}")
    return counter


def zh_counter_units(counter: int) -> list[str]:
    """How a hall says a window number in Mandarin: 5 五, 10 十, 12 十二, 20 二十, 35 三十五.

    Numbers of 100 and more are read digit by digit (一零一), as room numbers are.
    """
    n = _check_counter(counter)
    if n < 10:
        return [str(n)]
    if n < 100:
        tens, ones = divmod(n, 10)
        units = [] if tens == 1 else [str(tens)]
        units.append("shi")
        if ones:
            units.append(str(ones))
        return units
    return list(str(n))


def en_counter_units(counter: int) -> list[str]:
    """English window numbers: 5 five, 12 twelve, 35 thirty five; 100 and more digit by digit."""
    n = _check_counter(counter)
    if n < 20:
        return [str(n)]
    if n < 100:
        tens, ones = divmod(n, 10)
        return [str(tens * 10)] + ([str(ones)] if ones else [])
    return list(str(n))


def announcement_parts(
    number: str,
    counter: int,
    lang: str = "zh",
    *,
    chime: bool = True,
    counter_word: str = "window",
) -> list[str]:
    """The clip names for one call, in order.

    >>> announcement_parts("A012", 5, "zh")  # doctest: +NORMALIZE_WHITESPACE
    ['chime', 'zh/qing', 'zh/A', 'zh/0', 'zh/1', 'zh/2', 'zh/hao', 'zh/dao', 'zh/5', 'zh/hao',
     'zh/chuangkou', 'zh/banli']
    >>> announcement_parts("A012", 35, "en", chime=False)  # doctest: +NORMALIZE_WHITESPACE
    ['en/number', 'en/A', 'en/0', 'en/1', 'en/2', 'en/please_go_to', 'en/window', 'en/30',
     'en/5']

    ``chime=False`` leaves the chime out (e.g. for the English reading that follows the
    Mandarin one); ``counter_word`` is "window" or "counter" (English only).
    """
    ticket = _ticket_units(number)
    head = [CHIME] if chime else []
    if lang == "zh":
        return (
            head
            + ["zh/qing"]
            + [f"zh/{u}" for u in ticket]
            + ["zh/hao", "zh/dao"]
            + [f"zh/{u}" for u in zh_counter_units(counter)]
            + ["zh/hao", "zh/chuangkou", "zh/banli"]
        )
    if lang == "en":
        if counter_word not in ("window", "counter"):
            raise VoiceError(f"counter_word must be 'window' or 'counter', not {counter_word!r}")
        return (
            head
            + ["en/number"]
            + [f"en/{u}" for u in ticket]
            + ["en/please_go_to", f"en/{counter_word}"]
            + [f"en/{u}" for u in en_counter_units(counter)]
        )
    raise VoiceError(f"unknown language {lang!r} (expected one of {', '.join(LANGS)})")
