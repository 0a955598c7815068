"""Ticket numbers: prefix + per-(hall, prefix, local day) sequence, reset at local midnight."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


def local_day(at: datetime, timezone: str) -> date:
    """The hall's calendar day of an aware UTC instant; numbering resets when it changes."""
    if at.tzinfo is None:
        raise ValueError("naive datetime: pass an aware UTC instant")
    return at.astimezone(ZoneInfo(timezone)).date()


def format_number(prefix: str, seq: int, width: int = 3) -> str:
    """A001 … A999, then A1000: never wraps, so a busy day can never repeat a number."""
    return f"{prefix}{seq:0{width}d}"
