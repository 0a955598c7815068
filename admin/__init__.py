"""Admin blueprint: device health, follow-ups, (later) supervision board and reports."""
from __future__ import annotations

from admin import (  # noqa: E402,F401 - routes register on import
    board,
    cases,
    catalog,
    complaints,
    console,
    devices,
    duty,
    exchange,
    followups,
    password,
    people,
    reports,
)
from admin.blueprint import bp  # noqa: F401 - the blueprint the app registers


@bp.record_once
def _install_url_check(state) -> None:
    """Device addresses set on /admin/devices are checked by the drivers' one URL parser;
    the core reaches it as ``app.extensions["hall.device_url"]`` (it imports no driver)."""
    from drivers.urls import parse

    state.app.extensions.setdefault("hall.device_url", parse)
