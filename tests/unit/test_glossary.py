"""The words of /work/shared/GLOSSARY.md: the forbidden variants appear nowhere people read —
the Chinese catalog, the templates, the LED sign texts and the demo layout."""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

from display.led_board import DEFAULT_TEXTS

ROOT = Path(__file__).resolve().parents[2]
ZH_PO = ROOT / "hall" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
DEMO = ROOT / "hall" / "seed" / "demo_hall.toml"
TEMPLATE_DIRS = ("admin", "counter", "display", "kiosk", "hall/web")
# variant → the glossary's word; 高级管理人员 (a company's officers, in a materials list) is
# a legal term, not a role of the hall
FORBIDDEN = {
    "营业厅": "大厅",
    "监察人员": "督查人员",
    r"(?<!高级)管理人员": "督查人员 / 系统管理员",
    "值班长": "督查人员",
    "欢迎光临": "您好 / 欢迎您",
    "长者模式": "长辈模式",
    "吊销": "撤销",
}


def texts():
    with ZH_PO.open("rb") as f:
        for m in read_po(f):
            strings = m.string if isinstance(m.string, tuple) else (m.string,)
            for s in strings:
                if m.id and s:
                    yield f"messages.po: {m.id!r}", s
    for d in TEMPLATE_DIRS:
        for path in sorted((ROOT / d).rglob("*.html")):
            yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")
    for key, text in DEFAULT_TEXTS.items():
        yield f"led_board.DEFAULT_TEXTS[{key!r}]", text
    yield str(DEMO.relative_to(ROOT)), DEMO.read_text(encoding="utf-8")


def test_people_read_only_the_glossary_words():
    found = [f"{where}: {re.search(variant, text).group(0)} → {word}"
             for where, text in texts() for variant, word in FORBIDDEN.items()
             if re.search(variant, text)]
    assert not found, "forbidden variants (GLOSSARY.md):\n" + "\n".join(found)


def test_a_closed_window_says_so_and_a_pause_is_never_leave():
    import tomllib
    assert "窗口已关闭" in DEFAULT_TEXTS["closed"]
    hall = tomllib.loads(DEMO.read_text(encoding="utf-8"))["hall"]
    assert "请假" not in hall["pause_reasons"]
