"""Personal data, kept minimal (DESIGN.md §5): phones masked, ID numbers only as keyed hashes.

A keyed hash (HMAC-SHA256 with the hall's person key) lets the hall recognise the same person
again — one booking per phone, a daily limit per ID number — without keeping anything that
gives the number back: without the key, even the 10^9 possible phone numbers cannot be
hashed to find a match. The plain values live only in the request that carries them.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date

from hall.domain.errors import DomainError
from hall.domain.i18n import N_

# GB 11643-1999: weights of the first 17 digits and the check character for sum mod 11
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"\d{17}[\dX]")
_PHONE_SHAPE = re.compile(r"1[3-9]\d{9}")  # mainland mobile numbers
_PHONE_NOISE = re.compile(r"[\s\-()]")


def id_check_char(first17: str) -> str:
    """The 18th character of a resident ID number whose first 17 digits are given."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def normalize_id_number(raw: str, field: str = "id_number") -> str:
    """An 18-character resident ID number, upper-case X, checksum verified.

    The message never repeats the number: error texts end up in logs and screenshots.
    """
    value = raw.strip().upper()
    if not _ID_SHAPE.fullmatch(value):
        raise DomainError("invalid_id_number",
                          N_("An ID number has 18 characters: 17 digits, then a digit or X"),
                          field)
    if id_check_char(value[:17]) != value[17]:
        raise DomainError("invalid_id_number",
                          N_("This ID number is mistyped (its check digit does not match)"),
                          field)
    return value


def birth_date(id_number: str) -> date:
    """The birth date in a (checked) 18-character ID number: characters 7-14, YYYYMMDD."""
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        raise DomainError("invalid_id_number", N_("This ID number holds no valid birth date"),
                          "id_number") from None


def age_on(id_number: str, day: date) -> int:
    """Whole years of age on ``day`` of the holder of a (checked) ID number."""
    born = birth_date(id_number)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def normalize_phone(raw: str, field: str = "phone") -> str:
    """11-digit mainland mobile number; spaces, dashes and a +86 prefix are dropped."""
    value = _PHONE_NOISE.sub("", raw)
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    if not _PHONE_SHAPE.fullmatch(value):
        raise DomainError("invalid_phone", N_("Enter an 11-digit mobile number"), field)
    return value


def mask_phone(phone: str) -> str:
    """13812341234 → 138****1234: enough for the visitor to recognise, not to call."""
    return f"{phone[:3]}****{phone[-4:]}"


def mask_name(name: str | None) -> str:
    """张三丰 → 张**, 张三 → 张*: recognisable on a list or a screen, identifying no one."""
    name = (name or "").strip()
    return name[:1] + "*" * (len(name) - 1) if name else ""


def keyed_hash(key: bytes, kind: str, value: str) -> str:
    """HMAC-SHA256 of ``kind:value`` (hex). ``kind`` keeps phone and ID hashes apart."""
    if not key:
        raise ValueError("no person key configured (HALL_PERSON_KEY or HALL_SECRET_KEY)")
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
