"""Signing a headless Chromium page in through the admin pages' own form, for page tests."""
from __future__ import annotations

from hall.services.config import accounts


def signed_in_page(browser, ctx, url: str, *, role: str = "supervisor", login: str = "zhao",
                   name: str = "赵敏", width: int = 1600, height: int = 1000,
                   locale: str = "zh-CN"):
    """A new page signed in as a new ``role`` account (created here) at ``url``; returns
    (page, the page's uncaught script errors)."""
    password = accounts.add_user(ctx, login=login, name=name, role=role).value["password"]
    return page_signed_in_as(browser, url, login, password, width=width, height=height,
                             locale=locale)


def page_signed_in_as(browser, url: str, login: str, password: str, *, width: int = 1600,
                      height: int = 1000, locale: str = "zh-CN"):
    """A new page at ``url`` signed in through its sign-in form as an existing account (a
    test that needs the password, to change it say); returns (page, script errors)."""
    context = browser.new_context(viewport={"width": width, "height": height},
                                  locale=locale, timezone_id="Asia/Shanghai")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.fill("#login-user", login)
    page.fill("#login-password", password)
    with page.expect_navigation():
        page.click("#login-submit")
    return page, errors
