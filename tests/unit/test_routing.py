"""URL rules compiled lazily (hall/web/routing.py) build exactly the URLs werkzeug's own
rules build, and refuse what they refuse."""
from __future__ import annotations

import pytest
from werkzeug.routing import BuildError, Map, Rule

from hall.web.routing import LazyBuilderRule

RULES = [("/kiosk/<int:kiosk_id>", "kiosk", {}),
         ("/api/v1/tickets/<token>", "status", {}),
         ("/display/<path:rest>", "asset", {}),
         ("/board", "board", {}),
         ("/hall/<code>/day/<day>", "day", {"day": "today"})]
CALLS = [("kiosk", {"kiosk_id": 7}), ("kiosk", {"kiosk_id": 7, "lang": "en", "token": "a b"}),
         ("status", {"token": "甲 乙/丙"}), ("asset", {"rest": "voice/zh/1.wav"}),
         ("board", {}), ("board", {"page": 2}), ("day", {"code": "sy"}),
         # refused alike: a value missing, one its converter cannot take, and one that
         # differs from the rule's default
         ("kiosk", {}), ("kiosk", {"kiosk_id": "seven"}),
         ("day", {"code": "sy", "day": "2026-12-07"})]


def adapter(rule_class):
    url_map = Map([rule_class(path, endpoint=endpoint, defaults=defaults or None)
                   for path, endpoint, defaults in RULES])
    return url_map.bind("hall.example", "/")


def outcome(urls, endpoint: str, values: dict) -> str:
    """The URL built, or the name of the refusal."""
    try:
        return urls.build(endpoint, values)
    except (BuildError, ValueError) as exc:
        return type(exc).__name__


@pytest.mark.parametrize(("endpoint", "values"), CALLS)
def test_a_lazily_compiled_rule_builds_or_refuses_as_werkzeugs_own(endpoint, values):
    expected = outcome(adapter(Rule), endpoint, values)
    lazy = adapter(LazyBuilderRule)
    for _ in range(2):  # compiled at the first build, kept for the second
        assert outcome(lazy, endpoint, values) == expected


def test_the_api_routes_with_lazily_compiled_rules():
    from hall.api import create_api

    app = create_api(__name__)
    assert {type(rule) for rule in app.url_map.iter_rules()} == {LazyBuilderRule}
    with app.test_request_context():
        assert app.url_for("tickets.status", token="甲 乙") == (
            "/api/v1/tickets/%E7%94%B2%20%E4%B9%99")
