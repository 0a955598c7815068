"""配置管理 /admin/: departments, services and their guides, counters (admins only)."""
from __future__ import annotations

from admin import bp  # noqa: F401 - routes register on import
