"""Outbox adapters of the messages to visitors (issue 21): Aliyun SendSms, Tencent Cloud SMS
and WeChat subscribeMessage.send, each speaking its provider's documented HTTP API (the
emulators in drivers/sms/ check the same). Topics: ``notify.sms.aliyun``,
``notify.sms.tencent``, ``notify.wechat``; a row's payload is ``hall.domain.notify.message``
plus ``phone`` or ``openid``.

Credentials only from the environment (``adapters_from_environment``). Outcomes: accepted →
SENT; the provider's throttling, a 5xx, a timeout → RETRY (backoff); a wrong number, an
unknown template, a refused signature → REFUSED (a visible failed row). SMS providers
refuse no repeats, so after a worker died mid-send (a row taken again after its lease ran
out) ``delivered`` asks the provider's send records for the row's key (Aliyun ``OutId``,
Tencent ``SessionContext``) before sending again: a restart never sends twice.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode, urlsplit
from zoneinfo import ZoneInfo

from hall.services.outbox.worker import REFUSED, RETRY, SENT, Delivery

CHINA = ZoneInfo("Asia/Shanghai")
KINDS = ("near", "called", "passed", "complaint_reply")  # TEMPLATE_<KIND> each


class Unavailable(Exception):
    """The provider could not be reached or answered 5xx: try later."""


def _call(method: str, url: str, body: bytes | None, headers: dict[str, str],
          timeout: float) -> tuple[int, Any]:
    request = urllib.request.Request(url, body, headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as exc:
        if exc.code >= 500 or exc.code in (408, 429):
            raise Unavailable(f"{exc.code} {exc.reason}") from exc
        try:
            return exc.code, json.loads(exc.read() or b"{}")
        except ValueError:
            return exc.code, {}
    except (urllib.error.URLError, OSError, TimeoutError, ValueError) as exc:
        raise Unavailable(f"{type(exc).__name__}: {exc}") from exc


def _template(templates: Mapping[str, str], payload: dict[str, Any]) -> str | None:
    return templates.get(str(payload.get("kind")))


# --- Aliyun SendSms (dysmsapi 2017-05-25, RPC signature v1: HMAC-SHA1) ---------------------

def _percent(value: str) -> str:
    return quote(value, safe="-_.~")


def aliyun_signature(params: Mapping[str, str], secret: str, method: str) -> str:
    canonical = "&".join(f"{_percent(k)}={_percent(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{_percent('/')}&{_percent(canonical)}"
    return base64.b64encode(hmac.new(f"{secret}&".encode(), to_sign.encode(),
                                     hashlib.sha1).digest()).decode()


@dataclass
class AliyunSms:
    access_key_id: str
    access_key_secret: str
    sign_name: str
    templates: Mapping[str, str]  # message kind → TemplateCode
    url: str = "https://dysmsapi.aliyuncs.com/"
    region: str = "cn-hangzhou"
    timeout_s: float = 10.0
    RETRY_CODES = frozenset({"isv.BUSINESS_LIMIT_CONTROL", "Throttling.User",
                             "ServiceUnavailable", "InternalError", "isp.SYSTEM_ERROR"})

    def request(self, action: str, params: dict[str, str]) -> dict[str, str]:
        """The form of one signed call (public for the signature test)."""
        common = {"AccessKeyId": self.access_key_id, "Action": action, "Format": "JSON",
                  "RegionId": self.region, "SignatureMethod": "HMAC-SHA1",
                  "SignatureNonce": uuid.uuid4().hex, "SignatureVersion": "1.0",
                  "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "Version": "2017-05-25", **params}
        return {**common, "Signature": aliyun_signature(common, self.access_key_secret,
                                                        "POST")}

    def _post(self, action: str, params: dict[str, str]) -> tuple[int, Any]:
        form = urlencode(self.request(action, params), quote_via=quote).encode()
        return _call("POST", self.url, form,
                     {"Content-Type": "application/x-www-form-urlencoded"}, self.timeout_s)

    def send(self, topic: str, key: str, payload: dict[str, Any]) -> Delivery:
        phone, template = payload.get("phone"), _template(self.templates, payload)
        if not phone or template is None:
            return Delivery(REFUSED, "no phone (erased)" if not phone else
                            f"no template for {payload.get('kind')}")
        try:
            status, body = self._post("SendSms", {
                "PhoneNumbers": phone, "SignName": self.sign_name, "TemplateCode": template,
                "TemplateParam": json.dumps(payload.get("params") or {}, ensure_ascii=False),
                "OutId": key})
        except Unavailable as exc:
            return Delivery(RETRY, str(exc))
        code = str(body.get("Code", status))
        if code == "OK":
            return Delivery(SENT, str(body.get("BizId", "")))
        return Delivery(RETRY if code in self.RETRY_CODES else REFUSED,
                        f"{status} {code} {body.get('Message', '')}".strip())

    def delivered(self, key: str, payload: dict[str, Any]) -> bool | None:
        """Whether a message with this OutId went to the phone today (QuerySendDetails)."""
        if not payload.get("phone"):
            return None
        try:
            _, body = self._post("QuerySendDetails", {
                "PhoneNumber": payload["phone"], "PageSize": "50", "CurrentPage": "1",
                "SendDate": datetime.now(CHINA).strftime("%Y%m%d")})
        except Unavailable:
            return None
        if body.get("Code") != "OK":
            return None
        rows = (body.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
        return any(r.get("OutId") == key for r in rows)


# --- Tencent Cloud SMS (API 3.0, 2021-01-11, TC3-HMAC-SHA256) ------------------------------

def _hmac256(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def tc3_authorization(secret_id: str, secret_key: str, host: str, action: str, body: bytes,
                      timestamp: int, content_type: str, service: str = "sms") -> str:
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    signed = "content-type;host;x-tc-action"
    headers = f"content-type:{content_type.lower()}\nhost:{host.lower()}\n" \
              f"x-tc-action:{action.lower()}\n"
    canonical = f"POST\n/\n\n{headers}\n{signed}\n{hashlib.sha256(body).hexdigest()}"
    scope = f"{day}/{service}/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n" \
              f"{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = _hmac256(_hmac256(_hmac256(f"TC3{secret_key}".encode(), day), service),
                   "tc3_request")
    sig = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders={signed}, " \
           f"Signature={sig}"


@dataclass
class TencentSms:
    secret_id: str
    secret_key: str
    sdk_app_id: str
    sign_name: str
    templates: Mapping[str, str]  # message kind → TemplateId
    url: str = "https://sms.tencentcloudapi.com/"
    region: str = "ap-guangzhou"
    timeout_s: float = 10.0
    RETRY_CODES = frozenset({"LimitExceeded.PhoneNumberThirtySecondLimit",
                             "LimitExceeded.PhoneNumberOneHourLimit", "RequestLimitExceeded",
                             "InternalError", "InternalError.Timeout",
                             "FailedOperation.InsufficientBalanceInSmsPackage"})

    def _post(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(payload, ensure_ascii=False).encode()
        content_type = "application/json; charset=utf-8"
        host = urlsplit(self.url).netloc
        stamp = int(time.time())
        headers = {"Content-Type": content_type, "Host": host, "X-TC-Action": action,
                   "X-TC-Timestamp": str(stamp), "X-TC-Version": "2021-01-11",
                   "X-TC-Region": self.region,
                   "Authorization": tc3_authorization(self.secret_id, self.secret_key, host,
                                                      action, body, stamp, content_type)}
        _, answer = _call("POST", self.url, body, headers, self.timeout_s)
        return answer.get("Response") or {}

    def send(self, topic: str, key: str, payload: dict[str, Any]) -> Delivery:
        phone, template = payload.get("phone"), _template(self.templates, payload)
        if not phone or template is None:
            return Delivery(REFUSED, "no phone (erased)" if not phone else
                            f"no template for {payload.get('kind')}")
        try:
            answer = self._post("SendSms", {
                "PhoneNumberSet": [f"+86{phone}"], "SmsSdkAppId": self.sdk_app_id,
                "SignName": self.sign_name, "TemplateId": template,
                "TemplateParamSet": [str(v) for v in (payload.get("params") or {}).values()],
                "SessionContext": key})
        except Unavailable as exc:
            return Delivery(RETRY, str(exc))
        error = answer.get("Error")
        code = error.get("Code", "") if error else \
            ((answer.get("SendStatusSet") or [{}])[0].get("Code") or "NoStatus")
        if code == "Ok":
            return Delivery(SENT, str(answer["SendStatusSet"][0].get("SerialNo", "")))
        if code.startswith("InternalError") or code in self.RETRY_CODES:
            return Delivery(RETRY, code)
        return Delivery(REFUSED, code)

    def delivered(self, key: str, payload: dict[str, Any]) -> bool | None:
        if not payload.get("phone"):
            return None
        try:
            answer = self._post("PullSmsSendStatusByPhoneNumber", {
                "BeginTime": int(time.time() - timedelta(days=1).total_seconds()),
                "PhoneNumber": f"+86{payload['phone']}", "SmsSdkAppId": self.sdk_app_id,
                "Offset": 0, "Limit": 100})
        except Unavailable:
            return None
        if answer.get("Error"):
            return None
        return any(s.get("SessionContext") == key
                   for s in answer.get("PullSmsSendStatusSet") or [])


# --- WeChat subscribeMessage.send ----------------------------------------------------------

def wechat_data(payload: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The template's data: the ticket number (character_string1) and what to do (thing2,
    at most 20 characters)."""
    params, kind = payload.get("params") or {}, payload.get("kind")
    if kind == "near":
        what = f"前面还有{params.get('ahead')}人，请回大厅等候"
    elif kind == "called":
        what = f"请到{params.get('window')}号窗口办理"
    else:
        what = "已过号，请到咨询台咨询"
    return {"character_string1": {"value": str(params.get("number", ""))},
            "thing2": {"value": what[:20]}}


@dataclass
class WechatSubscribe:
    appid: str
    secret: str
    templates: Mapping[str, str]  # message kind → template_id
    url: str = "https://api.weixin.qq.com"
    page: str = ""
    timeout_s: float = 10.0
    _token: str | None = field(default=None, repr=False)
    _token_until: float = 0.0
    RETRY_CODES = frozenset({-1, 45009, 45011})
    TOKEN_CODES = frozenset({40001, 40014, 42001})

    def _access_token(self) -> str:
        if self._token and time.time() < self._token_until:
            return self._token
        q = urlencode({"grant_type": "client_credential", "appid": self.appid,
                       "secret": self.secret})
        _, body = _call("GET", f"{self.url}/cgi-bin/token?{q}", None, {}, self.timeout_s)
        if not body.get("access_token"):
            raise PermissionError(f"token {body.get('errcode')} {body.get('errmsg', '')}")
        self._token = body["access_token"]
        self._token_until = time.time() + int(body.get("expires_in", 7200)) - 300
        return self._token

    def body(self, payload: dict[str, Any]) -> dict[str, Any]:
        out = {"touser": payload.get("openid"), "template_id": _template(self.templates,
                                                                        payload),
               "data": wechat_data(payload), "miniprogram_state": "formal", "lang": "zh_CN"}
        if self.page:
            out["page"] = self.page
        return out

    def send(self, topic: str, key: str, payload: dict[str, Any]) -> Delivery:
        if not payload.get("openid") or _template(self.templates, payload) is None:
            return Delivery(REFUSED, "no openid (erased) or no template")
        data = json.dumps(self.body(payload), ensure_ascii=False).encode()
        for _ in range(2):  # once more with a new access token if it expired
            try:
                token = self._access_token()
                _, answer = _call("POST", f"{self.url}/cgi-bin/message/subscribe/send?"
                              f"access_token={token}", data,
                              {"Content-Type": "application/json"}, self.timeout_s)
            except Unavailable as exc:
                return Delivery(RETRY, str(exc))
            except PermissionError as exc:
                return Delivery(REFUSED, str(exc))
            code = int(answer.get("errcode", 0))
            if code in self.TOKEN_CODES:
                self._token = None
                continue
            if code == 0:
                return Delivery(SENT)
            return Delivery(RETRY if code in self.RETRY_CODES else REFUSED,
                            f"{code} {answer.get('errmsg', '')}".strip())
        return Delivery(RETRY, "access token refused twice")


# --- from the environment ------------------------------------------------------------------

def _templates(env: Mapping[str, str], prefix: str) -> dict[str, str]:
    return {k: env[f"{prefix}_TEMPLATE_{k.upper()}"] for k in KINDS
            if env.get(f"{prefix}_TEMPLATE_{k.upper()}")}


def adapters_from_environment(env: Mapping[str, str]) -> dict[str, Any]:
    """The message adapters this machine has credentials for, by outbox topic:
    ``HALL_SMS_ALIYUN_{ACCESS_KEY_ID,ACCESS_KEY_SECRET,SIGN_NAME,URL,TEMPLATE_NEAR|CALLED|
    PASSED|COMPLAINT_REPLY}``, ``HALL_SMS_TENCENT_{SECRET_ID,SECRET_KEY,SDK_APP_ID,SIGN_NAME,
    REGION,URL,TEMPLATE_…}``, ``HALL_WECHAT_{APPID,SECRET,URL,PAGE,TEMPLATE_…}``."""
    out: dict[str, Any] = {}
    a = "HALL_SMS_ALIYUN"
    if env.get(f"{a}_ACCESS_KEY_ID") and env.get(f"{a}_ACCESS_KEY_SECRET"):
        out["notify.sms.aliyun"] = AliyunSms(
            env[f"{a}_ACCESS_KEY_ID"], env[f"{a}_ACCESS_KEY_SECRET"],
            env.get(f"{a}_SIGN_NAME", ""), _templates(env, a),
            **({"url": env[f"{a}_URL"]} if env.get(f"{a}_URL") else {}))
    t = "HALL_SMS_TENCENT"
    if env.get(f"{t}_SECRET_ID") and env.get(f"{t}_SECRET_KEY"):
        out["notify.sms.tencent"] = TencentSms(
            env[f"{t}_SECRET_ID"], env[f"{t}_SECRET_KEY"], env.get(f"{t}_SDK_APP_ID", ""),
            env.get(f"{t}_SIGN_NAME", ""), _templates(env, t),
            **({"url": env[f"{t}_URL"]} if env.get(f"{t}_URL") else {}),
            **({"region": env[f"{t}_REGION"]} if env.get(f"{t}_REGION") else {}))
    w = "HALL_WECHAT"
    if env.get(f"{w}_APPID") and env.get(f"{w}_SECRET"):
        out["notify.wechat"] = WechatSubscribe(
            env[f"{w}_APPID"], env[f"{w}_SECRET"], _templates(env, w),
            page=env.get(f"{w}_PAGE", ""),
            **({"url": env[f"{w}_URL"].rstrip("/")} if env.get(f"{w}_URL") else {}))
    return out
