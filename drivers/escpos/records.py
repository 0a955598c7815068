"""What the emulator's parser makes of a ticket: lines of styled text, QR codes, images."""
from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image


@dataclass
class Run:
    text: str
    bold: bool
    width: int
    height: int


@dataclass
class Line:
    runs: list[Run]
    align: str

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)

    @property
    def scale(self) -> int:
        return max((max(r.width, r.height) for r in self.runs), default=1)

    @property
    def bold(self) -> bool:
        return any(r.bold for r in self.runs if r.text.strip())


@dataclass
class QrBlock:
    data: str
    module: int
    align: str


@dataclass
class ImageBlock:
    image: Image.Image
    align: str


Block = Line | QrBlock | ImageBlock


@dataclass
class ParsedTicket:
    blocks: list[Block] = field(default_factory=list)
    cut: bool = False
    unknown: list[str] = field(default_factory=list)  # commands skipped, e.g. "GS ( L"

    @property
    def lines(self) -> list[str]:
        return [b.text for b in self.blocks if isinstance(b, Line)]

    @property
    def qr(self) -> list[str]:
        return [b.data for b in self.blocks if isinstance(b, QrBlock)]

    @property
    def images(self) -> list[Image.Image]:
        return [b.image for b in self.blocks if isinstance(b, ImageBlock)]

    def summary(self) -> dict[str, object]:
        return {"lines": [{"text": b.text, "align": b.align, "bold": b.bold, "scale": b.scale}
                          for b in self.blocks if isinstance(b, Line)],
                "qr": self.qr, "images": [list(i.size) for i in self.images],
                "cut": self.cut, "unknown": self.unknown}
