"""What text Hall takes from anyone (issue 16, item 4): no control character. NUL made
PostgreSQL refuse the statement (a 500), and the others end up stored and then printed,
shown or exported. Tab, line feed and carriage return are text; every other character of
Unicode's Cc category (C0, DEL, C1) is refused, as is a lone surrogate, which no database
can store as UTF-8.

One rule for every way text comes in: a request's path, query, form and JSON body
(hall/web/inputs.py) and a layout file, whose own escapes (``\\u0000``) decode to such
characters only once it is read (hall/services/config/layout/spec.py).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def control_field(value: Any, path: str = "") -> str | None:
    """The path (``materials.3``) of the first text in ``value`` — a string, or JSON's lists
    and objects of them — holding a refused character; ``body`` for the top level."""
    for where, text in _texts(value, path):
        if CONTROL.search(text):
            return where or "body"
    return None


def _texts(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _texts(item, f"{path}.{i}" if path else str(i))
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            yield (path or "body"), str(key)
            yield from _texts(item, where)
