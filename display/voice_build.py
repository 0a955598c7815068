"""Dev-time only: regenerate the offline voice pack in display/static/voice/ from eSpeak NG.

Nothing here runs in production; the hall only reads the WAV files this writes (display/voice.py).
Needs Debian's espeak-ng (``apt-get install espeak-ng``; the shipped pack was made with
1.51+dfsg-10+deb12u2). Mandarin uses the ``cmn-latn-pinyin`` voice fed tone-numbered pinyin:
Debian's plain ``cmn`` voice reads the pinyin its dictionary produces with English rules
(请 comes out as "king three"), ``cmn-latn-pinyin`` reads it as Mandarin with the four tones.
All clips use the "hall" voice variant defined below (a female voice with a wide pitch range,
so the tones carry), written into a temporary copy of espeak-ng's data: the system's data
folder is not touched.

    .venv/bin/python -m display.voice_build            # rewrite the pack
    .venv/bin/python -m display.voice_build --check    # rebuild in a temp dir, compare bytes
    .venv/bin/python -m display.voice_build --phonemes # what espeak-ng makes of each clip

Each clip: espeak-ng writes a 22050 Hz mono 16-bit WAV; the silence espeak-ng puts around
the speech is trimmed to 10 ms each side (3 ms fades), and the level is set to the same
loudness (-20 dBFS RMS over the speech, peaks held under -1 dBFS). The chime is synthesised
here with the math module. The output is byte-for-byte the same on every run.
"""
from __future__ import annotations

import argparse
import array
import filecmp
import math
import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

from display import voice

ESPEAK = "espeak-ng"
ZH_VOICE = "cmn-latn-pinyin"
EN_VOICE = "en"  # eSpeak NG's reference English (British); letters as English letter names
ZH_SPEED = 150  # words per minute (espeak-ng -s)
EN_SPEED = 155
VARIANT = "hall"
# A voice variant written into a temporary copy of espeak-ng's data: Debian's "f2" (female2)
# with the pitch range widened from 142-220 to 120-300 Hz and its echo removed (halls echo
# enough). The stock Mandarin voice (82-118 Hz) moves a 4th tone down only ~3 semitones and a
# 2nd tone up ~2; with this range they move ~7 and ~6, so the tones are easier to tell apart.
HALL_VARIANT = """\
language variant
name hall
gender female

pitch 120 300
roughness 3

formant 0 105  80 150
formant 1 110  80 160
formant 2 110  70 150
formant 3 110  70 150
formant 4 115  80 150
formant 5 115  80 150
formant 6 110  70 150
formant 7 110  70 150
formant 8 110  70 150

stressAdd 0 0 -10 -10 0 0 10 40
breath 0 2 3 3 3 3 3 2
consonants 125 125
"""

# clip name -> (Hanzi for the record, the tone-numbered pinyin fed to espeak-ng)
ZH_TEXT = {
    "zh/qing": ("请", "qing3"),
    "zh/hao": ("号", "hao4"),
    "zh/dao": ("到", "dao4"),
    "zh/chuangkou": ("窗口", "chuang1kou3"),
    "zh/banli": ("办理", "ban4li3"),
    "zh/shi": ("十", "shi2"),
    "zh/0": ("零", "ling2"),
    "zh/1": ("一", "yi1"),
    "zh/2": ("二", "er4"),
    "zh/3": ("三", "san1"),
    "zh/4": ("四", "si4"),
    "zh/5": ("五", "wu3"),
    "zh/6": ("六", "liu4"),
    "zh/7": ("七", "qi1"),
    "zh/8": ("八", "ba1"),
    "zh/9": ("九", "jiu3"),
}
EN_DIGITS = "zero one two three four five six seven eight nine".split()
EN_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen"
EN_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
EN_TEXT = {
    "en/number": "number",
    "en/please_go_to": "please go to",
    "en/window": "window",
    "en/counter": "counter",
    **{f"en/{d}": w for d, w in enumerate(EN_DIGITS)},
    **{f"en/{10 + i}": w for i, w in enumerate(EN_TEENS.split())},
    **{f"en/{20 + 10 * i}": w for i, w in enumerate(EN_TENS)},
}
# Letters: Chinese halls say the prefix letter as the English letter name, in both languages.
LETTER_TEXT = {f"{lang}/{c}": c for lang in voice.LANGS for c in voice.LETTERS}

SILENCE = 64  # |sample| at or below this (about -54 dBFS) counts as silence when trimming
PAD_MS = 10
FADE_MS = 3
TARGET_RMS = 32768 * 10 ** (-20 / 20)
PEAK_MAX = 32768 * 10 ** (-1 / 20)


def plan(variant: str = VARIANT) -> dict[str, tuple[str, int, str]]:
    """clip name -> (espeak-ng voice, speed, text) for every spoken clip."""
    sfx = f"+{variant}" if variant else ""
    jobs = {name: (ZH_VOICE + sfx, ZH_SPEED, py) for name, (_, py) in ZH_TEXT.items()}
    jobs.update({n: (EN_VOICE + sfx, EN_SPEED, t) for n, t in EN_TEXT.items()})
    jobs.update({n: (EN_VOICE + sfx, EN_SPEED, t) for n, t in LETTER_TEXT.items()})
    return jobs


def espeak_version(espeak: str = ESPEAK) -> str:
    return subprocess.run([espeak, "--version"], capture_output=True, text=True, check=True).stdout


def data_dir(espeak: str = ESPEAK) -> Path:
    """The espeak-ng-data folder the binary uses ("Data at: ..." in --version)."""
    return Path(espeak_version(espeak).split("Data at:")[1].strip())


def with_hall_variant(espeak: str, tmp: Path) -> Path:
    """A copy of espeak-ng's data with the hall variant added; pass its parent as --path."""
    data = tmp / "espeak-ng-data"
    shutil.copytree(data_dir(espeak), data)
    (data / "voices" / "!v" / VARIANT).write_text(HALL_VARIANT, encoding="ascii")
    return tmp


def phonemes(text: str, voice_name: str, espeak: str = ESPEAK) -> str:
    """espeak-ng's phoneme mnemonics (-x) for text."""
    out = subprocess.run(
        [espeak, "-q", "-x", "-v", voice_name, text], capture_output=True, text=True, check=True
    )
    return " ".join(out.stdout.split())


def speak(text: str, voice_name: str, speed: int, espeak: str, path: Path) -> array.array:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "clip.wav"
        cmd = [espeak, f"--path={path}", "-v", voice_name, "-s", str(speed), "-w", str(out)]
        subprocess.run([*cmd, text], check=True)
        return samples_of(out)


def samples_of(path: Path) -> array.array:
    """A WAV as 16-bit mono samples at the pack's rate."""
    return array.array("h", voice.clip_frames(path))


def fade(samples: array.array) -> array.array:
    n = min(len(samples) // 2, voice.RATE * FADE_MS // 1000)
    out = array.array("h", samples)
    for i in range(n):
        out[i] = out[i] * i // n
        out[-1 - i] = out[-1 - i] * i // n
    return out


def trim(samples: array.array) -> array.array:
    """The speech with PAD_MS of quiet each side (silence added where espeak-ng starts or ends
    right at the speech, as it does before a vowel or a sonorant), faded in and out."""
    loud = [i for i, s in enumerate(samples) if abs(s) > SILENCE]
    if not loud:
        raise SystemExit("espeak-ng produced silence")
    pad = voice.RATE * PAD_MS // 1000
    start, end = loud[0] - pad, loud[-1] + 1 + pad
    body = fade(samples[max(0, start) : min(len(samples), end)])
    before = array.array("h", bytes(2 * max(0, -start)))
    after = array.array("h", bytes(2 * max(0, end - len(samples))))
    return before + body + after


def loudness(samples: array.array) -> float:
    """RMS over the 20 ms windows within 20 dB of the loudest one (the speech, not the gaps)."""
    win = voice.RATE // 50
    rms = []
    for i in range(0, len(samples), win):
        chunk = samples[i : i + win]
        rms.append(math.sqrt(sum(s * s for s in chunk) / len(chunk)))
    top = max(rms)
    active = [r for r in rms if r >= top / 10]
    return math.sqrt(sum(r * r for r in active) / len(active))


def normalise(samples: array.array) -> array.array:
    gain = TARGET_RMS / loudness(samples)
    peak = max(abs(s) for s in samples)
    gain = min(gain, PEAK_MAX / peak)
    return array.array("h", (max(-32768, min(32767, round(s * gain))) for s in samples))


def chime() -> array.array:
    """叮咚: E5 then C5 (a falling major third), each a decaying tone with two overtones."""
    rate = voice.RATE
    notes = [(0.0, 659.25), (0.42, 523.25)]  # (start s, Hz)
    partials = [(1, 1.0), (2, 0.35), (3, 0.12)]  # (multiple, amplitude)
    tau, attack, total = 0.42, 0.004, 1.6
    n = int(total * rate)
    acc = [0.0] * n
    for start, freq in notes:
        first = int(start * rate)
        for k in range(n - first):
            t = k / rate
            env = min(1.0, t / attack)
            v = 0.0
            for mult, amp in partials:
                v += amp * math.exp(-t * mult / tau) * math.sin(2 * math.pi * freq * mult * t)
            acc[first + k] += env * v
    tail = int(0.08 * rate)
    for k in range(tail):
        acc[n - 1 - k] *= k / tail
    peak = max(abs(v) for v in acc)
    return array.array("h", (round(v / peak * 16000) for v in acc))


def write(path: Path, samples: array.array) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if sys.byteorder == "big":
        samples = array.array("h", samples)
        samples.byteswap()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(voice.CHANNELS)
        w.setsampwidth(voice.SAMPLE_WIDTH)
        w.setframerate(voice.RATE)
        w.writeframes(samples.tobytes())


def build(out: Path, espeak: str = ESPEAK, variant: str = VARIANT) -> list[Path]:
    written = []
    path = out / "chime.wav"
    write(path, normalise(chime()))
    written.append(path)
    with tempfile.TemporaryDirectory() as tmp:
        data = with_hall_variant(espeak, Path(tmp))
        for name, (voice_name, speed, text) in plan(variant).items():
            path = out / f"{name}.wav"
            samples = speak(text, voice_name, speed, espeak, data)
            write(path, normalise(trim(samples)))
            written.append(path)
    missing = set(voice.all_clip_names()) - {str(p.relative_to(out))[:-4] for p in written}
    if missing:
        raise SystemExit(f"the plan misses clips: {sorted(missing)}")
    return written


def print_phonemes(espeak: str = ESPEAK) -> int:
    """The phonemes espeak-ng makes of each Mandarin clip, from the pinyin and from the Hanzi."""
    bad = 0
    for name, (hanzi, py) in ZH_TEXT.items():
        from_py = phonemes(py, ZH_VOICE, espeak)
        from_hz = phonemes(hanzi, ZH_VOICE, espeak)
        plain = phonemes(hanzi, "cmn", espeak)
        same = from_py.replace(" ", "").replace("_|", "").replace("'", "") == from_hz.replace(
            " ", ""
        ).replace("_|", "").replace("'", "")
        bad += not same
        print(f"{name:14} {hanzi:4} {py:12} {from_py:26} hanzi:{from_hz:30} cmn:{plain}")
    for name, (voice_name, _, text) in plan().items():
        if not name.startswith("zh/") or name in LETTER_TEXT:
            print(f"{name:16} {text!r:16} {phonemes(text, voice_name, espeak)}")
    return bad


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=voice.PACK_DIR)
    ap.add_argument("--espeak", default=ESPEAK, help="the espeak-ng binary")
    ap.add_argument(
        "--variant", default=VARIANT, help="espeak-ng voice variant: hall (default), f2, m3, ''"
    )
    ap.add_argument("--check", action="store_true", help="rebuild in a temp dir and compare")
    ap.add_argument("--phonemes", action="store_true", help="print espeak-ng's phonemes")
    args = ap.parse_args(argv)
    if shutil.which(args.espeak) is None:
        print(f"{args.espeak} not found: apt-get install espeak-ng", file=sys.stderr)
        return 2
    print(espeak_version(args.espeak).strip())
    if args.phonemes:
        return 1 if print_phonemes(args.espeak) else 0
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            written = build(Path(tmp), args.espeak, args.variant)
            differ = [
                str(p.relative_to(tmp))
                for p in written
                if not (args.out / p.relative_to(tmp)).is_file()
                or not filecmp.cmp(p, args.out / p.relative_to(tmp), shallow=False)
            ]
        print(f"{len(written) - len(differ)}/{len(written)} clips identical")
        for d in differ:
            print(f"differs: {d}")
        return 1 if differ else 0
    written = build(args.out, args.espeak, args.variant)
    size = sum(p.stat().st_size for p in written)
    print(f"wrote {len(written)} clips, {size} bytes, to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
