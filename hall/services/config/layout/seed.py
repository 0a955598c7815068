"""Loading a hall layout from TOML (``hall seed``), idempotently: rows are matched by code
(hall, department, service), number (counter) or login (staff) and updated in place."""
from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hall.services.config.layout.spec import LayoutSpec, describe
from hall.services.context import Context, Result, UnitOfWork, run


def load_layout(path: str | Path) -> dict[str, Any]:
    with open(path, "rb") as fh:
        layout = tomllib.load(fh)
    validate_layout(layout)
    return layout


def validate_layout(layout: dict[str, Any]) -> LayoutSpec:
    """Refuse a layout that would break the hall, naming the offending entry (ValueError)."""
    try:
        return LayoutSpec.model_validate(layout)
    except ValidationError as exc:
        raise ValueError(describe(exc, layout)) from None


def seed(ctx: Context, layout: dict[str, Any] | LayoutSpec, *,
         ignore_hours: bool = False, check: Callable[[str], Any] | None = None) -> Result:
    """Create or update everything the layout lists (rows it does not list are left as
    they are: the admin console's import is the one that deactivates them). ``check`` is
    the drivers' URL parser the devices' addresses pass (hall.services.devices.transport)."""
    from hall.services.config.layout.exchange import (
        write,  # the one writer of layouts, shared with import
    )

    spec = layout if isinstance(layout, LayoutSpec) else validate_layout(layout)
    if ignore_hours:
        spec = spec.model_copy(update={"services": [
            s.model_copy(update={"hours": []}) for s in spec.services]})

    def command(uow: UnitOfWork) -> dict[str, int]:
        hall_id, _ = write(uow, spec, check)
        return {"hall_id": hall_id, "departments": len(spec.departments),
                "services": len(spec.services), "counters": len(spec.counters),
                "staff": len(spec.staff)}

    result = run(ctx, command)
    ctx.cache.clear()  # settings and services changed: no stale copy in this process
    return result
