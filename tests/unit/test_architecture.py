"""The shape of the house (DESIGN.md §1), checked on every run by walking the imports with
``ast``: no import circle between files, the app factory imported only by the CLI, the
domain free of frameworks, drivers free of Hall, the rooms apart from each other.

Every import counts, also one inside a function: a deferred import still ties the two
files together, it only hides the knot from the interpreter's start-up.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("hall", "kiosk", "display", "counter", "admin", "region", "drivers")
ROOMS = ("kiosk", "display", "counter", "admin", "region")
ALLOWED_IN_DOMAIN = {"chinese_calendar"}
FRAMEWORKS = {"flask", "flask_babel", "flask_socketio", "flask_wtf", "flask_limiter",
              "flask_openapi3", "sqlalchemy", "alembic", "socketio", "engineio", "gevent",
              "eventlet", "psycopg", "redis", "pydantic", "werkzeug", "jinja2", "serial",
              "escpos"}


def module_files() -> dict[str, Path]:
    """Module name → file, for every module of Hall's packages (migrations aside: Alembic
    loads them by path, nothing imports them)."""
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = module_files()


def _owner(name: str) -> str | None:
    """The module of ours that ``name`` (a module or a name inside one) lives in."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _statements(module: str, path: Path):
    """(source module, [imported names]) per import statement, relative ones resolved;
    ``import a.b`` gives (``a.b``, [])."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - (node.level - 1)]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            yield source, [alias.name for alias in node.names]


def imported_names(module: str, path: Path) -> set[str]:
    """Every absolute name this file imports: the sources and ``source.name``."""
    names = set()
    for source, imported in _statements(module, path):
        names.add(source)
        names.update(f"{source}.{name}" for name in imported)
    return names


def dependencies(module: str, path: Path) -> set[str]:
    """Our modules this one imports. ``from pkg import sub`` (a submodule) is an edge to
    ``pkg.sub`` only; ``from mod import name`` (a function, a class) is an edge to ``mod``."""
    deps = set()
    for source, imported in _statements(module, path):
        subs = [f"{source}.{name}" for name in imported if f"{source}.{name}" in MODULES]
        deps.update(subs)
        if len(subs) < len(imported) or not imported:
            owner = _owner(source)
            if owner is not None:
                deps.add(owner)
    deps.discard(module)
    return deps


GRAPH = {m: dependencies(m, p) for m, p in MODULES.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in graph:
                    continue
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def importers_of(target: str) -> set[str]:
    return {m for m, deps in GRAPH.items() if target in deps}


def test_the_walk_sees_the_whole_tree():
    assert {"hall.app", "hall.cli", "hall.domain.lifecycle", "kiosk.views",
            "drivers.escpos.printer", "hall.services.context"} <= set(MODULES)
    assert "hall.services.context" in GRAPH["hall.services.queue.tickets"]


def test_the_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    found = cycles(GRAPH)
    assert not found, "import circles between files:\n" + "\n".join(
        " ↔ ".join(c) for c in found)


def test_only_the_cli_imports_the_app_factory():
    assert importers_of("hall.app") <= {"hall.cli", "hall.boot"}


DOMAIN_FILES = sorted(p for m, p in MODULES.items() if m.startswith("hall.domain"))


def allowed_in_domain(name: str) -> bool:
    top = name.partition(".")[0]
    return (top in sys.stdlib_module_names or top in ALLOWED_IN_DOMAIN
            or name == "hall.domain" or name.startswith("hall.domain."))


def test_the_domain_package_is_found():
    assert ROOT / "hall" / "domain" / "__init__.py" in DOMAIN_FILES
    assert ROOT / "hall" / "domain" / "callnext.py" in DOMAIN_FILES


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_imports_no_framework(path):
    """hall/domain imports only the standard library, chinese_calendar and itself: a stray
    import of Flask, SQLAlchemy or another layer would drag that layer in everywhere."""
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    names = imported_names(module, path)
    assert not {n for n in names if n.partition(".")[0] in FRAMEWORKS}, names
    bad = sorted(n for n in names if not allowed_in_domain(n))
    assert not bad, f"{module} imports {bad}: the domain is pure (DESIGN.md §1)"


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
    path = tmp_path / "bad.py"
    path.write_text(source, encoding="utf-8")
    names = imported_names("hall.domain.bad", path)
    assert offender in names
    assert not all(allowed_in_domain(n) for n in names)


@pytest.mark.parametrize(
    "name", ["datetime", "collections.abc", "zoneinfo", "__future__", "chinese_calendar",
             "hall.domain", "hall.domain.errors"])
def test_the_scan_allows_stdlib_chinese_calendar_and_domain(name):
    assert allowed_in_domain(name)


def test_drivers_import_nothing_of_hall_or_the_rooms():
    for module, deps in GRAPH.items():
        if module.startswith("drivers"):
            bad = {d for d in deps if not d.startswith("drivers")}
            assert not bad, f"{module} imports {sorted(bad)}"


def test_the_core_imports_no_driver_and_no_room():
    for module, deps in GRAPH.items():
        if module.startswith("hall.") and module not in ("hall.app", "hall.cli"):
            bad = {d for d in deps if d.partition(".")[0] in (*ROOMS, "drivers")}
            assert not bad, f"{module} imports {sorted(bad)}"


def test_rooms_import_neither_each_other_nor_the_api_blueprint():
    for module, deps in GRAPH.items():
        room = module.partition(".")[0]
        if room not in ROOMS:
            continue
        bad = {d for d in deps
               if (d.partition(".")[0] in ROOMS and d.partition(".")[0] != room)
               or d == "hall.api" or d.startswith("hall.api.")}
        assert not bad, f"{module} imports {sorted(bad)}"


def test_services_and_below_import_no_web_framework():
    """The service layer, store and domain are callable without a request: no Flask."""
    for module, path in MODULES.items():
        if not module.startswith(("hall.services", "hall.store", "hall.domain")):
            continue
        for name in imported_names(module, path):
            assert not name.startswith("flask"), f"{module} imports {name}"
            assert not name.startswith(("hall.web", "hall.api", "hall.realtime")), \
                f"{module} imports {name}"
