"""The server's header reader (hall/realtime/headers.py) answers exactly as the standard
library's ``http.client.parse_headers`` does, which gevent's pywsgi would otherwise call."""
from __future__ import annotations

import io
from http import client

import pytest
from gevent.pywsgi import OldMessage
from hypothesis import given, settings
from hypothesis import strategies as st

from hall.realtime.headers import parse_headers


def both(raw: bytes):
    ours = theirs = None
    try:
        ours = parse_headers(io.BytesIO(raw), OldMessage)
    except client.HTTPException as exc:
        ours = type(exc)
    try:
        theirs = client.parse_headers(io.BytesIO(raw), _class=OldMessage)
    except client.HTTPException as exc:
        theirs = type(exc)
    return ours, theirs


def same(raw: bytes) -> None:
    ours, theirs = both(raw)
    if isinstance(theirs, type):
        assert ours is theirs
        return
    assert ours.items() == theirs.items()
    assert list(ours.headers) == list(theirs.headers)
    assert ours.get("content-length") == theirs.get("content-length")
    assert ours.status == theirs.status == ""


KIOSK = (b"Host: 127.0.0.1:5000\r\n"
         b"Accept-Encoding: identity\r\nContent-Type: application/json\r\n"
         b"Authorization: Bearer abc.def\r\nContent-Length: 17\r\n\r\n{\"service\":\"sfz\"}")


@pytest.mark.parametrize("raw", [
    KIOSK,
    b"Host: a\r\nX-Empty:\r\nX-Blank:   \t \r\nX-Dup: 1\r\nX-Dup: 2\r\n\r\n",
    b"Host: a\nCookie: session=x; lang=zh_CN\n\n",  # bare line feeds
    b"Host: a\r\nX-Folded: one\r\n  two\r\n\r\n",  # obs-fold: the e-mail parser's reading
    b"Host: a\r\nNot a header\r\nX: y\r\n\r\n",  # no colon: the rest is the "body"
    b"Host: a\r\nX-Odd: a\rb\r\n\r\n",  # a lone CR splits the line for the e-mail parser
    b"Host: a\r\nX-Nel: a\x85b\r\n\r\n",  # as does NEL (str.splitlines)
    b"Bad Name: x\r\nHost: a\r\n\r\n",  # a name that is not a token
    b"From nobody\r\nHost: a\r\n\r\n",  # mbox's From line
    b"Host: a\r\n",  # the connection closed before the blank line
    b"",
    b"X-Long: " + b"a" * 70000 + b"\r\n\r\n",  # over the line limit
    b"".join(b"X-%d: v\r\n" % i for i in range(101)) + b"\r\n",  # over the count limit
])
def test_header_block_reads_as_the_standard_library_reads_it(raw):
    same(raw)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"") + b"\r\n"),
                max_size=8),
       st.lists(st.tuples(st.from_regex(rb"\A[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}\Z"),
                          st.binary(max_size=30)), max_size=6))
def test_any_header_block_reads_as_the_standard_library_reads_it(junk, pairs):
    lines = [name + b": " + value.replace(b"\n", b"") + b"\r\n" for name, value in pairs]
    same(b"".join(lines + junk) + b"\r\n")
