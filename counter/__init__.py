"""Counter blueprint (叫号器): the staff terminal."""
from __future__ import annotations

from counter import documents, password, views  # noqa: E402,F401 - routes register on import
from counter.blueprint import bp  # noqa: F401 - the blueprint the app registers
