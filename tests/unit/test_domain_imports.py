"""hall/domain stays pure: only the standard library, chinese_calendar and hall.domain.

The domain is imported by every layer (web, store, drivers, tests); a stray import of Flask,
SQLAlchemy or another hall layer would drag that layer in everywhere, or create a cycle.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ROOT / "hall" / "domain"
ALLOWED_THIRD_PARTY = {"chinese_calendar"}
FILES = sorted(DOMAIN.rglob("*.py"))


def _imports(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import statement, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(root).parent.parts)  # e.g. hall.domain
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            out.append((node.lineno, name))
    return out


def _allowed(name: str) -> bool:
    top = name.partition(".")[0]
    return (
        top in sys.stdlib_module_names
        or top in ALLOWED_THIRD_PARTY
        or name == "hall.domain"
        or name.startswith("hall.domain.")
    )


def test_the_domain_package_is_found():
    assert (DOMAIN / "__init__.py") in FILES
    assert (DOMAIN / "callnext.py") in FILES


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_module_imports_only_stdlib_chinese_calendar_or_domain(path):
    bad = [f"{path.relative_to(ROOT)}:{line}: import of {name!r}"
           for line, name in _imports(path) if not _allowed(name)]
    assert not bad, "hall/domain must stay pure:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    ("source", "offender"),
    [
        ("import sqlalchemy", "sqlalchemy"),
        ("from flask import g", "flask"),
        ("from hall.store import db", "hall.store"),
        ("from .. import services", "hall"),
        ("from ..api.errors import x", "hall.api.errors"),
        ("def f():\n    import redis\n", "redis"),
    ],
)
def test_the_scan_catches_forbidden_imports(tmp_path, source, offender):
    package = tmp_path / "hall" / "domain"
    package.mkdir(parents=True)
    path = package / "bad.py"
    path.write_text(source, encoding="utf-8")
    names = [name for _, name in _imports(path, root=tmp_path)]
    assert offender in names
    assert not all(_allowed(n) for n in names)


@pytest.mark.parametrize(
    "name", ["datetime", "collections.abc", "zoneinfo", "__future__", "chinese_calendar",
             "hall.domain", "hall.domain.errors"])
def test_the_scan_allows_stdlib_chinese_calendar_and_domain(name):
    assert _allowed(name)
