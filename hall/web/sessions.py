"""The staff session cookie, signed as Flask signs it, with the signer built once per key.

Flask builds a new ``URLSafeTimedSerializer`` for every request that opens or saves a
session, and itsdangerous, on building one, serializes an empty dict to learn whether the
serializer yields text. On the ticket path (a kiosk's bearer request, which never carries
a session) that was about 2 % of the server's time (bench/README.md, issue 14). The
cookie's format, keys, salt and expiry are Flask's own: only the construction is cached,
and it is rebuilt when the secret key or its fallbacks change.
"""
from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class CachedSignerSessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._signer: tuple[tuple, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if self._signer is None or self._signer[0] != keys:
            self._signer = (keys, super().get_signing_serializer(app))
        return self._signer[1]


def init_app(app: Flask) -> None:
    app.session_interface = CachedSignerSessionInterface()
