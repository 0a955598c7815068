"""Live hall over Socket.IO against a real server process, in both async modes."""
from __future__ import annotations

import pytest
import socketio
from sqlalchemy import text

from tests.e2e.live_client import LiveClient
from tests.e2e.server import running_hall

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("servers")]


@pytest.fixture(params=["gevent", "eventlet"])
def live_hall(request, ctx, db_url, tmp_path):
    with running_hall(ctx, db_url, tmp_path, request.param) as (server, tokens, post):
        yield server, tokens, post, ctx


def test_a_screen_receives_the_call_with_number_counter_and_announcement(live_hall):
    server, tokens, post, _ = live_hall
    screen = LiveClient(server.url, tokens["screen"]["token"]).connect()
    try:
        ack = screen.subscribe(f"hall:{tokens['screen']['hall_id']}", 0)
        assert ack["ok"] and ack["snapshot"] is None
        ticket = post("/api/v1/tickets", "kiosk", service="hj")
        post("/api/v1/counters/1/call-next", "keypad1")
        called = screen.next_event("ticket.called")
        assert called["number"] == ticket["number"] and called["counter_number"] == 1
        assert called["announce"]["zh"] == f"请 {ticket['number']} 号到 1 号窗口办理"
        assert called["seq"] > 0
    finally:
        screen.close()


def test_a_reconnecting_screen_gets_exactly_what_it_missed_in_order(live_hall):
    server, tokens, post, _ = live_hall
    room = f"hall:{tokens['screen']['hall_id']}"
    for _ in range(3):
        post("/api/v1/tickets", "kiosk", service="hj")
    screen = LiveClient(server.url, tokens["screen"]["token"]).connect()
    last_seq = screen.subscribe(room, 0)["last_seq"]
    screen.close()
    numbers = [post(f"/api/v1/counters/{n}/call-next", f"keypad{n}")["ticket"]["number"]
               for n in (1, 2, 3)]
    again = LiveClient(server.url, tokens["screen"]["token"]).connect()
    try:
        ack = again.subscribe(room, last_seq)
        assert [e["type"] for e in ack["events"]] == ["ticket.called"] * 3
        assert [e["number"] for e in ack["events"]] == numbers
        seqs = [e["seq"] for e in ack["events"]]
        assert seqs == sorted(seqs) and seqs[0] > last_seq and ack["last_seq"] == seqs[-1]
    finally:
        again.close()


def test_a_client_whose_events_were_compacted_away_gets_a_snapshot(live_hall):
    server, tokens, post, ctx = live_hall
    for _ in range(4):
        post("/api/v1/tickets", "kiosk", service="hj")
    with ctx.engine.begin() as conn:  # compaction: the oldest events are gone
        conn.execute(text("DELETE FROM events WHERE seq <= 5"))
    screen = LiveClient(server.url, tokens["screen"]["token"]).connect()
    try:
        ack = screen.subscribe(f"hall:{tokens['screen']['hall_id']}", 1)
        assert ack["snapshot"] is not None and ack["events"] == []
        waiting = {q["code"]: q["waiting"] for q in ack["snapshot"]["queues"]}
        assert waiting["hj"] == 4 and len(ack["snapshot"]["counters"]) == 4
    finally:
        screen.close()


def test_a_phone_hears_its_own_call_and_nothing_it_may_not(live_hall):
    server, tokens, post, _ = live_hall
    mine = post("/api/v1/tickets", "kiosk", service="hj")
    other = post("/api/v1/tickets", "kiosk", service="hj")
    phone = LiveClient(server.url, mine["token"]).connect()
    try:
        assert phone.subscribe(f"ticket:{other['token']}")["error"]["code"] == "forbidden"
        assert phone.subscribe("counter:1")["error"]["code"] == "forbidden"
        assert phone.subscribe(f"hall:{tokens['screen']['hall_id']}")["ok"] is False
        ack = phone.subscribe(f"ticket:{mine['token']}")
        assert ack["ok"]
        post("/api/v1/counters/2/call-next", "keypad2")
        called = phone.next_event("ticket.called")
        assert called["number"] == mine["number"] and called["counter_number"] == 2
    finally:
        phone.close()


def test_an_unknown_token_cannot_connect(live_hall):
    server, _, _, _ = live_hall
    with pytest.raises(socketio.exceptions.ConnectionError):
        LiveClient(server.url, "not-a-token").connect()
