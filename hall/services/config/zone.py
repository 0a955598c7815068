"""A hall's own time zone and its today (DESIGN.md §5: times are shown in the hall's zone).

One server may host halls in different zones, so a page or report that knows its hall
takes the zone from ``halls.timezone``, never from the app-wide default
(``BABEL_DEFAULT_TIMEZONE``), which only serves pages that know no hall yet.
"""
from __future__ import annotations

from datetime import date

from hall.services import repo
from hall.services.context import Context, UnitOfWork, read


def timezone(ctx: Context, hall_id: int) -> str:
    """The hall's IANA zone name, e.g. "Asia/Urumqi"."""
    return read(ctx, lambda uow: repo.hall_config(uow, hall_id).settings.timezone)


def today(ctx: Context, hall_id: int) -> date:
    """The hall's local date now (its clock is the context's, which tests move)."""

    def query(uow: UnitOfWork) -> date:
        return repo.hall_config(uow, hall_id).settings.local(uow.now).date()

    return read(ctx, query)
