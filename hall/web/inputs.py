"""What any request may carry, checked once for every page and endpoint before anything reads
it (issue 16, item 4):

- no control character in a path value, a query or form field, or any text of a JSON body
  (keys included): the rule is hall/domain/text.py's, which a layout file's import keeps
  too;
- no id in a page's path beyond ``MAX_ID`` (an unknown page, not the database's "integer
  out of range");
- no JSON body nested deeper than ``MAX_DEPTH``: Python's parser recurses once per level,
  and 1,000 levels in 2 KB overflowed it (a 500).

Each refusal is a 400 naming the field (``body`` for the nesting). ``/api/v1/openapi.json``
documents the rule as ``TEXT_PATTERN`` on every string a request sends (hall/api).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from itertools import accumulate
from typing import Any

from flask import abort, request
from flask_babel import gettext

from hall.domain.text import CONTROL as _CONTROL
from hall.domain.text import control_field
from hall.web.errors import error_response, field_label

MAX_ID = 2**31 - 1  # what the id columns hold (PostgreSQL integer)
MAX_DEPTH = 32  # the deepest body Hall takes (a layout's settings) nests 5 levels
# the same rule, as the OpenAPI document states it for each string (ECMA-262 and Python)
TEXT_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(rb"[^\[\]{}]+")
# an escape; DEL; C1 in UTF-8; a surrogate in UTF-8 (the parser decodes with
# 'surrogatepass'); NUL, which any UTF-16 or UTF-32 text (also parsed) holds
_RAW_CONTROL = re.compile(rb"\\u|\x7f|\xc2[\x80-\x9f]|\xed[\xa0-\xbf]|\x00")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def nests_too_deep(raw: bytes) -> bool:
    """Whether the JSON text ``raw`` nests deeper than ``MAX_DEPTH``, read without parsing
    it (brackets inside strings do not count); malformed text gets some answer, and the
    parser's refusal."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:  # no deeper than it opens
        return False
    brackets = _NOT_BRACKETS.sub(b"", _STRINGS.sub(b"", raw))
    return max(accumulate(_STEP[b] for b in brackets), default=0) > MAX_DEPTH


def may_hold_control(raw: bytes) -> bool:
    """False when the JSON text ``raw`` cannot decode to a refused character, so walking
    the parsed body can be skipped: in valid JSON a C0 character only appears escaped (a
    raw one makes the parser refuse the text), and DEL, a C1 character or a surrogate either
    escaped or as its own UTF-8 bytes. A body in UTF-16 or UTF-32 is always walked."""
    return _RAW_CONTROL.search(raw) is not None


def too_deep():
    return error_response(400, "too_deep", gettext(
        "The body nests deeper than %(depth)s levels", depth=MAX_DEPTH), "body")


def has_control(field: str):
    return error_response(400, "control_character", gettext(
        "%(field)s holds a control character or other invisible code that is not text",
        field=field_label(field)), field)


def check_request():
    """``before_request`` of the whole app, first of all: path values, query and form
    fields (a JSON body is checked where it is read, hall/api ``_check_json_body``)."""
    sources: list[Mapping[str, Any]] = [request.view_args or {}, request.args]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        sources.append(request.form)
    for source in sources:
        for key in source:
            values = source.getlist(key) if hasattr(source, "getlist") else [source[key]]
            if control_field([key, *values]) is not None:
                return has_control("query" if _CONTROL.search(key) else key)
    if not request.path.startswith("/api/") and any(
            isinstance(v, int) and v > MAX_ID for v in (request.view_args or {}).values()):
        abort(404)  # a page of a thing no id column can hold (the API's schemas: 422)
    return None
