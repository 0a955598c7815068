"""A PNG of a parsed ticket, as the paper would look: text drawn with the CJK font at the
printer's sizes, QR codes redrawn from their data (``qrcode``), raster images as received."""
from __future__ import annotations

from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from drivers.escpos import fonts
from drivers.escpos.records import ImageBlock, Line, ParsedTicket, QrBlock

MARGIN = 16  # white border so the preview reads as a slip of paper


def _line(line: Line, width: int) -> Image.Image:
    if not line.text:
        return Image.new("1", (width, fonts.LINE), 1)
    try:
        return fonts.render_line(line.text, width, align=line.align, bold=line.bold,
                                 scale=line.scale)
    except fonts.FontMissing:  # still a preview, with boxes for the Chinese characters
        strip = Image.new("1", (width, fonts.LINE * line.scale), 1)
        f = ImageFont.load_default(fonts.GLYPH * line.scale)
        ImageDraw.Draw(strip).text((0, 0), line.text, font=f, fill=0)
        return strip


def _qr(block: QrBlock) -> Image.Image:
    code = qrcode.QRCode(box_size=max(block.module, 1), border=1,
                         error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(block.data)
    code.make(fit=True)
    return code.make_image().get_image().convert("1")


def _placed(image: Image.Image, align: str, width: int) -> Image.Image:
    if image.width >= width:
        return image
    strip = Image.new("1", (width, image.height), 1)
    x = {"left": 0, "center": (width - image.width) // 2, "right": width - image.width}[align]
    strip.paste(image, (x, 0))
    return strip


def render(ticket: ParsedTicket, width: int) -> Image.Image:
    parts: list[Image.Image] = []
    for block in ticket.blocks:
        if isinstance(block, Line):
            parts.append(_line(block, width))
        elif isinstance(block, QrBlock):
            parts.append(_placed(_qr(block), block.align, width))
        elif isinstance(block, ImageBlock):
            parts.append(_placed(block.image.convert("1"), block.align, width))
    inner = max([width, *(p.width for p in parts)])
    height = sum(p.height for p in parts)
    page = Image.new("L", (inner + 2 * MARGIN, height + 2 * MARGIN), 255)
    y = MARGIN
    for part in parts:
        page.paste(part.convert("L"), (MARGIN, y))
        y += part.height
    if ticket.cut:  # a dashed line where the cutter went
        draw = ImageDraw.Draw(page)
        for x in range(0, page.width, 12):
            draw.line([(x, page.height - 2), (x + 6, page.height - 2)], fill=128)
    return page


def save(ticket: ParsedTicket, width: int, path: Path) -> Path:
    render(ticket, width).save(path)
    return path
