"""URL rules whose URL builders are compiled when first used.

Werkzeug turns each rule into two Python functions that build its URL (``ast`` plus
``compile``) the moment the rule is added: with the app's ~215 rules that was 80 % of
``create_app``'s CPU (0.08 of 0.10 s), paid by every server start and every test app, for
builders most of which no ``url_for`` ever calls. Here each builder is compiled on its first
call and kept; matching (the rule's regular expression) is untouched. The override is of
``Rule._compile_builder``, which ``Rule.compile`` calls: werkzeug is pinned, and
tests/unit/test_routing.py builds URLs through it.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing import Rule


class LazyBuilderRule(Rule):
    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compiled: Callable[..., tuple[str, str]] | None = None

        def build(rule: Rule, **values: Any) -> tuple[str, str]:
            nonlocal compiled
            if compiled is None:  # two threads may both compile: the same function twice
                compiled = Rule._compile_builder(rule, append_unknown)
            return compiled(rule, **values)

        return build
