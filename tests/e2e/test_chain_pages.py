"""多窗联办 where staff and visitors look (issue 22 item 3), in headless Chromium against a
real server: the window terminal at step 2 shows 第2步/共3步 and how step 1 ended, marks the
chain number in its line and offers no transfer; the hall screen and the window screen show
the step beside the number; the voice says the number as for any ticket."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from hall.domain import announce
from hall.domain.access import Actor
from hall.services.config import accounts, structure
from hall.services.config.layout.spec import ServiceSpec
from hall.store.models import Event
from tests.e2e.conftest import SEEN, SQLITE_ONLY, new_tab, open_page, sign_in_on_page, wait_live


def add_chain(ctx) -> None:
    """The chain "lb": 户籍办理 (windows 1–3) → 税务申报 (windows 3–4) → 身份证办理."""
    admin = accounts.add_user(ctx, login="root", name="管理员", role="admin").value
    with ctx.engine.connect() as conn:
        hall_id = conn.execute(select(Event.hall_id).limit(1)).scalar_one()
    structure.create_service(ctx, actor=Actor("staff", admin["id"], hall_id, "admin"),
                             spec=ServiceSpec(code="lb", department="gaj", name="户籍迁入联办",
                                              prefix="L", kind="instant",
                                              expected_visit_minutes=10,
                                              time_limit_minutes=30, chain=["hj", "ss", "sfz"]))


@SQLITE_ONLY
@pytest.mark.slow
@pytest.mark.browser
def test_the_step_shows_on_the_terminal_and_the_screens(live_hall, browser, artifacts, ctx):
    from playwright.sync_api import expect

    server, tokens, post = live_hall
    add_chain(ctx)
    password = accounts.add_user(ctx, login="wang", name="王强").value["password"]
    taken = post("/api/v1/tickets", "kiosk", service="lb")
    post("/api/v1/counters/1/call-next", "keypad1")
    post("/api/v1/counters/1/start", "keypad1")
    post("/api/v1/counters/1/finish", "keypad1", outcome="done")  # step 1 done: to ss

    screen = tokens["screen"]
    hall, errors = open_page(browser, f"{server.url}/display/hall/{screen['id']}"
                                      f"?token={screen['token']}", 1920, 1080)
    window, errors2 = open_page(browser, f"{server.url}/display/counter/3"
                                         f"?token={screen['token']}", 1280, 720)
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page, errors3 = new_tab(context, f"{server.url}/counter")
    sign_in_on_page(page, "wang", password)
    page.click("#choose-3")
    expect(page.locator("#terminal")).to_be_visible(timeout=SEEN)
    wait_live(page)
    # the waiting list marks the chain number in its step's line
    expect(page.locator("#t-queues li", has_text="税务申报")).to_contain_text("联办 1",
                                                                          timeout=SEEN)

    page.click("#btn-call-next")
    expect(page.locator("#t-number")).to_have_text(taken["number"], timeout=SEEN)
    expect(page.locator("#t-chain-step")).to_have_text("户籍迁入联办 · 第2步/共3步 税务申报")
    expect(page.locator("#t-chain-earlier li")).to_have_text(["户籍办理 办结 ✓"])
    expect(page.locator("#btn-transfer")).to_be_disabled()  # it would leave the chain
    expect(page.locator("#t-kind")).to_be_hidden()  # step 2 is no transfer
    expect(page.locator("#btn-finish")).to_be_disabled()
    page.screenshot(path=artifacts / "terminal-step-2.png")

    expect(hall.locator("#now-number")).to_have_text(taken["number"], timeout=SEEN)
    expect(hall.locator("#now-step")).to_have_text("第2步 税务申报")
    expect(window.locator("#counter-ticket")).to_have_text(taken["number"], timeout=SEEN)
    expect(window.locator("#counter-step")).to_have_text("第2步 税务申报")
    hall.screenshot(path=artifacts / "hall-step-2.png")
    window.screenshot(path=artifacts / "window-step-2.png")
    window.reload()  # the snapshot says the same
    expect(window.locator("#counter-step")).to_have_text("第2步 税务申报", timeout=SEEN)

    # the voice: the number and the window, as for a plain ticket
    with ctx.engine.connect() as conn:
        said = conn.execute(select(Event.payload).where(Event.type == "ticket.called")
                            .order_by(Event.seq.desc()).limit(1)).scalar_one()
    assert said["chain"]["step"] == 2
    assert said["announce"] == announce.call_text(taken["number"], 3, None)

    page.click("#btn-start")
    expect(page.locator("#t-current")).to_have_attribute("data-state", "serving", timeout=SEEN)
    expect(page.locator("#t-chain-step")).to_contain_text("第2步/共3步")
    post("/api/v1/counters/3/finish", "keypad3", outcome="done")  # on to step 3: it leaves
    expect(page.locator("#t-chain")).to_be_hidden(timeout=SEEN)
    expect(hall.locator("#now-step")).to_have_text("", timeout=SEEN)
    expect(window.locator("#counter-step")).to_have_text("", timeout=SEEN)
    assert errors == [] and errors2 == [] and errors3 == []
    context.close()
