"""The message catalogs: complete, placeholder-safe, in step with the code, and served.

A string added to the code without a Chinese translation fails here; the fix is
``make translations-update`` (extract + ``pybabel update``), then translating the new entries.

Babel canonicalises ``zh_CN`` as ``zh_Hans_CN`` and Flask-Babel looks catalogs up by that
name, so the Simplified Chinese catalog lives in ``hall/translations/zh_Hans_CN``.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "hall" / "translations"
ZH_PO = TRANSLATIONS / str(Locale.parse("zh_CN")) / "LC_MESSAGES" / "messages.po"
FIX = ("Run `make translations-update` (pybabel extract + update), then translate the new "
       f"entries in {ZH_PO.relative_to(ROOT)} into Simplified Chinese.")
# every %-directive Python's `%` operator sees: %(name)s, %(n)d, %s, %5.1f, %% ...
DIRECTIVE = re.compile(r"%(?:\(\w+\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[a-zA-Z%]")
CJK = re.compile(r"[\u3400-\u9fff]")


def read_catalog(path: Path):
    with path.open("rb") as f:
        return read_po(f)


def directives(text: str) -> Counter:
    return Counter(DIRECTIVE.findall(text))


def entries(catalog):
    """(msgid, msgstr) pairs; a plural entry's strings are checked against its plural msgid."""
    for m in catalog:
        if not m.id:
            continue  # the header
        if isinstance(m.id, tuple):
            strings = m.string if isinstance(m.string, tuple) else (m.string,)
            for i, s in enumerate(strings):
                yield m, m.id[min(i, 1)], s
        else:
            yield m, m.id, m.string


@pytest.fixture(scope="module")
def zh():
    assert ZH_PO.exists(), f"no Simplified Chinese catalog at {ZH_PO}. {FIX}"
    return read_catalog(ZH_PO)


def test_every_message_has_a_chinese_translation(zh):
    untranslated = [msgid for _, msgid, s in entries(zh) if not (s or "").strip()]
    assert not untranslated, f"untranslated in {ZH_PO.name}: {untranslated}. {FIX}"
    fuzzy = [m.id for m in zh if m.id and m.fuzzy]
    assert not fuzzy, (f"fuzzy (guessed by pybabel update) entries need review, then remove "
                       f"their '#, fuzzy' flag: {fuzzy}")


def test_translations_keep_the_placeholders(zh):
    wrong = [(msgid, s) for _, msgid, s in entries(zh)
             if s and directives(s) != directives(msgid)]
    assert not wrong, ("these translations change the %-placeholders of their msgid "
                       f"(keep every %(name)s / %(name)d exactly): {wrong}")


def test_every_string_in_the_code_is_in_the_chinese_catalog(zh, tmp_path):
    """Re-extract exactly as `make translations-update` does and compare with the catalog."""
    pot = tmp_path / "messages.pot"
    run = subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg",
         "-k", "N_", "-k", "lazy_gettext", "-o", str(pot), "."],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, f"pybabel extract failed:\n{run.stdout}\n{run.stderr}"
    extracted = read_catalog(pot)
    assert len(extracted) > 0, "extraction found no messages: is babel.cfg right?"
    missing = [(m.id, [f"{f}:{n}" for f, n in m.locations])
               for m in extracted if m.id and zh.get(m.id, m.context) is None]
    assert not missing, ("strings in the code that the Chinese catalog lacks:\n"
                         + "\n".join(f"  {i!r} at {', '.join(where)}" for i, where in missing)
                         + f"\n{FIX}")


def compile_catalogs() -> None:
    """Compile each catalog whose .mo is missing or older than its .po (the .mo files are
    build output, normally made by `make translations`); atomic, so parallel workers agree."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        part = mo.with_name(f".{mo.name}.{os.getpid()}")
        with part.open("wb") as f:
            write_mo(f, read_catalog(po))
        os.replace(part, mo)


@pytest.fixture
def bare_client(tmp_path):
    """Flask's test client of an app whose database was never migrated: refusals need none."""
    from hall.app import create_app

    compile_catalogs()
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/h.db", "ASYNC_MODE": "threading",
                      "SECRET_KEY": "x"})
    return app.test_client()


def unauthenticated_message(client, path="/api/v1/tickets", **kw) -> str:
    resp = client.post(path, json={"service": "x"}, **kw)
    assert resp.status_code == 401, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == "unauthenticated"
    return error["message"]


def test_responses_are_chinese_by_default_and_english_on_request(bare_client, zh):
    chinese = unauthenticated_message(bare_client)
    assert CJK.search(chinese), f"default response is not Chinese: {chinese!r}"
    msgids = [m.id for m in zh if m.id and m.string == chinese]
    assert msgids, f"{chinese!r} is not a translation from {ZH_PO.name}"

    english = unauthenticated_message(bare_client, headers={"Accept-Language": "en"})
    assert english in msgids and not CJK.search(english)
    assert unauthenticated_message(bare_client, "/api/v1/tickets?lang=en") == english
    preferred = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
    assert unauthenticated_message(bare_client, headers=preferred) == chinese
