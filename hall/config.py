"""Configuration: defaults, then environment (secrets only from the environment)."""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from hall.store.db import database_url

ASYNC_MODES = ("gevent", "eventlet", "threading")


def _instance_secret(instance: Path) -> str:
    """A per-install key kept in instance/ (0600) when HALL_SECRET_KEY is not set, so a
    demo hall works out of the box without any shared default secret."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def load(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    env = os.environ
    instance = Path(env.get("HALL_INSTANCE", "instance")).resolve()
    cfg: dict[str, Any] = {
        "INSTANCE": instance,
        "DATABASE_URL": database_url(),
        "ASYNC_MODE": env.get("HALL_ASYNC_MODE", "gevent"),
        "MESSAGE_QUEUE": env.get("HALL_MESSAGE_QUEUE") or None,
        # one channel per hall deployment, so two halls sharing a Redis never hear each other
        "MESSAGE_CHANNEL": env.get("HALL_MESSAGE_CHANNEL", "hall"),
        "MAX_CONTENT_LENGTH": 64 * 1024,  # no legitimate request is bigger
        # simultaneous connections one process accepts (screens, phones, terminals)
        "MAX_CONNECTIONS": int(env.get("HALL_MAX_CONNECTIONS", "10000")),
        "KIOSK_IDLE_SECONDS": int(env.get("HALL_KIOSK_IDLE_SECONDS", "60")),
        "PUBLIC_URL": env.get("HALL_PUBLIC_URL", ""),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,  # one working day
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": ["zh_CN", "en"],
        "WTF_CSRF_CHECK_DEFAULT": False,  # checked only for cookie-authenticated writes
        "WTF_CSRF_TIME_LIMIT": None,  # bound to the session, which expires itself
        "MIGRATE_ON_START": env.get("HALL_MIGRATE_ON_START", "1") == "1",
    }
    cfg.update(overrides or {})
    if cfg["ASYNC_MODE"] not in ASYNC_MODES:
        raise ValueError(f"HALL_ASYNC_MODE={cfg['ASYNC_MODE']!r}: use one of {ASYNC_MODES}")
    cfg.setdefault("SECRET_KEY", env.get("HALL_SECRET_KEY") or _instance_secret(instance))
    cfg.setdefault("PERSON_KEY", (env.get("HALL_PERSON_KEY") or cfg["SECRET_KEY"]).encode())
    return cfg
