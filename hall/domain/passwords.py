"""The password policy, stated once: what a password people choose for themselves must be.

Length is what makes a password hard to guess (NIST SP 800-63B): at least MIN_LENGTH
characters, any characters at all (a phrase in Chinese counts), and not the account's login
or the password it replaces. No rules about digits or capitals, which only make people write
passwords down. MAX_LENGTH bounds the hashing work one request can ask for.
"""
from __future__ import annotations

from hall.domain.errors import DomainError
from hall.domain.i18n import N_

MIN_LENGTH = 10
MAX_LENGTH = 128
FIELD = "new"  # the request field a refusal points at


def check_new_password(new: str, *, login: str, current: str) -> None:
    """Raise a DomainError naming the field ``new`` unless ``new`` may replace ``current``
    as the password of ``login``."""
    if len(new) < MIN_LENGTH:
        raise DomainError("password_too_short",
                          N_("The new password needs at least %(min)s characters"), FIELD,
                          min=MIN_LENGTH)
    if len(new) > MAX_LENGTH:
        raise DomainError("password_too_long",
                          N_("The new password may have at most %(max)s characters"), FIELD,
                          max=MAX_LENGTH)
    if new.strip().casefold() == login.strip().casefold():
        raise DomainError("password_is_login",
                          N_("The new password must not be your login"), FIELD)
    if new == current:
        raise DomainError("password_unchanged",
                          N_("The new password must differ from the current one"), FIELD)
