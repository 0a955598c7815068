"""人员、大厅设置、审计日志 /admin/staff, /admin/settings, /admin/audit (admins only)."""
from __future__ import annotations

from admin import bp  # noqa: F401 - routes register on import
