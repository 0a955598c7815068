"""Live connections end with what let them in (issue 16, items 3 and 8): a staff member's
Socket.IO connections are dropped in every server process when their session ends — a
logout (that session's), their own password change (the other sessions'), an admin's
reset or deactivation (all) — across two processes sharing Redis; and a browser's
handshake from a foreign origin is refused."""
from __future__ import annotations

import queue
import uuid

import pytest
import redis
import requests
import socketio

from hall.services.config import accounts
from hall.services.config.layout.seed import load_layout, seed
from tests.conftest import DATA, unavailable
from tests.e2e.conftest import SQLITE_ONLY, admin_session, bearer, change_settings
from tests.e2e.live_client import InOrderClient
from tests.e2e.server import Server

REDIS_URL = "redis://127.0.0.1:6379/0"


class StaffSocket:
    """A python-socketio client on a staff session's cookie, following the hall's room,
    recording why the server dropped it."""

    def __init__(self, url: str, cookie: str, hall_id: int):
        self.events: queue.Queue[dict] = queue.Queue()
        self.dropped: queue.Queue[str] = queue.Queue()
        self.sio = InOrderClient(reconnection=False)
        self.sio.on("*", lambda event, data: self.events.put(data), namespace="/hall")
        self.sio.on("disconnect", self.dropped.put, namespace="/hall")
        self.sio.connect(url, namespaces=["/hall"], auth={}, transports=["websocket"],
                         headers={"Cookie": f"session={cookie}"}, wait_timeout=10)
        ack = self.sio.call("subscribe", {"room": f"hall:{hall_id}", "last_seq": 0},
                            namespace="/hall", timeout=10)
        assert ack["ok"], ack

    def hears(self, type_: str, key: str, value, timeout: float = 10) -> bool:
        while True:
            e = self.events.get(timeout=timeout)
            if e["type"] == type_ and e.get(key) == value:
                return True

    def close(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()


def signed_in(url: str, login: str, password: str) -> requests.Session:
    http = requests.Session()
    r = http.post(f"{url}/api/v1/auth/login", json={"login": login, "password": password},
                  timeout=5)
    assert r.status_code == 200, r.text
    http.headers["X-CSRFToken"] = r.json()["csrf_token"]
    return http


def refused(url: str, cookie: str) -> bool:
    client = socketio.Client(reconnection=False)
    try:
        client.connect(url, namespaces=["/hall"], auth={}, transports=["websocket"],
                       headers={"Cookie": f"session={cookie}"}, wait_timeout=10)
    except socketio.exceptions.ConnectionError:
        return True
    client.disconnect()
    return False


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.slow
def test_staff_socket_dropped_on_logout_and_reset(ctx, db_url, tmp_path):
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        unavailable("Redis", exc)
    seed(ctx, load_layout(DATA / "small_hall.toml"))
    kiosk = accounts.add_device(ctx, kind="kiosk").value
    hall_id = kiosk["hall_id"]
    li = accounts.add_user(ctx, login="li", name="李娜", role="staff").value
    zhou = accounts.add_user(ctx, login="zhou", name="周敏", role="staff").value
    env = {"HALL_MESSAGE_QUEUE": REDIS_URL, "HALL_MESSAGE_CHANNEL": f"test-{uuid.uuid4().hex}"}
    a = Server(db_url, tmp_path, extra_env=env).start()
    b = Server(db_url, tmp_path, extra_env=env).start()
    sockets: list[StaffSocket] = []

    def on(server: Server, http: requests.Session) -> StaffSocket:
        sockets.append(StaffSocket(server.url, http.cookies["session"], hall_id))
        return sockets[-1]

    def dropped(*gone: StaffSocket) -> None:
        for s in gone:
            assert s.dropped.get(timeout=10) == socketio.Client.reason.SERVER_DISCONNECT

    try:
        admin = admin_session(ctx, a.url)
        # a logout (through A) drops that session's sockets on B, not another session's
        first, second = signed_in(a.url, "li", li["password"]), signed_in(b.url, "li",
                                                                           li["password"])
        mine, other = on(b, first), on(b, second)
        old_cookie = first.cookies["session"]
        assert first.post(f"{a.url}/api/v1/auth/logout", timeout=5).ok
        dropped(mine)
        assert refused(b.url, old_cookie) and refused(a.url, old_cookie)
        heard(a, kiosk, other)
        # one's own password change (through A) drops the other sessions' sockets only
        third = signed_in(a.url, "li", li["password"])
        here_a, here_b = on(a, third), on(b, third)
        new = "li-new-password-2026"
        r = third.post(f"{a.url}/api/v1/auth/password",
                       json={"current": li["password"], "new": new}, timeout=5)
        assert r.status_code == 200, r.text
        dropped(other)
        heard(a, kiosk, here_a, here_b)
        # an admin's reset drops every socket of the account, in both processes
        r = admin.post(f"{a.url}/api/v1/admin/staff/{li['id']}/reset-password", timeout=5)
        assert r.status_code == 200, r.text
        dropped(here_a, here_b)
        assert refused(a.url, third.cookies["session"])
        # a deactivation too
        zhou_session = signed_in(b.url, "zhou", zhou["password"])
        zhou_a, zhou_b = on(a, zhou_session), on(b, zhou_session)
        r = admin.post(f"{a.url}/api/v1/admin/staff/{zhou['id']}/deactivate", timeout=5)
        assert r.status_code == 200, r.text
        dropped(zhou_a, zhou_b)
        assert refused(b.url, zhou_session.cookies["session"])
        heard(a, kiosk, on(b, admin))  # the admin's own socket lives on
    finally:
        for s in sockets:
            s.close()
        a.stop()
        b.stop()


def heard(server: Server, kiosk: dict, *alive: StaffSocket) -> None:
    """Each socket is still connected and hears the hall: a ticket issued now reaches it."""
    ticket = requests.post(f"{server.url}/api/v1/tickets", json={"service": "hj"}, timeout=5,
                           headers=bearer(kiosk["token"]))
    assert ticket.status_code == 201, ticket.text
    for s in alive:
        while True:
            e = s.events.get(timeout=10)
            if e["type"] == "ticket.issued" and e["ticket"]["id"] == ticket.json()["id"]:
                break
        assert s.sio.connected and s.dropped.empty()


def connects(url: str, cookie: str, origin: str | None, transport: str) -> bool:
    """Whether a browser-like handshake from ``origin`` (with a supervisor's cookie) gets a
    live, subscribed socket."""
    # websocket-client sends an Origin of its own (the server's): replace it, not add one
    websocket = transport == "websocket"
    client = socketio.Client(reconnection=False, websocket_extra_options={
        "origin": origin} if origin else {"suppress_origin": True})
    headers = {"Cookie": f"session={cookie}",
               **({"Origin": origin} if origin and not websocket else {})}
    try:
        client.connect(url, namespaces=["/hall"], auth={}, transports=[transport],
                       headers=headers, wait_timeout=10)
    except socketio.exceptions.ConnectionError:
        return False
    try:
        return bool(client.call("subscribe", {"room": "hall:1", "last_seq": 0},
                                namespace="/hall", timeout=10)["ok"])
    finally:
        client.disconnect()


@SQLITE_ONLY
@pytest.mark.slow
def test_socketio_refuses_foreign_origin(live_hall, ctx):
    server, tokens, _post = live_hall
    # the hall is also reached as hall.example.cn, through a proxy (its public_url setting)
    change_settings(ctx, server.url, public_url="https://hall.example.cn/")
    password = accounts.add_user(ctx, login="wang", name="王强",
                                 role="supervisor").value["password"]
    cookie = signed_in(server.url, "wang", password).cookies["session"]
    port = server.url.rsplit(":", 1)[1]
    for transport in ("websocket", "polling"):
        # a page on another port of the same host, another host, a look-alike
        for foreign in (f"http://127.0.0.1:{int(port) + 1}", "http://evil.example",
                        "https://hall.example.cn.evil.example", "null"):
            assert not connects(server.url, cookie, foreign, transport), (foreign, transport)
        assert connects(server.url, cookie, server.url, transport)  # the page came from here
        assert connects(server.url, cookie, "https://hall.example.cn", transport)
        assert connects(server.url, cookie, None, transport)  # not a browser: a device, an agent

