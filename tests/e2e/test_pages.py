"""The display pages in headless Chromium against a real server process (issue 4).

Chromium is Debian's (/usr/bin/chromium), driven by Playwright's Python package; Playwright's
own browser downloads are never used. Screenshots go to tests/artifacts/<test name>/ for
review. A few checks need no browser and use Flask's test client.
"""
from __future__ import annotations

import json
import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import text

from hall.domain import announce
from hall.services.config import accounts
from tests.conftest import unavailable
from tests.e2e.conftest import BOTH_STACKS, HALL_ZONE, ROOT, SEEN, SQLITE_ONLY, open_page


def announcements(page) -> list[dict]:
    return page.evaluate("(window.hallAnnouncements || []).map(a => ({number: a.number, "
                         "counter: a.counter, text_zh: a.text_zh, text_en: a.text_en, "
                         "recall: a.recall, status: a.status}))")


def clock_shows(page, zone: str) -> None:
    """The screen's clock reads the time in ``zone`` (to the minute)."""
    # the page's clock ticks once a second: at a minute's turn it may still show the last one
    before = (datetime.now(ZoneInfo(zone)) - timedelta(seconds=2)).strftime("%H:%M")
    shown = page.locator("#clock-time").inner_text()
    after = datetime.now(ZoneInfo(zone)).strftime("%H:%M")
    assert shown[:5] in (before, after), (shown, zone)


@pytest.mark.slow  # eventlet: the phone page below, and tests/e2e/test_live.py
@pytest.mark.browser
def test_the_hall_screen_shows_and_announces_a_call_made_through_the_api(
        zoned_hall, browser, artifacts, async_mode):
    from playwright.sync_api import expect

    server, tokens, post = zoned_hall
    screen = tokens["screen"]
    # the screen's own OS runs on London time: the clock must still show the hall's
    page, errors = open_page(browser, f"{server.url}/display/hall/{screen['id']}"
                                      f"?token={screen['token']}", 1920, 1080,
                             timezone_id="Europe/London")
    queue_fetches: list[str] = []
    page.on("request", lambda r: queue_fetches.append(r.url) if "/api/v1/queues" in r.url
            else None)
    clip_fetches: list[str] = []  # the voice pack's files the screen plays
    page.on("request", lambda r: clip_fetches.append(r.url.split("/voice/", 1)[1])
            if "/display/static/voice/" in r.url else None)
    assert "token=" not in page.url  # kept in localStorage, gone from the address bar
    expect(page.locator("body")).to_have_attribute("data-time-zone", HALL_ZONE)
    clock_shows(page, HALL_ZONE)
    for service in ("hj", "ss", "sfz", "hj", "ss", "hj", "sfz"):
        post("/api/v1/tickets", "kiosk", service=service)
    earlier = [post(f"/api/v1/counters/{n}/call-next", f"keypad{n}")["ticket"]["number"]
               for n in (2, 3)]
    number = post("/api/v1/counters/1/call-next", "keypad1")["ticket"]["number"]

    expect(page.locator("#now-number")).to_have_text(number, timeout=SEEN)
    expect(page.locator("#now-counter")).to_contain_text("请到 1 号窗口")
    expect(page.locator("#recent")).to_contain_text(earlier[0])
    expect(page.locator("#windows")).to_contain_text(number)
    expect(page.locator("#queues")).to_contain_text("户籍办理")
    # the waiting counts follow the queue.stats events, with no fetch of /api/v1/queues
    truth = requests.get(f"{server.url}/api/v1/queues", timeout=5).json()["services"]
    for q in truth:
        if q["waiting"] or q["open_counters"]:
            row = page.locator("#queues tr", has_text=q["name"])
            expect(row.locator("td.num")).to_have_text(str(q["waiting"]), timeout=SEEN)
    assert queue_fetches == []
    heard = announcements(page)
    assert [a["number"] for a in heard] == [*earlier, number]
    assert {"number": number, "counter": 1,
            "text_zh": f"请 {number} 号到 1 号窗口办理"}.items() <= heard[-1].items()
    # readable from 10 m: the newest number is at least 12 % of the screen's height
    size = page.evaluate("parseFloat(getComputedStyle(document.getElementById('now-number'))"
                         ".fontSize)")
    assert size >= 0.12 * 1080

    post("/api/v1/counters/1/recall", "keypad1")  # a recall is announced again
    page.wait_for_function("() => window.hallAnnouncements.length >= 4", timeout=SEEN)
    assert [a["recall"] for a in announcements(page)] == [False, False, False, True]
    # one call at a time, in order (headless Chromium plays the clips to no sound card)
    page.wait_for_function("() => window.hallAnnouncements[0].status === 'done' && "
                           "window.hallAnnouncements[1].status !== 'queued'", timeout=40000)
    states = [a["status"] for a in announcements(page)]
    assert states.count("playing") <= 1 and states[0] == "done", states
    # the clips are the ones the server named with the call (hall/domain/announce.py)
    first = [f"{name}.wav" for name in announce.announcement_parts(earlier[0], 2, "zh")]
    assert set(first) <= set(clip_fetches), (first, clip_fetches)
    page.screenshot(path=artifacts / "hall-1920x1080.png")

    # clips missing and no zh-CN voice (headless Chromium has none): silence, never stuck
    took = page.evaluate("""async () => {
      const { Announcer } = await import('/display/static/voice.js');
      const log = [];
      const a = new Announcer({base: '/display/static/no-such-pack/', langs: ['zh', 'en'],
                               repeat: 2, clips: ['zh', 'en'], chime: true});
      a.log = log;
      const t = Date.now();
      a.push({number: 'A001', counter: 12, text_zh: '', text_en: ''});
      while (log[0].status !== 'done' && Date.now() - t < 20000) {
        await new Promise(r => setTimeout(r, 50));
      }
      return log[0].status === 'done' ? Date.now() - t : null;
    }""")
    assert took is not None and took < 5000
    page.set_viewport_size({"width": 1080, "height": 1920})
    expect(page.locator("#now-number")).to_have_text(number)
    page.wait_for_timeout(500)  # the layout re-measures after a resize
    page.screenshot(path=artifacts / "hall-1080x1920.png")
    assert errors == []


@BOTH_STACKS
@pytest.mark.slow
@pytest.mark.browser
def test_the_phone_page_follows_its_ticket_until_it_is_called(live_hall, browser, artifacts,
                                                              async_mode):
    from playwright.sync_api import expect

    server, _, post = live_hall
    ahead = post("/api/v1/tickets", "kiosk", service="hj")
    mine = post("/api/v1/tickets", "kiosk", service="hj")
    page, errors = open_page(browser, f"{server.url}/t/{mine['token']}", 360, 740)
    expect(page.locator("#t-number")).to_have_text(mine["number"])
    expect(page.locator(".t-waiting [data-f=ahead]")).to_have_text("1", timeout=SEEN)
    expect(page.locator(".t-waiting [data-f=estimate]")).to_contain_text("分钟")
    expect(page.locator(".t-guide")).to_contain_text("居民户口簿原件")
    page.screenshot(path=artifacts / "phone-waiting-360.png", full_page=True)

    assert post("/api/v1/counters/1/call-next", "keypad1")["ticket"]["number"] == ahead["number"]
    expect(page.locator(".t-waiting")).to_contain_text("您是下一位", timeout=SEEN)
    post("/api/v1/counters/2/call-next", "keypad2")
    turn = page.locator(".t-turn")
    expect(turn).to_be_visible(timeout=SEEN)
    expect(turn).to_contain_text("轮到您了")
    expect(turn).to_contain_text("请到 2 号窗口")
    assert [(a["number"], a["counter"]) for a in announcements(page)] == [(mine["number"], 2)]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360  # nothing sticks out sideways on a small phone
    page.screenshot(path=artifacts / "phone-called-360.png", full_page=True)

    page.goto(f"{server.url}/t/{mine['token']}?lang=en")
    expect(page.locator(".t-turn")).to_contain_text("It's your turn — please go to window 2")
    expect(page.locator(".t-service")).to_have_text("Household registration")
    page.screenshot(path=artifacts / "phone-called-360-en.png", full_page=True)
    assert errors == []


def hall_texts(ctx, provider: str | None) -> None:
    """The hall's [hall.notify]: texts by ``provider`` (the first reminder at 3), or none;
    the server's settings cache forgets it within 2 s."""
    with ctx.engine.begin() as conn:
        raw = conn.execute(text("SELECT settings FROM halls")).scalar_one()
        settings = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
        settings["notify"] = {"provider": provider, "ahead": 3}
        conn.execute(text("UPDATE halls SET settings = :s"), {"s": json.dumps(settings)})
    time.sleep(2.2)


@pytest.mark.slow
@pytest.mark.browser
@SQLITE_ONLY
def test_the_phone_page_takes_a_mobile_number_for_a_near_turn_text(live_hall, ctx, browser,
                                                                   artifacts):
    from playwright.sync_api import expect

    server, _, post = live_hall
    hall_texts(ctx, "aliyun")
    mine = post("/api/v1/tickets", "kiosk", service="hj")
    page, errors = open_page(browser, f"{server.url}/t/{mine['token']}", 360, 740)
    form, done = page.locator("#t-notify"), page.locator("#t-notify .t-notify-done")
    expect(form).to_be_visible()
    expect(form.locator("label")).to_contain_text("3")  # the hall's K
    page.locator("#t-notify-phone").fill("12345")
    page.locator("#t-notify button[type=submit]").click()
    expect(done).not_to_be_empty(timeout=SEEN)  # why it was refused
    assert "*" not in done.inner_text()
    page.locator("#t-notify-phone").fill("138 1234 1234")
    page.locator("#t-notify button[type=submit]").click()
    expect(done).to_contain_text("138****1234", timeout=SEEN)
    page.screenshot(path=artifacts / "phone-notify-360.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    with ctx.engine.connect() as conn:
        assert conn.execute(text("SELECT address_masked FROM notify_subscriptions")
                            ).scalar_one() == "138****1234"
    page.reload()  # the page says which number follows the ticket
    expect(page.locator("#t-notify .t-notify-done")).to_contain_text("138****1234")
    hall_texts(ctx, None)  # a hall that sends no text messages offers none
    page.reload()
    expect(page.locator(".t-waiting [data-f=ahead]")).to_be_visible()
    expect(page.locator("#t-notify")).to_have_count(0)
    assert errors == []


@pytest.mark.slow
@pytest.mark.browser
@SQLITE_ONLY
def test_now_calling_moves_on_after_skip_and_pause(live_hall, browser, artifacts):
    """The big 正在呼叫 panel shows the newest call that still stands: a skip moves it to the
    previous live call, a skip and a 午休 pause at that window leave it idle, and the window
    screen says the same (issue 15 item 2)."""
    from playwright.sync_api import expect

    server, tokens, post = live_hall
    screen = tokens["screen"]
    page, errors = open_page(browser, f"{server.url}/display/hall/{screen['id']}"
                                      f"?token={screen['token']}", 1920, 1080)
    window, _ = open_page(browser, f"{server.url}/display/counter/1"
                                   f"?token={screen['token']}", 1280, 720)
    for _ in range(2):
        post("/api/v1/tickets", "kiosk", service="hj")
    first = post("/api/v1/counters/1/call-next", "keypad1")["ticket"]["number"]
    second = post("/api/v1/counters/2/call-next", "keypad2")["ticket"]["number"]
    expect(page.locator("#now-number")).to_have_text(second, timeout=SEEN)
    post("/api/v1/counters/2/skip", "keypad2")
    expect(page.locator("#now-number")).to_have_text(first, timeout=SEEN)
    expect(page.locator("#now-counter")).to_contain_text("请到 1 号窗口")
    post("/api/v1/counters/1/skip", "keypad1")
    post("/api/v1/counters/1/pause", "keypad1", reason="午休")
    expect(page.locator("#now-number")).to_have_text("—", timeout=SEEN)
    expect(page.locator("#now")).to_have_class(re.compile(r"\bidle\b"))
    expect(window.locator("#counter-reason")).to_have_text("午休", timeout=SEEN)
    expect(window.locator("#counter-ticket")).not_to_have_text(first)
    page.reload()  # a fresh screen draws the same from its snapshot
    page.wait_for_function("() => document.body.dataset.live === 'live'", timeout=15000)
    expect(page.locator("#now-number")).to_have_text("—")
    page.screenshot(path=artifacts / "now-idle.png")
    assert errors == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.slow
@pytest.mark.browser
def test_the_window_screen_shows_its_ticket_and_its_pause(live_hall, browser, artifacts):
    from playwright.sync_api import expect

    server, tokens, post = live_hall
    page, errors = open_page(browser, f"{server.url}/display/counter/3"
                                      f"?token={tokens['screen']['token']}", 1280, 720)
    expect(page.locator("#counter-no")).to_have_text("3 号窗口")
    expect(page.locator("#counter-name")).to_have_text("三号窗口")
    ticket = post("/api/v1/tickets", "kiosk", service="ss")
    post("/api/v1/counters/3/call-next", "keypad3")
    expect(page.locator("#counter-ticket")).to_have_text(ticket["number"], timeout=SEEN)
    page.screenshot(path=artifacts / "window-called.png")
    post("/api/v1/counters/3/skip", "keypad3")
    post("/api/v1/counters/3/pause", "keypad3", reason="午休")
    expect(page.locator("#counter-reason")).to_have_text("午休", timeout=SEEN)
    expect(page.locator("#counter-main")).to_have_class(re.compile(r"\bpaused\b"))
    page.screenshot(path=artifacts / "window-paused.png")
    assert errors == []


# --- without a browser -------------------------------------------------------------------

@SQLITE_ONLY
def test_a_screen_with_an_unknown_token_gets_a_readable_refusal(app, seeded):
    client = app.test_client()
    r = client.get("/display/hall/1?token=not-a-token")
    assert r.status_code == 403 and r.mimetype == "text/html"
    assert "hall device add --kind screen" in r.get_data(as_text=True)
    kiosk = accounts.add_device(seeded, kind="kiosk").value
    assert client.get(f"/display/hall/{kiosk['id']}?token={kiosk['token']}").status_code == 403
    snapshot = client.get("/display/hall/1/snapshot",
                          headers={"Authorization": f"Bearer {kiosk['token']}"})
    assert snapshot.status_code == 403 and snapshot.json["error"]["code"] == "forbidden"
    assert client.get("/t/no-such-ticket").status_code == 404


@SQLITE_ONLY
def test_a_registered_screen_gets_its_page_and_its_snapshot(app, seeded):
    client = app.test_client()
    screen = accounts.add_device(seeded, kind="screen").value
    page = client.get(f"/display/hall/{screen['id']}?token={screen['token']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None  # no inline script (CSP)
    snap = client.get(f"/display/hall/{screen['id']}/snapshot",
                      headers={"Authorization": f"Bearer {screen['token']}"}).json
    assert snap["hall"]["name"] == "测试大厅" and len(snap["counters"]) == 4
    counter = client.get("/display/counter/2/snapshot",
                         headers={"Authorization": f"Bearer {screen['token']}"}).json
    assert counter["counter"]["number"] == 2


@SQLITE_ONLY
def test_only_whitelisted_front_end_files_are_served(app):
    client = app.test_client()
    if not (ROOT / "node_modules" / "socket.io-client").exists():
        unavailable("front-end packages (npm ci, run by make)", "node_modules missing")
    with client.get("/display/vendor/socket.io-client/dist/socket.io.esm.min.js") as js:
        assert js.status_code == 200 and "javascript" in js.mimetype
    with client.get("/display/vendor/@fontsource/noto-sans-sc/400.css") as font:
        assert font.status_code == 200 and b"Noto Sans SC" in font.data
    for path in ("socket.io-client/package.json", "ws/index.js",
                 "socket.io-client/dist/../package.json", "..%2Fpackage.json"):
        assert client.get(f"/display/vendor/{path}").status_code == 404, path


@pytest.mark.slow
@pytest.mark.browser
def test_screen_heartbeat_marks_offline(live_hall, ctx, clock, browser):
    """An open hall screen reports that it is alive, with its page's version; once it is
    closed and silent past ``device_silent_minutes`` the watch marks it offline with an
    alert (issue 17 §2: screens used to say 从未上报 while they worked)."""
    from datetime import UTC, timedelta

    from hall.services.context import run
    from hall.services.devices import health as devices
    from hall.services.supervision import alerts, watch_rules
    from tests.conftest import wait_for

    server, tokens, _post = live_hall
    screen = tokens["screen"]
    hall_id = accounts.device_actor(ctx, screen["token"]).hall_id

    def screen_row():
        return {d["id"]: d for d in devices.health_board(ctx, hall_id)}[screen["id"]]

    assert screen_row()["last_seen"] is None
    page, errors = open_page(browser, f"{server.url}/display/hall/{screen['id']}"
                                      f"?token={screen['token']}", 1920, 1080)
    version = page.locator('meta[name="hall-page-version"]').get_attribute("content")
    assert re.fullmatch(r"\d+\.\d+\.\d+\+[0-9a-f]{8}", version)
    beat = wait_for(lambda: (row := screen_row())["last_seen"] and row, 15, "a heartbeat")
    assert beat["health"]["online"] is True
    assert beat["health"]["page"] == "hall-screen"
    assert beat["health"]["page_version"] == version
    seen = datetime.fromisoformat(beat["last_seen"])
    page.context.close()
    assert errors == []

    def sweep(after: timedelta):  # the watch's pass, as the server runs it, `after` later
        clock.current = seen.astimezone(UTC) + after
        return run(ctx, lambda uow: watch_rules.run_sweeps(uow, hall_id,
                                                            [watch_rules.device_silent]))

    assert sweep(timedelta(seconds=60)).value == []
    assert screen_row()["health"]["online"] is True  # silent for less than 2 minutes
    sweep(timedelta(minutes=3))
    gone = screen_row()
    assert gone["health"]["online"] is False and gone["health"]["silent_s"] >= 180
    assert f"device:{screen['id']}" in [a["key"] for a in alerts.open_alerts(ctx, hall_id)
                                       if a["kind"] == "device_offline"]
