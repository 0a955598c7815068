"""Kiosk pages: filled in by issue 5."""
from kiosk import bp  # noqa: F401
