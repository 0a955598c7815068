"""A visitor's paper from a window (受理回执 …) as layout operations and ESC/POS bytes.

Golden vectors: ESC @ (1B 40), ESC a (1B 61), ESC E (1B 45), GS ! (1D 21), GS ( k QR functions
(1D 28 6B), ESC d and GS V (1B 64, 1D 56) from the Epson ESC/POS reference; Chinese in the
double-byte mode of Chinese-made printers, FS & (1C 26) … FS . (1C 2E) (shared/DEVICES.md).
受理回执 is CADC C0ED BBD8 D6B4 and 办件编号 B0EC BCFE B1E0 BAC5 in GB2312 (= GB18030 here),
the full-width colon ： A3BA.
"""
from __future__ import annotations

import pytest

from drivers.escpos.document import DocumentContent, DocumentLine, layout
from drivers.escpos.parser import Parser
from drivers.escpos.printer import PROFILES, ticket_bytes
from drivers.escpos.ticket import PAPERS, Cut, Feed, Qr, Text, text_width, texts

URL = "https://hall.example.cn/case/SMZX-20261123-0007"


def receipt(**changes) -> DocumentContent:
    base = dict(kind="acceptance", hall_name="某某市政务服务中心", title="受理回执", lines=(
        DocumentLine("field", "SMZX-20261123-0007", "办件编号"),
        DocumentLine("field", "城乡居民基本养老保险参保登记及个人权益记录查询", "办理事项"),
        DocumentLine("heading", "已收材料"),
        DocumentLine("item", "居民身份证原件及复印件（正反面）一份", "1"),
        DocumentLine("item", "户口簿原件", "2"),
        DocumentLine("text", "您的申请已受理。"),
        DocumentLine("note", "咨询电话：0991-1234567"),
    ), qr_url=URL, qr_caption="扫码查询办理进度")
    return DocumentContent(**{**base, **changes})


def test_golden_bytes_title_enlarged_field_in_double_byte_mode_qr_and_cut():
    doc = DocumentContent("acceptance", "H", "受理回执",
                          (DocumentLine("field", "A-1", "办件编号"),), "https://h/c/A-1")
    assert ticket_bytes(layout(doc, "58"), PROFILES["generic-58"]) == (
        b"\x1b@"  # ESC @
        + b"\x1ba\x01\x1bE\x01" + b"\x1bt\x00H\n"  # centre, bold: the hall (ASCII here)
        + b"\x1d!\x11\x1c&" + bytes.fromhex("CADC C0ED BBD8 D6B4") + b"\x1c.\n"  # 2×2 title
        + b"\x1ba\x00\x1bE\x00\x1d!\x00" + b"-" * 32 + b"\n"  # back to plain: a rule
        + b"\x1c&" + bytes.fromhex("B0EC BCFE B1E0 BAC5 A3BA") + b"A-1\x1c.\n"  # 办件编号：A-1
        + b"-" * 32 + b"\n"
        + b"\x1ba\x01\x1d(k\x04\x001A2\x00\x1d(k\x03\x001C\x05\x1d(k\x03\x001E1"  # QR, 5 dots
        + b"\x1d(k\x12\x001P0https://h/c/A-1\x1d(k\x03\x001Q0"  # store 15 bytes, print
        + b"\x1bd\x06\x1dV\x00")  # feed, cut


@pytest.mark.parametrize("paper", ["58", "80"])
def test_lines_wrap_to_the_paper_and_continuations_hang_under_their_text(paper):
    ops = layout(receipt(), paper)
    columns = PAPERS[paper].columns
    lines = texts(ops)
    assert all(text_width(t) * op.scale <= columns for t, op in
               zip(lines, [o for o in ops if isinstance(o, Text)], strict=True))
    service = [t for t in lines if t.startswith("办理事项：")]
    at = lines.index(service[0])
    assert lines[at + 1].startswith(" " * text_width("办理事项："))  # under the value
    item = lines.index(next(t for t in lines if t.startswith("1. ")))
    if text_width(lines[item]) > columns - 4:  # wrapped: the rest hangs under the text
        assert lines[item + 1].startswith("   ") and not lines[item + 1].startswith("    ")


def test_title_is_large_headings_follow_a_blank_line_and_the_qr_ends_it():
    ops = layout(receipt(), "80")
    title = next(o for o in ops if isinstance(o, Text) and o.text == "受理回执")
    assert (title.align, title.bold, title.scale) == ("center", True, 2)
    heading = next(i for i, o in enumerate(ops) if isinstance(o, Text) and o.text == "已收材料")
    assert isinstance(ops[heading - 1], Feed) and ops[heading].bold
    note = next(o for o in ops if isinstance(o, Text) and o.text.startswith("咨询电话"))
    assert note.align == "center"
    assert [type(o) for o in ops[-3:]] == [Qr, Text, Cut] and ops[-3].data == URL
    bare = layout(receipt(qr_url="", qr_caption=""), "80")
    assert not any(isinstance(o, Qr) for o in bare) and isinstance(bare[-1], Cut)


def test_the_parser_reads_back_what_was_laid_out():
    ops = layout(receipt(), "80")
    cut = []
    Parser(cut.append).feed(ticket_bytes(ops, PROFILES["generic"]))
    (ticket,) = cut
    assert [t for t in ticket.lines if t] == [t for t in texts(ops) if t]
    assert ticket.qr == [URL] and ticket.cut and not ticket.images


def test_json_round_trip_and_garbage_refused():
    doc = receipt()
    assert DocumentContent.from_json(doc.to_json()) == doc
    data = doc.to_json()
    data["lines"][0]["kind"] = "banner"
    with pytest.raises(ValueError):
        DocumentContent.from_json(data)
    with pytest.raises(KeyError):
        DocumentContent.from_json({"kind": "acceptance"})
