"""Query inputs of the region's pages and API: a day and a month, refused (422, naming
the field) when they are not one."""
from __future__ import annotations

from datetime import date, datetime

from hall.domain.errors import DomainError
from hall.domain.i18n import N_


def day(value: str | None, field: str, required: bool = True) -> date | None:
    if not value:
        if required:
            raise DomainError("invalid_date", N_("Not a date (YYYY-MM-DD): %(value)s"), field,
                              value="")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError("invalid_date", N_("Not a date (YYYY-MM-DD): %(value)s"), field,
                          value=value) from None


def month(value: str | None) -> date:
    try:
        return datetime.strptime(value or "", "%Y-%m").date()
    except ValueError:
        raise DomainError("invalid_month", N_("Not a month (YYYY-MM): %(value)s"), "month",
                          value=value or "") from None
