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


def _shared_store(message_queue: str | None) -> str:
    return message_queue if message_queue and message_queue.startswith("redis") else "memory://"


def _rate_limits(env) -> dict[str, str]:
    """``HALL_RATELIMIT_ISSUE=30/minute`` → ``{"issue": "30/minute"}``: one limit of the
    table in hall/web/security.py changed (an unknown name is refused when the app starts)."""
    skip = {"HALL_RATELIMIT_ENABLED", "HALL_RATELIMIT_STORAGE"}
    return {k.removeprefix("HALL_RATELIMIT_").lower(): v for k, v in env.items()
            if k.startswith("HALL_RATELIMIT_") and k not in skip}


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
        # ID card readers the server drives, per kiosk: "7=idcard+serial:///dev/ttyUSB2;8=…"
        # (kiosk/card_reader.py)
        "IDCARD_READERS": env.get("HALL_IDCARD_READERS", ""),
        # how often a screen's or a pad's page reports that it is alive (and its version)
        "DEVICE_HEARTBEAT_SECONDS": float(env.get("HALL_DEVICE_HEARTBEAT_SECONDS", "30")),
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
        # a staff session also ends after this long without a request (hall/web/auth.py)
        "SESSION_IDLE_MINUTES": int(env.get("HALL_SESSION_IDLE_MINUTES", "120")),
        # served over HTTPS only (behind a proxy that terminates TLS): HSTS, Secure cookies
        "HSTS": env.get("HALL_HSTS") == "1",
        "SESSION_COOKIE_SECURE": env.get("HALL_HSTS") == "1",
        # how many proxies in front set X-Forwarded-For/-Proto (rate limits key on the IP)
        "TRUSTED_PROXIES": int(env.get("HALL_TRUSTED_PROXIES", "0")),
        # rate limits (hall/web/security.py): one store for every process of the hall, so by
        # default the Redis the processes already share, else this process's memory
        "RATELIMIT_ENABLED": env.get("HALL_RATELIMIT_ENABLED", "1") == "1",
        "RATELIMIT_STORAGE_URI": env.get("HALL_RATELIMIT_STORAGE") or _shared_store(
            env.get("HALL_MESSAGE_QUEUE")),
        "RATE_LIMITS": _rate_limits(env),
    }
    cfg.update(overrides or {})
    if cfg["ASYNC_MODE"] not in ASYNC_MODES:
        raise ValueError(f"HALL_ASYNC_MODE={cfg['ASYNC_MODE']!r}: use one of {ASYNC_MODES}")
    cfg.setdefault("SECRET_KEY", env.get("HALL_SECRET_KEY") or _instance_secret(instance))
    cfg.setdefault("PERSON_KEY", (env.get("HALL_PERSON_KEY") or cfg["SECRET_KEY"]).encode())
    return cfg
