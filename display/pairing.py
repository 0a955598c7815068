"""设备配对 /pair: a new kiosk, screen or pad shows a short code until an admin approves it."""
from __future__ import annotations

from display import bp  # noqa: F401 - routes register on import
