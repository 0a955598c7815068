"""No raw codes on a Chinese page (issue 15 item 7): every page of the hall, signed in where
it needs it, and the representative errors, read in zh_CN, show no snake_case token and no
English word outside a short allow-list — only what a person reads (the body's text, the
title and the placeholder / aria-label / title attributes), not scripts or addresses."""
from __future__ import annotations

import json
import re

import pytest
import requests
from sqlalchemy import text

from hall.domain import duty
from hall.services.config import accounts
from tests.e2e.browsing import page_signed_in_as
from tests.e2e.conftest import SEEN

# brand and format words, and what a person types in Latin letters anyway
ALLOWED = {"QR", "API", "CSV", "XLSX", "PDF", "ID", "OK", "LED", "Hall", "English", "JSON",
           "AB", "TOML", "PNG", "SVG", "USB", "WiFi", "APP", "App", "Noto"}
# addresses are shown as typed: web links, paths, and device addresses (escpos+tcp://…,
# keypad+serial:…) whose scheme names the driver
URL = re.compile(r"[a-z][a-z0-9.]*(?:\+[a-z]+)?://\S*|\b[a-z][a-z0-9]*\+[a-z]+:\S*"
                 r"|(?<![\w/])/[\w./?=&%:#-]+")
CODE = re.compile(r"`[^`\n]+`")
SNAKE = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")
WORD = re.compile(r"\b[A-Za-z]{2,}\b")
READ = """() => {
  const out = [document.title, document.body.innerText];
  for (const el of document.querySelectorAll('[placeholder], [aria-label], [title]')) {
    for (const a of ['placeholder', 'aria-label', 'title']) {
      const v = el.getAttribute(a);
      if (v) out.push(v);
    }
  }
  return out.join('\\n');
}"""


def untranslated(text: str, data: frozenset[str] = frozenset()) -> list[str]:
    """Each offending token with the words around it; ``data`` are the hall's own codes,
    logins and English names, which its pages show as they were typed."""
    text = CODE.sub(" ", URL.sub(" ", text))  # a command quoted as `hall seed` is literal
    found = [m for m in SNAKE.finditer(text) if m.group(0) not in data]
    found += [m for m in WORD.finditer(SNAKE.sub(" ", text))
              if m.group(0) not in ALLOWED and m.group(0) not in data]
    return sorted({f"{m.group(0)} «{text[max(0, m.start() - 12):m.end() + 12]}»".replace(
        "\n", " ") for m in found})


def hall_data(ctx) -> frozenset[str]:
    """What the hall's own configuration spells in Latin letters: codes, logins, English
    names — shown as typed, not words of the interface."""
    words: set[str] = set()
    with ctx.engine.connect() as conn:
        for sql in ("SELECT code, name_en FROM halls", "SELECT code, name_en FROM departments",
                    "SELECT code, name_en FROM services", "SELECT login, '' FROM staff",
                    "SELECT name, '' FROM devices"):
            for code, english in conn.execute(text(sql)):
                if code:
                    words |= {code, code.upper(), *WORD.findall(english or "")}
        for (settings,) in conn.execute(text("SELECT settings FROM halls")):
            settings = json.loads(settings) if isinstance(settings, str) else settings
            words |= set(duty.shifts_from(settings))  # the rota's shift codes (am, pm)
    return frozenset(words)


def bad_inputs(server, tokens) -> dict[str, requests.Response]:
    """One 422 for each kind of bad input a person can send."""
    def send(method, path, who, **kw):
        return requests.request(method, server.url + path, timeout=5, headers={
            "Authorization": f"Bearer {tokens[who]['token']}"}, **kw)
    return {
        "missing": send("post", "/api/v1/tickets", "kiosk", json={}),
        "literal_error": send("post", "/api/v1/tickets", "kiosk",
                              json={"service": "hj", "kind": "vip"}),
        "string_too_long": send("post", "/api/v1/tickets", "kiosk",
                                json={"service": "hj", "priority_reason": "x" * 80}),
        "extra_forbidden": send("post", "/api/v1/tickets", "kiosk",
                                json={"service": "hj", "colour": "red"}),
        "string_too_short": send("post", "/api/v1/counters/2/pause", "keypad2",
                                 json={"reason": ""}),
        "bool_parsing": send("post", "/api/v1/counters/2/transfer", "keypad2",
                             json={"to_counter": 1, "confirm_closed": "maybe"}),
        "int_parsing": send("get", "/api/v1/events?limit=many", "keypad2"),
        "less_than_equal": send("get", "/api/v1/events?limit=5000", "keypad2"),
        "greater_than_equal": send("get", "/api/v1/events?after=-1", "keypad2"),
    }


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_no_untranslated_text_on_chinese_pages(live_hall, ctx, browser):
    server, tokens, post = live_hall
    pad = accounts.add_device(ctx, kind="pad", counter_number=1).value
    admin = accounts.add_user(ctx, login="wang", name="王芳", role="admin").value["password"]
    staff = accounts.add_user(ctx, login="li", name="李娜").value["password"]
    mine = post("/api/v1/tickets", "kiosk", service="hj")
    # a bad rating raises an alert the terminal of window 1 shows
    rated = post("/api/v1/tickets", "kiosk", service="hj")
    post("/api/v1/counters/1/call-next", "keypad1")
    post("/api/v1/counters/1/start", "keypad1")
    post("/api/v1/counters/1/finish", "keypad1", outcome="done")
    first = requests.post(f"{server.url}/api/v1/tickets/{mine['id']}/rating", timeout=5,
                          json={"level": 1, "reason": "服务态度差"},
                          headers={"Authorization": f"Bearer {pad['token']}"})
    assert first.status_code < 300, first.text

    data = hall_data(ctx)
    problems: dict[str, list[str]] = {}
    for kind, r in bad_inputs(server, tokens).items():
        assert r.status_code == 422, (kind, r.text)
        found = untranslated(" ".join(d["message"] for d in r.json()["error"]["details"]))
        if found:
            problems[f"422 {kind}: {r.json()['error']['message']}"] = found

    context = browser.new_context(locale="zh-CN", viewport={"width": 1600, "height": 1000},
                                  timezone_id="Asia/Shanghai")
    screen, kiosk = tokens["screen"], tokens["kiosk"]
    public = {
        "kiosk": f"/kiosk/{kiosk['id']}?token={kiosk['token']}",
        "book": "/book/test", "case": "/case",
        "hall screen": f"/display/hall/{screen['id']}?token={screen['token']}",
        "window screen": f"/display/counter/1?token={screen['token']}",
        "phone page": f"/t/{rated['token']}",
        "pad": f"/pad/{pad['id']}?token={pad['token']}",
        "404": "/no-such-page",
    }
    errors: list[str] = []
    for name, path in public.items():
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{server.url}{path}?lang=zh_CN" if "?" not in path
                  else f"{server.url}{path}&lang=zh_CN")
        page.wait_for_load_state("networkidle")
        if found := untranslated(page.evaluate(READ), data):
            problems[name] = found
        page.close()

    desk = context.new_page()
    desk.goto(f"{server.url}/counter?lang=zh_CN")
    desk.fill("#login-name", "li")
    desk.fill("#login-password", staff)
    desk.click("#login-submit")
    desk.wait_for_selector("#choose:not([hidden])", timeout=SEEN)
    if found := untranslated(desk.evaluate(READ), data):
        problems["counter terminal, choosing a window"] = found
    desk.click("#choose-1")
    desk.wait_for_selector("#t-alerts-card:not([hidden])", timeout=SEEN * 3)
    desk.wait_for_load_state("networkidle")
    if found := untranslated(desk.evaluate(READ), data):
        problems["counter terminal"] = found
    assert "差评" in desk.locator("#t-alerts").inner_text()

    page, page_errors = page_signed_in_as(browser, f"{server.url}/admin/?lang=zh_CN", "wang",
                                          admin)
    for path in ("/admin/", "/admin/board", "/admin/reports", "/admin/reports/bulletin",
                 "/admin/cases", "/admin/followups", "/admin/devices", "/admin/staff",
                 "/admin/settings", "/admin/audit", "/admin/password"):
        page.goto(f"{server.url}{path}")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(300)  # the scripts fill their tables after the first paint
        if found := untranslated(page.evaluate(READ), data):
            problems[path] = found
    context.close()
    assert not problems, "English or codes on Chinese pages:\n" + "\n".join(
        f"{where}: {words}" for where, words in problems.items())
