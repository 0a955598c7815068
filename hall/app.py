"""Application factory (as in Flask's tutorial): config, extensions, blueprints, context."""
from __future__ import annotations

from functools import partial
from typing import Any

from flask import current_app, request, session

from hall import config as hall_config
from hall.extensions import babel, csrf, socketio
from hall.services.config import password_hash
from hall.services.context import Clock, SystemClock
from hall.services.wiring import make_context
from hall.store.db import make_engine
from hall.store.migrate import upgrade
from hall.web import pages, sessions


def select_locale() -> str:
    supported = current_app.config["LANGUAGES"]
    wanted = request.args.get("lang") or session.get("lang") or request.cookies.get("lang")
    if wanted in supported:
        return wanted
    return request.accept_languages.best_match(supported, default="zh_CN") or "zh_CN"


def create_app(overrides: dict[str, Any] | None = None, clock: Clock | None = None):
    from hall.api import create_api

    cfg = hall_config.load(overrides)
    password_hash.method()  # a HALL_PASSWORD_HASH no werkzeug method stops the start here
    app = create_api(__name__)
    app.config.update(cfg)
    app.json.ensure_ascii = False  # Chinese stays readable in responses and logs
    app.json.sort_keys = False  # schema order, and no sorting on the hot path
    sessions.init_app(app)
    if cfg["MIGRATE_ON_START"]:
        upgrade(cfg["DATABASE_URL"])
    background = bool(cfg.get("BACKGROUND_CHECKPOINT"))
    engine = make_engine(cfg["DATABASE_URL"], autocheckpoint=not background)
    if background and engine.dialect.name == "sqlite":
        from hall.store import checkpoint

        checkpoint.start(engine.url.database, cfg["ASYNC_MODE"])
    app.extensions["hall"] = make_context(engine, clock=clock or SystemClock(),
                                          secret=cfg["PERSON_KEY"],
                                          session_idle_s=cfg["SESSION_IDLE_MINUTES"] * 60)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories="translations")
    csrf.init_app(app)
    socketio.init_app(app, async_mode=cfg["ASYNC_MODE"],
                      message_queue=cfg["MESSAGE_QUEUE"], channel=cfg["MESSAGE_CHANNEL"],
                      # a browser's handshake only from the hall's own origins (issue 16)
                      cors_allowed_origins=partial(pages.origin_allowed, app),
                      max_http_buffer_size=cfg["MAX_CONTENT_LENGTH"])
    from hall.realtime import live
    from hall.realtime.events import SocketPublisher

    live.register(socketio, app)
    app.extensions["hall"].publishers.append(SocketPublisher(socketio))
    from admin import bp as admin_bp
    from counter import bp as counter_bp
    from counter.pad import bp as pad_bp
    from display import bp as display_bp
    from hall.web.blueprint import bp as web_bp
    from kiosk import bp as kiosk_bp
    from kiosk.booking import bp as booking_bp

    for blueprint in (web_bp, display_bp, kiosk_bp, booking_bp, counter_bp, pad_bp, admin_bp):
        app.register_blueprint(blueprint)
    from hall.web import security

    security.init_app(app)  # last: its limits attach to the endpoints registered above
    return app
