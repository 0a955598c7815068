"""A queue ticket as a list of layout operations, independent of any printer.

``layout(content, paper)`` turns a :class:`TicketContent` into :class:`Text`, :class:`Qr`,
:class:`Feed` and :class:`Cut` operations already wrapped to the paper's columns, so the
renderer (printer.py) only has to choose bytes, and tests can read the layout directly.

Widths are counted the way a Chinese ESC/POS printer counts them: in double-byte mode every
non-ASCII character is one GB18030 double-byte glyph (24 dots, two columns of font A) and
every ASCII character one column (12 dots). ``unicodedata.east_asian_width`` would call
"·" or "–" narrow, but the printer still prints them as full-width GB glyphs.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from drivers.i18n import N_

Align = Literal["left", "center", "right"]


@dataclass(frozen=True)
class Paper:
    name: str
    dots: int  # printable width at 203 dpi
    columns: int  # font A (12 × 24 dots) half-width columns


PAPERS: dict[str, Paper] = {"58": Paper("58", 384, 32), "80": Paper("80", 576, 48)}


@dataclass(frozen=True)
class Text:
    """One printed line (already wrapped); ``scale`` is the GS ! factor for width and height."""
    text: str
    align: Align = "left"
    bold: bool = False
    scale: int = 1


@dataclass(frozen=True)
class Qr:
    data: str
    module: int  # dots per QR module


@dataclass(frozen=True)
class Feed:
    lines: int = 1


@dataclass(frozen=True)
class Cut:
    pass


Op = Text | Qr | Feed | Cut


@dataclass(frozen=True)
class TicketContent:
    hall_name: str
    service_name: str
    number: str  # e.g. "A001"
    people_ahead: int
    wait_minutes: tuple[int, int] | None  # estimated range, low–high; None: no window open
    issued_at: datetime  # already in the hall's time zone
    qr_url: str  # the phone page, …/t/<token>
    materials: tuple[str, ...] = ()
    kind: str = ""  # printed label, e.g. 绿色通道 or 预约; empty for a normal ticket
    kind_reason: str = ""  # e.g. 老年人
    extra: tuple[str, ...] = field(default=())  # free lines a hall adds (e.g. 过号请重新取号)

    def to_json(self) -> dict[str, object]:
        """Plain JSON, as the server hands a print job to an agent (issued_at with its
        offset, so the agent prints the hall's local time whatever its own zone)."""
        return {"hall_name": self.hall_name, "service_name": self.service_name,
                "number": self.number, "people_ahead": self.people_ahead,
                "wait_minutes": None if self.wait_minutes is None else list(self.wait_minutes),
                "issued_at": self.issued_at.isoformat(),
                "qr_url": self.qr_url, "materials": list(self.materials), "kind": self.kind,
                "kind_reason": self.kind_reason, "extra": list(self.extra)}

    @classmethod
    def from_json(cls, data: dict) -> TicketContent:
        """The inverse of ``to_json``; raises KeyError/ValueError/TypeError on garbage."""
        span = data["wait_minutes"]
        wait = None if span is None else tuple(int(v) for v in span)
        if wait is not None and len(wait) != 2:
            raise ValueError(f"wait_minutes: expected [low, high] or null, got {span!r}")
        return cls(hall_name=str(data["hall_name"]), service_name=str(data["service_name"]),
                   number=str(data["number"]), people_ahead=int(data["people_ahead"]),
                   wait_minutes=wait,
                   issued_at=datetime.fromisoformat(str(data["issued_at"])),
                   qr_url=str(data["qr_url"]),
                   materials=tuple(str(m) for m in data.get("materials") or ()),
                   kind=str(data.get("kind") or ""),
                   kind_reason=str(data.get("kind_reason") or ""),
                   extra=tuple(str(e) for e in data.get("extra") or ()))


# Labels are English msgids (pybabel extracts N_); the caller passes the hall's gettext.
LABEL_KIND = N_("%(kind)s: %(reason)s")
LABEL_AHEAD = N_("%(n)s people ahead of you")  # the phone page's msgid, already translated
LABEL_NONE_AHEAD = N_("Nobody is ahead of you")
# an ASCII hyphen: "–" is not in GB2312, and older printers' fonts stop there
LABEL_WAIT = N_("Estimated wait %(low)s-%(high)s min")
LABEL_WAIT_SHORT = N_("You will be called shortly")
LABEL_NO_WINDOW = N_("No window serves this now; please ask at the help desk")
LABEL_ISSUED = N_("Taken at %(time)s")
LABEL_MATERIALS = N_("Please have these ready:")
LABEL_SCAN = N_("Scan to follow the queue on your phone")
# every label ``layout`` translates: a caller without Flask-Babel (an agent) gets them as a
# {msgid: text} table from the server and translates with its ``get``
LABELS = (LABEL_KIND, LABEL_AHEAD, LABEL_NONE_AHEAD, LABEL_WAIT, LABEL_WAIT_SHORT,
          LABEL_NO_WINDOW, LABEL_ISSUED, LABEL_MATERIALS, LABEL_SCAN)

# The number is the one thing a visitor must read from a metre away: as big as fits.
NUMBER_SCALE = {"58": 4, "80": 5}
SERVICE_SCALE = 2
QR_MODULE = {"58": 6, "80": 8}
# Characters that must not begin a line (避头) or end one (避尾).
NO_LINE_START = frozenset("，。、；：！？）》」』】〕…—,.;:!?)%")
NO_LINE_END = frozenset("（《「『【〔(")


def char_width(ch: str) -> int:
    return 1 if ord(ch) < 0x80 else 2


def text_width(text: str) -> int:
    return sum(char_width(ch) for ch in text)


def _tokens(text: str) -> list[str]:
    """ASCII words stay whole; each CJK character is a token of its own."""
    out: list[str] = []
    for ch in text:
        if out and ch.isascii() and not ch.isspace() and out[-1].isascii() \
                and not out[-1][-1].isspace():
            out[-1] += ch
        else:
            out.append(ch)
    return out


def _kinsoku(line: str, token: str) -> tuple[str, str]:
    """Break before ``token``; move closing punctuation's neighbour and trailing opening
    brackets down to the next line (避头尾), unless that would empty the line."""
    keep, carry = line, token
    if token in NO_LINE_START:
        keep, carry = keep[:-1], keep[-1:] + carry
    while keep and keep[-1] in NO_LINE_END:
        keep, carry = keep[:-1], keep[-1] + carry
    return (keep, carry) if keep.strip() else (line, token)


def wrap(text: str, columns: int) -> list[str]:
    """Greedy width-aware wrap; an over-long ASCII word (a URL) is cut by character."""
    lines: list[str] = []
    line = ""
    for token in _tokens(text):
        if text_width(line + token) <= columns:
            line += token
            continue
        if text_width(token) > columns:  # split the long word over as many lines as needed
            for ch in token:
                if text_width(line + ch) > columns:
                    lines.append(line)
                    line = ""
                line += ch
            continue
        line, carry = _kinsoku(line, token)
        lines.append(line.rstrip())
        line = carry.lstrip()
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def _lines(text: str, paper: Paper, align: Align = "left", bold: bool = False,
           scale: int = 1) -> list[Text]:
    return [Text(w, align, bold, scale) for w in wrap(text, paper.columns // scale)]


def _rule(paper: Paper) -> Text:
    return Text("-" * paper.columns)


def layout(content: TicketContent, paper: Paper | str = "80",
           translate: Callable[[str], str] = lambda s: s) -> tuple[Op, ...]:
    """The ticket, top to bottom: hall, service, number, kind, queue facts, materials, QR."""
    p = PAPERS[paper] if isinstance(paper, str) else paper
    _ = translate
    ops: list[Op] = []
    ops += _lines(content.hall_name, p, "center", bold=True)
    ops.append(_rule(p))
    ops += _lines(content.service_name, p, "center", bold=True, scale=SERVICE_SCALE)
    ops.append(Feed())
    scale = max(1, min(NUMBER_SCALE[p.name], p.columns // max(text_width(content.number), 1)))
    ops.append(Text(content.number, "center", bold=True, scale=scale))
    if content.kind:
        kind = (_(LABEL_KIND) % {"kind": content.kind, "reason": content.kind_reason}
                if content.kind_reason else content.kind)
        ops += _lines(kind, p, "center", bold=True)
    ops.append(Feed())
    ops += _queue_facts(content, p, _)
    if content.materials:
        ops.append(_rule(p))
        ops += _lines(_(LABEL_MATERIALS), p, bold=True)
        ops += _numbered(content.materials, p)
    ops.append(_rule(p))
    for extra in content.extra:
        ops += _lines(extra, p)
    ops.append(Qr(content.qr_url, QR_MODULE[p.name]))
    ops += _lines(_(LABEL_SCAN), p, "center")
    ops.append(Cut())
    return tuple(ops)


def _queue_facts(content: TicketContent, p: Paper, _: Callable[[str], str]) -> list[Op]:
    ahead = (_(LABEL_AHEAD) % {"n": content.people_ahead} if content.people_ahead > 0
             else _(LABEL_NONE_AHEAD))
    if content.wait_minutes is None:
        wait = _(LABEL_NO_WINDOW)
    else:
        low, high = content.wait_minutes
        wait = _(LABEL_WAIT) % {"low": low, "high": high} if high > 1 else _(LABEL_WAIT_SHORT)
    issued = _(LABEL_ISSUED) % {"time": content.issued_at.strftime("%Y-%m-%d %H:%M")}
    return [*_lines(ahead, p), *_lines(wait, p), *_lines(issued, p)]


def _numbered(items: Iterable[str], p: Paper) -> list[Op]:
    out: list[Op] = []
    for i, item in enumerate(items, 1):
        label = f"{i}. "  # hanging indent: continuation lines start under the item's text
        wrapped = wrap(item, p.columns - len(label))
        out += [Text((label if j == 0 else " " * len(label)) + w)
                for j, w in enumerate(wrapped)]
    return out


def texts(ops: Sequence[Op]) -> list[str]:
    """The text lines of a layout, for tests and the on-screen copy of a ticket."""
    return [op.text for op in ops if isinstance(op, Text)]
