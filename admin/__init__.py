"""Admin blueprint: device health, follow-ups, (later) supervision board and reports."""
from __future__ import annotations

from admin import (  # noqa: E402,F401 - routes register on import
    board,
    cases,
    complaints,
    console,
    devices,
    exchange,
    followups,
    password,
    people,
    reports,
)
from admin.blueprint import bp  # noqa: F401 - the blueprint the app registers
