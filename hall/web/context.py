"""The hall's service context as the web layer reaches it: the app factory puts one
``Context`` (engine, clock, publishers, cache) into ``app.extensions["hall"]``; every
blueprint, page and socket handler takes it from here, never from the factory."""
from __future__ import annotations

from flask import Flask, current_app

from hall.services.context import Context


def hall_context(app: Flask | None = None) -> Context:
    return (app or current_app).extensions["hall"]
