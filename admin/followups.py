"""Admin followups pages: filled in by its issue."""
from admin import bp  # noqa: F401
