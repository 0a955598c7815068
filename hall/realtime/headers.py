"""A request's header block, read as gevent's pywsgi reads it but without the e-mail parser.

pywsgi hands the header lines to ``http.client.parse_headers``, which runs Python's generic
e-mail ``FeedParser`` over them: 5 % of the server's time per ticket (bench/README.md, issue
14). Header blocks as browsers, kiosks and agents send them — one ``Name: value`` per line —
are split here the way that parser's ``compat32`` policy splits them (name up to the first
colon, value with leading blanks and the line break stripped), into the same message class.
Anything else (a folded line, a name that is not an RFC 9110 token, a line without a colon)
goes to the standard parser untouched, so its answer — defects and all — stays the library's.
The line and header-count limits are the standard ones (``http.client``).
"""
from __future__ import annotations

import email.parser
import re
from http import client

# one whole header line: a name that is an RFC 9110 token, its colon, and a value holding
# nothing the e-mail parser would take for a line break (it splits with str.splitlines)
_SIMPLE = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[^\r\n\x0b\x0c\x1c\x1d\x1e\x85]*\r?\n")
_END = (b"\r\n", b"\n", b"")


def parse_headers(fp, message_class):
    """The header block at ``fp`` as a ``message_class`` (an ``http.client.HTTPMessage``);
    raises ``http.client.LineTooLong`` / ``HTTPException`` exactly as the library does."""
    lines = client._read_headers(fp)
    body = lines[:-1] if lines[-1] in _END else lines
    if all(_SIMPLE.fullmatch(line) for line in body):
        message = message_class()
        for line in body:
            name, _, value = line.decode("iso-8859-1").partition(":")
            message._headers.append((name, value.lstrip(" \t").rstrip("\r\n")))
        return message
    text = b"".join(lines).decode("iso-8859-1")
    return email.parser.Parser(_class=message_class).parsestr(text)
