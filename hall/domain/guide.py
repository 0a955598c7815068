"""The public service guide (办事指南, 政务公开): what a material asks for (originals, copies)
and how a visitor's search words match a service. Pure: the pinyin initials of the names
are worked out by the service layer and handed in."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_COPIES = re.compile(r"复印件\s*(\d+|[一二两三四五六七八九十]+)?\s*[份张]?")
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9, "十": 10}
_LATIN = re.compile(r"[a-z]+")


def material(text: str) -> dict[str, object]:
    """One line of 申报材料 with what the window will ask for: ``original`` when it says
    原件, ``copies`` (a number, 1 when not said) when it says 复印件."""
    copies = 0
    if m := _COPIES.search(text):
        n = m.group(1)
        copies = int(n) if n and n.isdigit() else _CN_DIGITS.get(n or "", 1)
    return {"text": text, "original": "原件" in text, "copies": copies}


def fold(text: str) -> str:
    """Full-width forms, case and spaces do not matter when searching."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def matches(query: str, haystacks: Iterable[str], initials: Iterable[str]) -> bool:
    """A search word matches a service when it is a substring of one of its texts (name,
    department, guide), or, typed in Latin letters, a substring of the pinyin initials of
    its name or its department (``hkdj`` finds 户口登记). An empty query matches all."""
    q = fold(query)
    if not q:
        return True
    if any(q in fold(h) for h in haystacks if h):
        return True
    return bool(_LATIN.fullmatch(q)) and any(q in i for i in initials if i)
