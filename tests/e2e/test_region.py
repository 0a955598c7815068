"""Many halls, one region (DESIGN.md §8, issue 23): a hall served by a real process, its
uplink and the region's ingester as real processes, the real NATS JetStream and the
region's own PostgreSQL database. Each test has a stream and subjects of its own."""
from __future__ import annotations

import threading
import time

import pytest
import requests

from tests.conftest import wait_for
from tests.e2e import region_world as rw
from tests.e2e.conftest import ON_BOTH_DATABASES, SQLITE_ONLY
from tests.e2e.server import free_port


@pytest.fixture
def region(tmp_path):
    """(region database URL, stream, prefix) with the ingester running."""
    rw.need_nats()
    stream, prefix = rw.names()
    with rw.region_database() as url:
        ingest = rw.ingester(url, stream, prefix, tmp_path / "ingest.log").start()
        try:
            yield url, stream, prefix, ingest
        finally:
            ingest.stop()
            rw.drop_stream(stream)


def visitors(post, n: int) -> None:
    """``n`` visitors take tickets at the kiosk; windows 1–3 call some (each called one is
    passed over as absent before the window calls again)."""
    for i in range(n):
        post("/api/v1/tickets", "kiosk", service="hj" if i % 2 else "sfz")
        if i % 3 == 2:
            window = i // 3 % 3 + 1
            post(f"/api/v1/counters/{window}/call-next", f"keypad{window}")
            post(f"/api/v1/counters/{window}/skip", f"keypad{window}")


@ON_BOTH_DATABASES  # the uplink reads the event log in SQL
def test_uplink_delivers_each_event_once_in_order(live_hall, db_url, region, tmp_path):
    _, _, post = live_hall
    region_db, stream, prefix, _ = region
    up = rw.uplink(db_url, rw.NATS_URL, stream, prefix, tmp_path / "up.log").start()
    try:
        visitors(post, 12)
        log = rw.caught_up(db_url, region_db)
        assert rw.region_log(region_db)[:len(log)] == log  # every seq, in order, same event
        assert [seq for seq, _ in log] == list(range(1, len(log) + 1))
        shipped = rw.stream_messages(stream)
        # the uplink forgets what it shipped (a lost mark) and ships the whole log again:
        # the broker drops every repeat by its Nats-Msg-Id, the region keeps one of each
        up.stop()
        from sqlalchemy import create_engine, text
        engine = create_engine(db_url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE region_uplink SET shipped_seq = 0"))
        engine.dispose()
        up.start()
        rw.wait_for(lambda: _shipped(db_url) >= log[-1][0], 20, "shipped again")
        assert rw.stream_messages(stream) == shipped
        visitors(post, 3)
        log = rw.caught_up(db_url, region_db)
        region_log = rw.region_log(region_db)
        assert region_log[:len(log)] == log
        assert len({seq for seq, _ in region_log}) == len(region_log)
    finally:
        up.stop()


def _shipped(db_url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.connect() as conn:
        seq = conn.execute(text("SELECT max(shipped_seq) FROM region_uplink")).scalar()
    engine.dispose()
    return seq or 0


@SQLITE_ONLY
def test_hall_keeps_serving_while_region_is_down(live_hall, db_url, region, tmp_path):
    server, tokens, _ = live_hall
    region_db, stream, prefix, _ = region
    # the hall's uplink points at a broker that is not there (the region is down)
    down = rw.uplink(db_url, f"nats://127.0.0.1:{free_port()}", stream, prefix,
                     tmp_path / "down.log").start()
    kiosk = {"Authorization": f"Bearer {tokens['kiosk']['token']}"}
    slowest = 0.0
    try:
        time.sleep(1)  # the uplink has failed to connect, and is backing off
        for i in range(30):
            started = time.monotonic()
            r = requests.post(server.url + "/api/v1/tickets", json={"service": "hj"},
                              headers=kiosk, timeout=5)
            assert r.status_code == 201, r.text  # no kiosk ever sees an error
            if i % 2:
                keypad = {"Authorization": f"Bearer {tokens['keypad1']['token']}"}
                for action in ("call-next", "skip"):
                    r = requests.post(f"{server.url}/api/v1/counters/1/{action}", timeout=5,
                                      headers=keypad)
                    assert r.status_code < 300, r.text
            slowest = max(slowest, time.monotonic() - started)
        assert down.proc.poll() is None, "the uplink keeps retrying"
        assert rw.region_mark(region_db) == 0
        # it tries, fails and backs off (a loaded machine may take a while to start it)
        wait_for(lambda: "again in" in (tmp_path / "down.log").read_text(), 30,
                 "the uplink backing off")
    finally:
        down.stop()
    assert slowest < 2.0  # nothing waited on the region
    # the region is back: the uplink ships everything
    up = rw.uplink(db_url, rw.NATS_URL, stream, prefix, tmp_path / "up.log").start()
    try:
        log = rw.caught_up(db_url, region_db)
        assert rw.region_log(region_db)[:len(log)] == log
    finally:
        up.stop()


@SQLITE_ONLY
def test_catch_up_after_outage_counts_equal(live_hall, db_url, region, tmp_path):
    _, _, post = live_hall
    region_db, stream, prefix, _ = region
    link = rw.Link().restore()
    up = rw.uplink(db_url, link.url, stream, prefix, tmp_path / "up.log").start()
    try:
        visitors(post, 6)
        rw.caught_up(db_url, region_db)
        link.cut()  # mid-stream: the link between the hall and the broker goes down
        visitors(post, 24)
        time.sleep(1.5)
        before = rw.region_mark(region_db)
        assert before < rw.hall_log(db_url)[-1][0]  # the outage held events back
        link.restore()  # the same uplink process reconnects and catches up
        log = rw.caught_up(db_url, region_db, timeout=40)
        region_log = rw.region_log(region_db)
        assert region_log[:len(log)] == log
        assert [seq for seq, _ in region_log] == list(range(1, len(region_log) + 1))
    finally:
        up.stop()
        link.cut()


@SQLITE_ONLY
def test_uplink_survives_kill_9(live_hall, db_url, region, tmp_path):
    _, _, post = live_hall
    region_db, stream, prefix, ingest = region
    up = rw.uplink(db_url, rw.NATS_URL, stream, prefix, tmp_path / "up.log").start()
    try:
        for _ in range(3):
            # mid-stream: while the hall serves, both are killed with no clean-up
            mark = rw.region_mark(region_db)
            serving = threading.Thread(target=visitors, args=(post, 15))
            serving.start()
            rw.wait_for(lambda m=mark: rw.region_mark(region_db) > m, 20, "ingesting")
            up.kill9()
            ingest.kill9()
            serving.join()
            up.start()
            ingest.start()
        log = rw.caught_up(db_url, region_db, timeout=60)
        region_log = rw.region_log(region_db)
        assert region_log[:len(log)] == log
        assert [seq for seq, _ in region_log] == list(range(1, len(region_log) + 1))
    finally:
        up.stop()


def test_region_serve_shows_a_county_supervisor_only_its_halls(tmp_path):
    """``hall region serve`` as a real process over a region database that ingest filled
    (two halls, one per district): a 区县 supervisor signs in over HTTP with a one-time
    password, replaces it, and sees only the district's hall on the board, its page, the
    月通报 and their API — the other hall refused."""
    import re
    import subprocess
    import sys
    from datetime import UTC, datetime, timedelta

    from hall.services.context import run
    from hall.services.region import incoming, tree
    from hall.services.wiring import make_context
    from hall.store.db import make_engine
    from hall.store.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'region.db'}"
    upgrade(url)
    engine = make_engine(url)
    ctx = make_context(engine, secret=b"region")
    for code, name, level, parent in (("city", "苏州市", "city", None),
                                      ("wz", "吴中区", "county", "city"),
                                      ("gs", "姑苏区", "county", "city")):
        run(ctx, lambda u, c=code, n=name, lv=level, p=parent: tree.add_place(u, c, n, lv, p))
    for uid, place, name in (("wzc", "wz", "吴中区政务服务中心"),
                             ("gsc", "gs", "姑苏区政务服务中心")):
        run(ctx, lambda u, h=uid, p=place, n=name: tree.attach_hall(u, h, p, n))
        t0 = datetime(2026, 11, 2, 1, tzinfo=UTC)
        events = [("ticket.issued", t0, {"ticket": {"id": 1, "service": {
                      "id": 1, "code": "hj", "name": "户籍办理",
                      "department": {"id": 1, "name": "公安局"}}}}),
                  ("ticket.called", t0 + timedelta(minutes=6), {"ticket_id": 1, "counter_id": 1,
                                                                 "recalls": 0}),
                  ("ticket.started", t0 + timedelta(minutes=7), {"ticket_id": 1}),
                  ("ticket.finished", t0 + timedelta(minutes=12), {"ticket_id": 1,
                                                                    "outcome": "done"}),
                  ("ticket.rated", t0 + timedelta(minutes=13), {"ticket_id": 1, "level": 5})]
        run(ctx, lambda u, h=uid, ev=events: incoming.apply(u, [
            {"hall": h, "seq": i, "at": at.isoformat(), "type": kind, "payload": p}
            for i, (kind, at, p) in enumerate(ev, 1)]))
    password = run(ctx, lambda u: tree.add_account(u, "wu", "吴中督查", "supervisor", "wz")
                   ).value["password"]
    engine.dispose()

    port = free_port()
    log = open(tmp_path / "serve.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "hall.boot", "region", "serve",
                             "--database-url", url, "--port", str(port)],
                            cwd=rw.ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        web = requests.Session()

        def up():
            try:
                return web.get(f"{base}/board", timeout=2)
            except requests.ConnectionError:
                return None

        login_page = wait_for(up, 30, "hall region serve", every=0.05)

        def post(path: str, page: str, **form) -> requests.Response:
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            return web.post(f"{base}{path}", data={"csrf_token": token, **form},
                            allow_redirects=False, timeout=5)

        assert post("/login", login_page.text, login="wu", password=password).status_code == 302
        forced = web.get(f"{base}/board", timeout=5).text
        assert 'name="new"' in forced
        assert post("/password", forced, current=password,
                    new="a long new password").status_code == 302

        board = web.get(f"{base}/board", timeout=5).text
        assert "吴中区政务服务中心" in board and "姑苏区" not in board
        assert [h["hall"] for h in web.get(f"{base}/api/region/board").json()["halls"]] == ["wzc"]
        assert web.get(f"{base}/halls/wzc", timeout=5).status_code == 200
        refused = web.get(f"{base}/api/region/halls/gsc", timeout=5)
        assert refused.status_code == 403 and refused.json()["error"]["field"] == "hall"
        bulletin = web.get(f"{base}/bulletin?month=2026-11", timeout=5).text
        assert 'data-hall="wzc"' in bulletin and 'data-hall="gsc"' not in bulletin
        ranked = web.get(f"{base}/api/region/bulletin?month=2026-11", timeout=5).json()
        assert [(h["hall"], h["rank"], h["satisfaction_rate"]) for h in ranked["halls"]] == [
            ("wzc", 1, 1.0)]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
