"""A CJK font on this computer, and text drawn with it as a 1-bit strip for a thermal printer.

The font is installed with the system (Debian ``fonts-wqy-microhei``, see README.md), never
fetched at run time. ``HALL_CJK_FONT`` names another file (TTF/OTF/TTC) when a hall wants its
own. Both the raster printer mode and the emulator's previews draw through here, so a test
can render the expected line and compare it pixel for pixel with what the printer received.

Rare characters (生僻字 in names: 䶮 U+4DAE in CJK Extension A, 𠮷 U+20BB7 and 𡈼 in
Extension B) are not in that font. Each character is drawn with the first font of a chain
whose character map has it: the main font, then Debian's ``fonts-hanazono`` (HanaMinA covers
the BMP with Extension A, HanaMinB the supplementary planes), or the files
``HALL_CJK_FALLBACK_FONTS`` lists (``:``-separated). A character no font has is drawn by the
main font (its empty box), as before.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from drivers.escpos.ticket import char_width, text_width

# Debian/Ubuntu paths of the free CJK fonts, most compact first.
CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
# Fonts for what the main font lacks: Extension A and B (Debian fonts-hanazono, `make fonts`).
RARE_CANDIDATES = (
    "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf",
    "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf",
)
# A font-A Chinese glyph is 24 × 24 dots; the default line pitch (ESC 2) is 30 dots.
GLYPH = 24
LINE = 30


class FontMissing(RuntimeError):
    """No CJK font: raster printing and previews cannot draw Chinese."""


@lru_cache(maxsize=1)
def font_path() -> Path:
    env = os.environ.get("HALL_CJK_FONT")
    if env:
        if not Path(env).is_file():
            raise FontMissing(f"HALL_CJK_FONT={env} is not a file")
        return Path(env)
    for candidate in CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    found = _fontconfig_zh()
    if found:
        return found
    raise FontMissing("no CJK font found: install Debian's fonts-wqy-microhei "
                      "(make fonts) or set HALL_CJK_FONT to a TTF/OTF/TTC file")


def _fontconfig_zh() -> Path | None:
    """Ask fontconfig for any installed font that covers Simplified Chinese."""
    if not shutil.which("fc-match"):
        return None
    out = subprocess.run(["fc-match", "-f", "%{file}", ":lang=zh-cn"], capture_output=True,
                         text=True, timeout=10, check=False).stdout.strip()
    # fc-match always answers something; keep it only if the font really covers Chinese
    if out and Path(out).is_file() and _covers_chinese(Path(out)):
        return Path(out)
    return None


def _covers_chinese(path: Path) -> bool:
    f = ImageFont.truetype(str(path), GLYPH)
    return f.getmask("号").getbbox() is not None


def available() -> bool:
    try:
        font_path()
    except FontMissing:
        return False
    return True


@lru_cache(maxsize=1)
def fallback_paths() -> tuple[Path, ...]:
    """The fonts tried, in order, for a character the main font lacks."""
    env = os.environ.get("HALL_CJK_FALLBACK_FONTS")
    names = env.split(":") if env else RARE_CANDIDATES
    return tuple(Path(n) for n in names if n and Path(n).is_file())


@lru_cache(maxsize=8)
def _cmap(path: Path) -> frozenset[int]:
    """The code points a font file (its first face, as Pillow opens it) has glyphs for."""
    from fontTools.ttLib import TTCollection, TTFont

    if path.suffix.lower() in (".ttc", ".otc"):
        face = TTCollection(str(path), lazy=True).fonts[0]
    else:
        face = TTFont(str(path), lazy=True)
    try:
        return frozenset(face.getBestCmap() or ())
    finally:
        face.close()


def font_for(ch: str) -> Path:
    """The file ``ch`` is drawn with: the main font if it has the glyph, else the first
    fallback that has it, else the main font all the same."""
    main = font_path()
    if ch.isascii() or ord(ch) in _cmap(main):
        return main
    return next((p for p in fallback_paths() if ord(ch) in _cmap(p)), main)


def covered(ch: str) -> bool:
    """Does any font of the chain have a glyph for ``ch``?"""
    return ord(ch) in _cmap(font_for(ch))


@lru_cache(maxsize=16)
def font(size: int, path: Path | None = None) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path or font_path()), size)


@lru_cache(maxsize=4096)
def _glyph(ch: str, scale: int, bold: bool) -> Image.Image:
    """One character in its printer cell (12 or 24 dots wide × 30, times scale)."""
    f = font(GLYPH * scale, font_for(ch))
    cell_w, cell_h = char_width(ch) * GLYPH // 2 * scale, LINE * scale
    # anchor "ls" sits every glyph on one baseline, whatever its shape
    baseline = round(GLYPH * scale * 0.88) + (LINE - GLYPH) * scale // 2
    left, _, right, _ = f.getbbox(ch, anchor="ls")
    # bold the way the printer does it (ESC E: each dot struck again one dot to the right);
    # a stroke outline smudges 24-dot Chinese
    shifts = range(scale + 1) if bold else range(1)
    ink = Image.new("L", (max(right - left, 1) + len(shifts) - 1, cell_h), 255)
    draw = ImageDraw.Draw(ink)
    for dx in shifts:
        draw.text((dx - left, baseline), ch, font=f, fill=0, anchor="ls")
    if ink.width > cell_w:  # a Latin glyph at 4× is wider than the printer's narrow cell
        ink = ink.resize((cell_w, cell_h))
    cell = Image.new("L", (cell_w, cell_h), 255)
    cell.paste(ink, ((cell_w - ink.width) // 2, 0))
    return cell


def render_line(text: str, width: int, *, align: str = "left", bold: bool = False,
                scale: int = 1) -> Image.Image:
    """One printed line as a 1-bit image ``width`` dots wide, black text on white.

    Laid out on the printer's own grid (12-dot ASCII cells, 24-dot Chinese cells, 30-dot
    line pitch, all × scale), so a line that ticket.py wrapped to the paper's columns fits
    the paper exactly and a raster ticket looks like a native one.
    """
    line = Image.new("L", (max(text_width(text) * GLYPH // 2 * scale, 1), LINE * scale), 255)
    x = 0
    for ch in text:
        cell = _glyph(ch, scale, bold)
        if not ch.isspace():
            line.paste(cell, (x, 0))
        x += cell.width
    if line.width > width:  # too long a line is squeezed rather than cut off
        line = line.resize((width, line.height))
    strip = Image.new("L", (width, line.height), 255)
    left = {"left": 0, "center": (width - line.width) // 2, "right": width - line.width}[align]
    strip.paste(line, (left, 0))
    # a fixed threshold, not dithering: thermal dots are on or off and text wants crisp edges
    return strip.point(lambda v: 0 if v < 160 else 255, mode="1")
