"""Emulator of WeChat's server API for subscribe messages (订阅消息), as documented:

- ``GET /cgi-bin/token?grant_type=client_credential&appid=…&secret=…`` →
  ``{"access_token": …, "expires_in": 7200}`` (``{"errcode": 40013}`` for an unknown appid,
  40125 for a wrong secret);
- ``POST /cgi-bin/message/subscribe/send?access_token=…`` with JSON ``touser`` (openid),
  ``template_id``, ``page`` (optional), ``miniprogram_state`` (optional: developer, trial,
  formal), ``lang`` (optional: zh_CN …), ``data``: ``{"<key>": {"value": …}}`` for every key
  the template has. Values by the key's type: ``thing`` ≤ 20 characters, ``character_string``
  ≤ 32 letters, digits and symbols, ``number`` ≤ 32 digits (a point allowed), ``phrase`` ≤ 5
  Chinese characters, ``time`` a date-time. Answers ``{"errcode": 0, "errmsg": "ok"}``, or
  40001 (invalid or expired access token), 40003 (bad openid), 40037 (unknown template),
  47003 (a template parameter wrong), 43101 (the user did not subscribe, or used the
  subscription up). Each subscription is good for one message (a one-time subscribe).
"""
from __future__ import annotations

import re
import secrets
from typing import Any

from drivers.sms.server import Emulator, Request

OPENID = re.compile(r"[A-Za-z0-9_-]{16,64}")
RULES = {"thing": re.compile(r".{1,20}", re.S),
         "character_string": re.compile(r"[\x21-\x7e]{1,32}"),
         "number": re.compile(r"\d{1,32}(\.\d+)?"),
         "phrase": re.compile(r"[\u4e00-\u9fff]{1,5}"),
         "time": re.compile(r"\d{4}[-年]\d{1,2}[-月]\d{1,2}日?( \d{1,2}:\d{2})?")}
KEY = re.compile(r"([a-z_]+?)(\d+)")


class WechatEmulator(Emulator):
    def __init__(self, appid: str, secret: str, templates: dict[str, list[str]],
                 delay_s: float = 0.0):
        super().__init__(delay_s)
        self.appid, self.secret = appid, secret
        self.templates = templates  # template_id → its data keys, e.g. ["character_string1"]
        self.tokens: set[str] = set()
        self.subscriptions: dict[tuple[str, str], int] = {}  # (openid, template) → left
        self.sent: list[dict[str, Any]] = []
        self.refused: list[int] = []

    def subscribe(self, openid: str, template_id: str, times: int = 1) -> None:
        """The visitor tapped 允许 in the mini-program (wx.requestSubscribeMessage)."""
        key = (openid, template_id)
        self.subscriptions[key] = self.subscriptions.get(key, 0) + times

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def answer(self, request: Request) -> tuple[int, Any]:
        if request.path == "/cgi-bin/token":
            q = request.query
            if q.get("grant_type") != "client_credential" or q.get("appid") != self.appid:
                return 200, {"errcode": 40013, "errmsg": "invalid appid"}
            if q.get("secret") != self.secret:
                return 200, {"errcode": 40125, "errmsg": "invalid appsecret"}
            token = secrets.token_urlsafe(24)
            self.tokens.add(token)
            return 200, {"access_token": token, "expires_in": 7200}
        if request.path != "/cgi-bin/message/subscribe/send" or request.method != "POST":
            return 404, {"errcode": 404, "errmsg": "not found"}
        code = self._check(request)
        if code == 0:
            code = int(self.take_failure() or 0)
        if code:
            self.refused.append(code)
            return 200, {"errcode": code, "errmsg": f"error {code}"}
        body = request.json()
        self.subscriptions[(body["touser"], body["template_id"])] -= 1
        self.sent.append(body)
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _check(self, request: Request) -> int:
        if request.query.get("access_token") not in self.tokens:
            return 40001
        try:
            body = request.json()
        except ValueError:
            return 47001
        if not isinstance(body, dict) or not OPENID.fullmatch(str(body.get("touser", ""))):
            return 40003
        keys = self.templates.get(str(body.get("template_id", "")))
        if keys is None:
            return 40037
        data = body.get("data")
        if not isinstance(data, dict) or set(data) != set(keys):
            return 47003
        for key, item in data.items():
            kind = KEY.fullmatch(key)
            value = item.get("value") if isinstance(item, dict) else None
            rule = RULES.get(kind.group(1)) if kind else None
            if not isinstance(value, str) or rule is None or not rule.fullmatch(value):
                return 47003
        if body.get("miniprogram_state", "formal") not in ("developer", "trial", "formal"):
            return 47003
        if self.subscriptions.get((body["touser"], body["template_id"]), 0) <= 0:
            return 43101
        return 0
