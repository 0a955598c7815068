"""Fill untranslated Chinese entries from hall/translations/pending/*.json ({msgid: 中文}).

Work done in parallel drops its new strings' translations there instead of editing the one
catalog at the same time; `make translations-update` extracts, updates the catalogs and then
runs this, which fills the gaps and deletes the pending files it used up.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
ZH = ROOT / "hall" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
PENDING = ROOT / "hall" / "translations" / "pending"


def main() -> int:
    files = sorted(PENDING.glob("*.json"))
    wanted: dict[str, str] = {}
    for f in files:
        wanted.update(json.loads(f.read_text(encoding="utf-8")))
    with ZH.open("rb") as fh:
        catalog = read_po(fh)
    filled = 0
    for message in catalog:
        if message.id and not isinstance(message.id, tuple) and message.id in wanted:
            if not message.string or message.fuzzy:
                message.string = wanted[message.id]
                message.flags.discard("fuzzy")
                filled += 1
    with ZH.open("wb") as fh:
        write_po(fh, catalog, width=100)
    missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    print(f"filled {filled}; still untranslated or fuzzy {len(missing)}")
    for m in missing:
        print(f"  {m!r}")
    if not missing:
        for f in files:
            f.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
