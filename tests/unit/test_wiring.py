"""A Context for real work comes from wiring.make_context, with the hall's follow-ups."""
from __future__ import annotations

import pytest

from hall.services.context import Context
from hall.services.queue import calls, notify, standing
from hall.services.wiring import make_context


def test_a_hall_context_follows_each_command_with_its_queue_stats_and_live_calls():
    ctx = make_context(None, secret=b"k")
    assert ctx.followups == [standing.queue_stats, calls.calls_live, notify.near_turn]
    assert ctx.secret == b"k"
    assert make_context(None).followups is not ctx.followups  # never shared between contexts


def test_a_context_built_by_hand_must_say_which_followups_it_wants():
    with pytest.raises(TypeError, match="followups"):
        Context(engine=None)
    assert Context(engine=None, followups=[]).followups == []
