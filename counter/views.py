"""Counter terminal: filled in by issue 6."""
from counter import bp  # noqa: F401
