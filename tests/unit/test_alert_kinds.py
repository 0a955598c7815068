"""Every alert kind the services raise has a sentence in words (web/alert_kinds.html) that
the live board and the counter terminal show: no raw kind code on a page."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SENTENCES = ROOT / "hall" / "web" / "templates" / "web" / "alert_kinds.html"
LEVELS = {"warning", "critical"}


def raised_kinds() -> set[str]:
    kinds: set[str] = set()
    for path in (ROOT / "hall" / "services").rglob("*.py"):
        src = path.read_text(encoding="utf-8")
        for m in re.finditer(r"raise_alert\(", src):
            call = src[m.end():m.end() + 400]
            call = call[:call.find("\n\n")] if "\n\n" in call else call
            call = re.sub(r'(get\(|== |\[)"[a-z_]+"', "", call.split("**")[0])  # not keys
            kinds |= set(re.findall(r'"([a-z_]+)"', call))
        kinds |= set(re.findall(r'Finding\(\s*[^,()]+(?:\([^)]*\))?,\s*"([a-z_]+)"', src))
        for table in re.findall(r"_KIND = \{([^}]*)\}", src):
            kinds |= set(re.findall(r'"([a-z_]+)"', table))
    return kinds - LEVELS


def test_every_alert_kind_raised_has_a_sentence_naming_its_thing():
    kinds = raised_kinds()
    assert {"device_offline", "bad_rating", "visit_over", "long_wait"} <= kinds  # the scan works
    sentences = SENTENCES.read_text(encoding="utf-8")
    missing = sorted(k for k in kinds if f"data-kind-{k}=" not in sentences)
    assert not missing, f"alert kinds with no sentence in {SENTENCES.name}: {missing}"
