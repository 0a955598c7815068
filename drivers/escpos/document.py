"""A visitor's paper from a window (受理回执, 不予受理通知书, 一次性告知书) as layout operations.

The server words the whole document (``DocumentContent``: a title, lines, a QR code) and
renders it twice: as a print page in the browser and, here, as ESC/POS for the window's
printer. Nothing is translated here: every text arrives in the reader's language, so an
agent prints exactly what the page shows.

Line kinds, each one printed line or more (wrapped to the paper's columns):

- ``field``: ``label：text`` (``label: text`` when the label is ASCII), a continuation
  hangs under the text when the label is short, else under the label;
- ``heading``: a bold line after a blank one;
- ``text``: a paragraph;
- ``item``: ``label. text``, the label being the item's number, hanging like a ticket's
  materials;
- ``note``: a centred line (a contact phone, "keep this receipt").
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from drivers.escpos.ticket import (
    PAPERS,
    Cut,
    Feed,
    Op,
    Paper,
    Qr,
    Text,
    text_width,
    wrap,
)

LineKind = Literal["field", "heading", "text", "item", "note"]
KINDS: tuple[str, ...] = ("field", "heading", "text", "item", "note")
TITLE_SCALE = 2
QR_MODULE = {"58": 5, "80": 6}  # a case URL is longer than a ticket's: a little smaller
HANG_MAX = 12  # columns: a longer label makes its field's continuation start at the margin


@dataclass(frozen=True)
class DocumentLine:
    kind: LineKind
    text: str
    label: str = ""


@dataclass(frozen=True)
class DocumentContent:
    kind: str  # acceptance | refusal | correction
    hall_name: str
    title: str
    lines: tuple[DocumentLine, ...]
    qr_url: str = ""
    qr_caption: str = ""

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "hall_name": self.hall_name, "title": self.title,
                "lines": [{"kind": line.kind, "label": line.label, "text": line.text}
                          for line in self.lines],
                "qr_url": self.qr_url, "qr_caption": self.qr_caption}

    @classmethod
    def from_json(cls, data: dict) -> DocumentContent:
        """The inverse of ``to_json``; raises KeyError/ValueError/TypeError on garbage."""
        lines = []
        for line in data["lines"]:
            if line["kind"] not in KINDS:
                raise ValueError(f"unknown line kind {line['kind']!r}")
            lines.append(DocumentLine(line["kind"], str(line["text"]),
                                      str(line.get("label") or "")))
        return cls(kind=str(data["kind"]), hall_name=str(data["hall_name"]),
                   title=str(data["title"]), lines=tuple(lines),
                   qr_url=str(data.get("qr_url") or ""),
                   qr_caption=str(data.get("qr_caption") or ""))


def layout(doc: DocumentContent, paper: Paper | str = "80") -> tuple[Op, ...]:
    """The document, top to bottom: hall, title, lines, QR code and its caption, cut."""
    p = PAPERS[paper] if isinstance(paper, str) else paper
    ops: list[Op] = [*_wrapped(doc.hall_name, p, "center", bold=True)]
    ops += _wrapped(doc.title, p, "center", bold=True, scale=TITLE_SCALE)
    ops.append(Text("-" * p.columns))
    for line in doc.lines:
        ops += _line(line, p)
    ops.append(Text("-" * p.columns))
    if doc.qr_url:
        ops.append(Qr(doc.qr_url, QR_MODULE[p.name]))
        if doc.qr_caption:
            ops += _wrapped(doc.qr_caption, p, "center")
    ops.append(Cut())
    return tuple(ops)


def _line(line: DocumentLine, p: Paper) -> list[Op]:
    if line.kind == "heading":
        return [Feed(), *_wrapped(line.text, p, bold=True)]
    if line.kind == "note":
        return _wrapped(line.text, p, "center")
    if line.kind == "field":
        sep = ": " if line.label.isascii() else "："
        return _hanging(line.label + sep, line.text, p)
    if line.kind == "item":
        return _hanging(f"{line.label}. " if line.label else "· ", line.text, p)
    return _wrapped(line.text, p)


def _hanging(head: str, text: str, p: Paper) -> list[Op]:
    """``head`` then ``text``; continuation lines start under the text when ``head`` is
    short enough, so a list or a field reads as one block."""
    indent = text_width(head)
    if indent > HANG_MAX or indent >= p.columns // 2:
        return _wrapped(head + text, p)
    pad = " " * indent
    return [Text((head if i == 0 else pad) + w)
            for i, w in enumerate(wrap(text, p.columns - indent))]


def _wrapped(text: str, p: Paper, align: Literal["left", "center", "right"] = "left",
             bold: bool = False, scale: int = 1) -> list[Op]:
    return [Text(w, align, bold, scale) for w in wrap(text, p.columns // scale)]
