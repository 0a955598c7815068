"""How a password is kept: werkzeug's salted hash, at one cost for the whole process.

The cost is scrypt's (N = 32768, r = 8, p = 1): about 0.1 s of CPU for each password set or
checked, which is the point. ``HALL_PASSWORD_HASH`` names another werkzeug method
(``scrypt:1024:8:1``, ``pbkdf2:sha256:600000``). The test suite sets a cheap one, as
Django's test settings swap in a fast hasher: it sets and checks a thousand passwords in the
servers it starts, and a hall never does. A password kept under other parameters than the
process's is hashed again under them at its next successful sign-in, so a hall that moves to
a dearer cost moves its accounts as they sign in.

Accounts (hall/services/config/accounts.py, passwords.py, staff_admin.py) and the region's
supervisors (hall/services/region/) all go through here.
"""
from __future__ import annotations

import logging
import os
from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash

log = logging.getLogger(__name__)

DEFAULT = "scrypt:32768:8:1"
KNOWN = ("scrypt", "pbkdf2")  # werkzeug's two: a typo must not start a hall


def method() -> str:
    """The process's method and cost (``HALL_PASSWORD_HASH``, else scrypt's default)."""
    chosen = os.environ.get("HALL_PASSWORD_HASH", "").strip() or DEFAULT
    if chosen.split(":", 1)[0] not in KNOWN:
        raise ValueError(f"HALL_PASSWORD_HASH={chosen!r}: a werkzeug method "
                         f"({' or '.join(KNOWN)}, with its parameters) is expected")
    if chosen != DEFAULT:
        _warn_once(chosen)
    return chosen


@cache
def _warn_once(chosen: str) -> None:
    log.warning("passwords are hashed with %s, not %s (HALL_PASSWORD_HASH)", chosen, DEFAULT)


def make(password: str) -> str:
    """The salted hash to store for ``password``."""
    return generate_password_hash(password, method=method())


def matches(digest: str, password: str) -> bool:
    """Whether ``password`` is the one ``digest`` was made from (under its own parameters)."""
    return check_password_hash(digest, password)


def check_nobody(password: str) -> None:
    """Spend what a real check spends, for a login that does not exist: the answer takes
    the same time either way."""
    check_password_hash(_dummy(method()), password)


def is_current(digest: str) -> bool:
    """Whether ``digest`` was made with the process's method and cost."""
    return digest.split("$", 1)[0] == _dummy(method()).split("$", 1)[0]


@cache
def _dummy(chosen: str) -> str:
    return generate_password_hash("timing-equaliser", method=chosen)
