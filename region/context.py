"""The region's unit-of-work context of this app (its database), as the pages read it."""
from __future__ import annotations

from flask import current_app

from hall.services.context import Context


def region_context() -> Context:
    return current_app.extensions["region"]
