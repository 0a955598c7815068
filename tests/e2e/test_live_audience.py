"""Who hears what (issue 16, item 2): every identity of a hall follows the rooms its page or
bridge follows, over a real server's Socket.IO (gevent, so the direct fan-out writes the
frames), and reads GET /api/v1/events and a re-subscription's backlog; a day's worth of
events of every kind is produced through the API, and what each identity received is
compared with what it may read (hall/realtime/events.py ``AUDIENCE``), in all three feeds."""
from __future__ import annotations

import pytest
import requests
import socketio

from hall.services.config import accounts
from tests.conftest import wait_for
from tests.e2e.conftest import SQLITE_ONLY, admin_session, bearer
from tests.e2e.live_client import LiveClient

# what a screen, a kiosk or an LED sign may hear: the queue as the hall sees it
PUBLIC = {"ticket.issued", "ticket.called", "ticket.recalled", "ticket.started",
          "ticket.finished", "ticket.held", "ticket.unheld", "ticket.skipped",
          "ticket.reinstated", "ticket.transferred", "ticket.cancelled", "counter.state",
          "queue.stats", "calls.live", "config.changed"}
# what only supervisors and administrators may hear
SUPERVISION = {"followup.opened", "followup.updated", "followup.closed", "case.accepted",
               "case.updated", "device.health", "device.revoked", "staff.sessions_ended"}
EVERYTHING = PUBLIC | SUPERVISION | {"ticket.rated", "alert", "print.requested"}


class Listener(LiveClient):
    """A LiveClient that signs in with a device or ticket token, or a staff cookie."""

    def __init__(self, url: str, token: str | None = None, cookie: str | None = None):
        super().__init__(url, token)
        self.cookie = cookie
        self.acks: list[dict] = []

    def connect(self) -> Listener:
        headers = {"Cookie": f"session={self.cookie}"} if self.cookie else {}
        self.sio.connect(self.url, namespaces=["/hall"], auth={"token": self.token},
                         headers=headers, transports=self.transports, wait_timeout=10)
        return self

    def follow(self, *rooms: str, last_seq: int = 0) -> Listener:
        for room in rooms:
            ack = self.subscribe(room, last_seq)
            assert ack["ok"], (room, ack)
            self.acks.append(ack)
        return self

    def received(self) -> list[dict]:
        out = []
        while not self.events.empty():
            out.append(self.events.get_nowait())
        return out


def staff_session(ctx, url: str, login: str, role: str) -> requests.Session:
    password = accounts.add_user(ctx, login=login, name=login, role=role).value["password"]
    http = requests.Session()
    r = http.post(url + "/api/v1/auth/login", json={"login": login, "password": password},
                  timeout=5)
    assert r.status_code == 200, r.text
    http.headers["X-CSRFToken"] = r.json()["csrf_token"]
    return http


def types(events: list[dict], before: int, until: int) -> set[str]:
    return {e["type"] for e in events if before < e["seq"] <= until}


@SQLITE_ONLY
@pytest.mark.slow
def test_event_feed_filters_by_audience(live_hall, ctx):
    server, tokens, post = live_hall
    url, hall = server.url, tokens["kiosk"]["hall_id"]
    for kind, counter in (("sign", None), ("pad", 1), ("agent", None), ("kiosk", None)):
        name = "spare" if kind == "kiosk" else kind
        tokens[name] = accounts.add_device(ctx, kind=kind, counter_number=counter).value
    sup = staff_session(ctx, url, "wang", "supervisor")
    admin = admin_session(ctx, url)
    staff = staff_session(ctx, url, "li", "staff")
    assert staff.post(f"{url}/api/v1/counters/1/sign-in", timeout=5).ok  # li is at window 1
    first = post("/api/v1/tickets", "kiosk", service="hj")

    def device(name: str) -> dict:
        return bearer(tokens[name]["token"])

    def session_cookie(http: requests.Session) -> str:
        return http.cookies["session"]

    hall_room = f"hall:{hall}"
    # identity → (how it connects, the rooms its page or bridge follows, its HTTP headers)
    who = {
        "kiosk": (Listener(url, tokens["kiosk"]["token"]),
                  [hall_room, f"device:{tokens['kiosk']['id']}"], device("kiosk")),
        "screen": (Listener(url, tokens["screen"]["token"]), [hall_room, "counter:1"],
                   device("screen")),
        "sign": (Listener(url, tokens["sign"]["token"]), [hall_room], device("sign")),
        "pad": (Listener(url, tokens["pad"]["token"]), ["counter:1"], device("pad")),
        "keypad": (Listener(url, tokens["keypad1"]["token"]), ["counter:1", hall_room],
                   device("keypad1")),
        "agent": (Listener(url, tokens["agent"]["token"]), [hall_room, "counter:1"],
                  device("agent")),
        "staff": (Listener(url, cookie=session_cookie(staff)), ["counter:1", hall_room],
                  None),
        "supervisor": (Listener(url, cookie=session_cookie(sup)), [hall_room], None),
        "admin": (Listener(url, cookie=session_cookie(admin)), [hall_room], None),
        "phone": (Listener(url, first["token"]), [f"ticket:{first['token']}"], None),
    }
    nobody = Listener(url, None)
    with pytest.raises(socketio.exceptions.ConnectionError):
        nobody.connect()  # no token, no session: no feed at all
    before = sup.get(f"{url}/api/v1/events?after=0", timeout=5).json()["last_seq"]
    try:
        for listener, rooms, _ in who.values():
            listener.connect().follow(*rooms)
        marker = produce_every_kind(ctx, url, post, sup, admin, tokens, first)
        for name, (listener, _, _) in who.items():
            wait_for(lambda ls=listener: any(e["type"] == "ticket.called"
                                             and e.get("number") == marker
                                             for e in list(ls.events.queue)),
                     what=f"{name} hears the last call")
        until = next(e["seq"] for e in sup.get(f"{url}/api/v1/events?after={before}",
                                                 timeout=5).json()["events"]
                     if e["type"] == "ticket.called" and e["number"] == marker)
        live = {name: types(listener.received(), before, until)
                for name, (listener, _, _) in who.items()}
    finally:
        for listener, _, _ in who.values():
            listener.close()

    every_window_event = PUBLIC | {"ticket.rated"}
    assert live == {
        "kiosk": PUBLIC | {"print.requested"},  # its own printer's job, in its own room
        "screen": PUBLIC,
        "sign": PUBLIC,
        # the window's room: its visits and their rating, nothing hall-wide, no alert
        "pad": {"ticket.called", "ticket.recalled", "ticket.started", "ticket.finished",
                "ticket.rated", "ticket.held", "ticket.unheld", "ticket.skipped",
                "ticket.transferred"},
        "keypad": every_window_event,
        "agent": every_window_event | {"print.requested"},
        "staff": every_window_event | {"alert"},  # window 1's bad rating, as GET /alerts
        "supervisor": EVERYTHING,
        "admin": EVERYTHING,
        # the phone page: its own ticket (and its rating), and its line moving (a transfer
        # out to another line is that line's news)
        "phone": {"ticket.called", "ticket.recalled", "ticket.started", "ticket.finished",
                  "ticket.rated", "ticket.issued", "queue.stats", "ticket.unheld",
                  "ticket.skipped", "ticket.reinstated"},
    }
    # the backlog of a re-subscription gives each the same as the live rooms did
    for name, (_, rooms, _) in who.items():
        token = who[name][0].token
        cookie = who[name][0].cookie
        again = Listener(url, token, cookie).connect()
        try:
            again.follow(*rooms, last_seq=before)
            replayed = [e for ack in again.acks for e in ack["events"]]
            assert not any(ack["snapshot"] for ack in again.acks)
            assert types(replayed, before, until) == live[name], name
        finally:
            again.close()
    # GET /api/v1/events: the hall's room and one's own window's and device's
    http = {name: headers for name, (_, _, headers) in who.items() if headers}
    feeds = {}
    for name, headers in http.items():
        r = requests.get(f"{url}/api/v1/events?after={before}", headers=headers, timeout=5)
        assert r.status_code == 200, r.text
        feeds[name] = types(r.json()["events"], before, until)
    for name, session in (("staff", staff), ("supervisor", sup), ("admin", admin)):
        feeds[name] = types(session.get(f"{url}/api/v1/events?after={before}",
                                        timeout=5).json()["events"], before, until)
    assert feeds == {
        "kiosk": PUBLIC | {"print.requested"},
        "screen": PUBLIC,
        "sign": PUBLIC,
        "pad": every_window_event,
        "keypad": every_window_event,
        "agent": every_window_event | {"print.requested"},
        "staff": every_window_event | {"alert"},
        "supervisor": EVERYTHING,
        "admin": EVERYTHING,
    }
    # the phone has no HTTP feed of events at all
    assert requests.get(f"{url}/api/v1/events", timeout=5).status_code == 401


def produce_every_kind(ctx, url, post, sup, admin, tokens, first) -> str:
    """Every kind of event, through the API as the hall would cause it; returns the number
    of the last ticket called (the marker every listener hears last)."""

    def ok(r, status: int = 200):
        assert r.status_code == status, r.text
        return r.json()

    post("/api/v1/counters/1/call-next", "keypad1")  # the phone's ticket
    post("/api/v1/counters/1/recall", "keypad1")
    post("/api/v1/counters/1/start", "keypad1")
    post("/api/v1/counters/1/finish", "keypad1", outcome="accepted", applicant="王五")
    post(f"/api/v1/tickets/{first['id']}/rating", "pad", level=1, reason="服务态度差",
         comment="等了很久")  # ticket.rated, a follow-up, an alert at window 1
    (followup,) = ok(sup.get(f"{url}/api/v1/followups", timeout=5))["followups"]
    ok(sup.post(f"{url}/api/v1/followups/{followup['id']}/actions", json={"text": "已约谈"},
                timeout=5))
    ok(sup.post(f"{url}/api/v1/followups/{followup['id']}/close", json={"result": "已整改",
                                                                  "revisit": "satisfied"},
                timeout=5))
    (case,) = ok(sup.get(f"{url}/api/v1/cases", timeout=5))["cases"]
    ok(sup.post(f"{url}/api/v1/cases/{case['number']}/start", json={}, timeout=5))
    second = post("/api/v1/tickets", "kiosk", service="hj")
    post("/api/v1/counters/1/call-next", "keypad1")
    post("/api/v1/counters/1/hold", "keypad1", note="去复印材料")
    post("/api/v1/counters/1/unhold", "keypad1", ticket_id=second["id"])
    post("/api/v1/counters/1/call-next", "keypad1")
    post("/api/v1/counters/1/skip", "keypad1")
    post("/api/v1/counters/1/reinstate", "keypad1", ticket_id=second["id"])
    post("/api/v1/counters/1/call-next", "keypad1")
    post("/api/v1/counters/1/transfer", "keypad1", to_service="ss", note="转税务")
    third = post("/api/v1/tickets", "kiosk", service="sfz")
    ok(requests.post(f"{url}/api/v1/tickets/{third['token']}/cancel", timeout=5))
    post("/api/v1/counters/2/pause", "keypad2", reason="午休")
    ok(admin.put(f"{url}/api/v1/admin/notices", json={"notices": [{"text": "今日延时服务"}]},
                 timeout=5))
    post("/api/v1/devices/me/health", "screen", online=True, errors=3)
    ok(admin.post(f"{url}/api/v1/devices/{tokens['spare']['id']}/revoke", timeout=5))
    zhao = staff_session(ctx, url, "zhao", "staff")
    ok(zhao.post(f"{url}/api/v1/auth/logout", timeout=5))  # staff.sessions_ended
    last = post("/api/v1/tickets", "kiosk", service="hj")
    post("/api/v1/print-jobs", "kiosk", ticket_id=last["id"])  # on the kiosk's own printer
    post("/api/v1/counters/1/call-next", "keypad1")
    return last["number"]
