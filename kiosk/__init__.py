"""Kiosk blueprint (取号机): touch pages, take a number, print the ticket.

Registering the blueprint also makes the server able to print itself: ``kiosk.printing``
becomes ``app.extensions["hall.printer"]``, which the JSON API's print jobs call, so the
core never imports a printer driver.
"""
from __future__ import annotations

from kiosk.blueprint import bp  # noqa: F401 - the blueprint the app registers


@bp.record_once
def _install_printer(state) -> None:
    from kiosk import printing

    state.app.extensions.setdefault("hall.printer", printing)


from kiosk import case_lookup, guide, views  # noqa: E402,F401 - routes register on import
