"""Who is asking, and the one fence of the region's pages and API: the signed-in region
account (a session cookie holding its id and ``auth_version``, CSRF on every change),
whose every read names its login so that the services answer only for the halls under
its place. A session signed in with a one-time password may only replace it."""
from __future__ import annotations

import time

from flask import current_app, g, session

from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.services.region import accounts
from region.context import region_context


def start(account: accounts.Account) -> None:
    session.clear()  # nothing of an earlier (or a planted) session carries over
    session.permanent = True
    session.update(region_account=account.id, region_version=account.auth_version,
                   signed_in_at=time.time())


def renew(auth_version: int) -> None:
    """After this session changed the password: it carries on under the new version."""
    session["region_version"] = auth_version
    g.pop("region_account", None)


def end() -> None:
    session.clear()


def current() -> accounts.Account | None:
    """The session's account, or None (and the cookie cleared) once it has ended."""
    if "region_account" not in g:
        g.region_account = _resolve()
    return g.region_account


def _resolve() -> accounts.Account | None:
    account_id, version = session.get("region_account"), session.get("region_version")
    signed_in = session.get("signed_in_at")
    if not (isinstance(account_id, int) and isinstance(version, int)
            and isinstance(signed_in, (int, float))):
        return None
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    found = (accounts.account(region_context(), account_id, version)
             if time.time() - signed_in < lifetime else None)
    if found is None:
        session.clear()
    return found


def required() -> accounts.Account:
    """The API's caller: 401 without a session, 403 while its password is a one-time one."""
    account = current()
    if account is None:
        raise DomainError("unauthenticated", N_("Sign in or present a device token"),
                          "authorization")
    if account.must_change_password:
        raise DomainError("password_change_required",
                          N_("Replace your one-time password first"), "password")
    return account
