"""Emulator of Tencent Cloud SMS (API 3.0, version 2021-01-11), as documented:

URL format: ``POST http://HOST:PORT/`` with a JSON body and the headers ``X-TC-Action``
(SendSms), ``X-TC-Version`` (2021-01-11), ``X-TC-Timestamp`` (Unix seconds, at most 5
minutes off), ``X-TC-Region``, ``Authorization``. Signature TC3-HMAC-SHA256:
CanonicalRequest = ``POST\\n/\\n\\n`` + ``content-type:…\\nhost:…\\nx-tc-action:sendsms\\n``
+ ``\\ncontent-type;host;x-tc-action\\n`` + hex(SHA256(body)); StringToSign =
``TC3-HMAC-SHA256\\n<timestamp>\\n<date>/sms/tc3_request\\n`` + hex(SHA256(CanonicalRequest));
the key is HMAC-SHA256 chained from ``"TC3" + SecretKey`` over the UTC date, ``sms`` and
``tc3_request``; ``Authorization: TC3-HMAC-SHA256 Credential=<SecretId>/<date>/sms/
tc3_request, SignedHeaders=content-type;host;x-tc-action, Signature=<hex>``.

SendSms body: ``PhoneNumberSet`` (E.164, ``+86`` and 11 digits), ``SmsSdkAppId``,
``SignName``, ``TemplateId``, ``TemplateParamSet`` (one string per ``{n}`` of the template,
in order), ``SessionContext`` (returned as given). Answers HTTP 200 with
``{"Response": {"SendStatusSet": [{"Code": "Ok", …}], "RequestId": …}}`` or
``{"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", …}}}``; per-number codes
such as ``InvalidParameterValue.IncorrectPhoneNumber``, ``LimitExceeded.PhoneNumberDailyLimit``
(``fail_next``). PullSmsSendStatusByPhoneNumber (``BeginTime``, ``PhoneNumber``,
``SmsSdkAppId``, ``Offset``, ``Limit``) lists what was sent, with ``SessionContext``.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from drivers.sms.server import Emulator, Request

E164_CN = re.compile(r"\+861[3-9]\d{9}")
PLACE = re.compile(r"\{(\d+)\}")
AUTH = re.compile(r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/sms/tc3_request, "
                  r"SignedHeaders=([a-z;-]+), Signature=([0-9a-f]{64})")


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signature(secret_key: str, headers: dict[str, str], signed: list[str], body: bytes,
              timestamp: int, service: str = "sms") -> str:
    """The documented TC3-HMAC-SHA256 signature of a POST to ``/`` (headers lower-cased)."""
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    # names and values lower-cased and trimmed, as the documentation says
    canonical_headers = "".join(f"{h}:{headers[h].strip().lower()}\n" for h in signed)
    canonical = "\n".join(["POST", "/", "", canonical_headers, ";".join(signed),
                           hashlib.sha256(body).hexdigest()])
    scope = f"{day}/{service}/tc3_request"
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), day), service), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


class TencentSmsEmulator(Emulator):
    def __init__(self, secret_id: str, secret_key: str, sdk_app_id: str, sign_name: str,
                 templates: dict[str, str], delay_s: float = 0.0):
        super().__init__(delay_s)
        self.keys = {secret_id: secret_key}
        self.sdk_app_id, self.sign_name, self.templates = sdk_app_id, sign_name, templates
        self.sent: list[dict[str, Any]] = []
        self.refused: list[str] = []

    def answer(self, request: Request) -> tuple[int, Any]:
        rid = str(uuid.uuid4())
        error = self._check_auth(request)
        body: Any = None
        if error is None:
            try:
                body = request.json()
            except ValueError:
                error = "InvalidParameter"
        action = request.headers.get("x-tc-action", "")
        if error is None and action == "PullSmsSendStatusByPhoneNumber":
            return 200, {"Response": self._pull(body), "RequestId": rid}
        if error is None:
            error = self._check_send(body, action)
        if error is not None:
            self.refused.append(error)
            return 200, {"Response": {"Error": {"Code": error, "Message": error},
                                      "RequestId": rid}}
        statuses = []
        template = self.templates[body["TemplateId"]]
        for phone in body["PhoneNumberSet"]:
            code = self.take_failure() or "Ok"
            if code == "Ok":
                text = PLACE.sub(lambda m: body["TemplateParamSet"][int(m.group(1)) - 1],
                                 template)
                self.sent.append({"phone": phone, "template": body["TemplateId"],
                                  "params": list(body["TemplateParamSet"]), "text": text,
                                  "session": body.get("SessionContext", ""),
                                  "at": int(time.time())})
            else:
                self.refused.append(code)
            statuses.append({"SerialNo": uuid.uuid4().hex, "PhoneNumber": phone, "Fee": 1,
                             "SessionContext": body.get("SessionContext", ""), "Code": code,
                             "Message": "send success" if code == "Ok" else code,
                             "IsoCode": "CN"})
        return 200, {"Response": {"SendStatusSet": statuses, "RequestId": rid}}

    def _check_auth(self, request: Request) -> str | None:
        h = request.headers
        if h.get("x-tc-version") != "2021-01-11" or not h.get("x-tc-region"):
            return "InvalidParameter"
        m = AUTH.fullmatch(h.get("authorization", ""))
        if m is None:
            return "AuthFailure.InvalidAuthorization"
        secret_id, day, signed, sig = m.groups()
        secret = self.keys.get(secret_id)
        if secret is None:
            return "AuthFailure.SecretIdNotFound"
        try:
            stamp = int(h.get("x-tc-timestamp", ""))
        except ValueError:
            return "InvalidParameter"
        if abs(time.time() - stamp) > 300:
            return "AuthFailure.SignatureExpire"
        signed_list = signed.split(";")
        if {"content-type", "host"} - set(signed_list) or \
                day != datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d"):
            return "AuthFailure.SignatureFailure"
        if any(x not in h for x in signed_list):
            return "AuthFailure.SignatureFailure"
        want = signature(secret, h, signed_list, request.body, stamp)
        return None if hmac.compare_digest(want, sig) else "AuthFailure.SignatureFailure"

    def _check_send(self, body: Any, action: str) -> str | None:
        if action != "SendSms":
            return "InvalidAction"
        if not isinstance(body, dict):
            return "InvalidParameter"
        if body.get("SmsSdkAppId") != self.sdk_app_id:
            return "InvalidParameterValue.SdkAppIdNotExist"
        if body.get("SignName") != self.sign_name:
            return "FailedOperation.SignatureIncorrectOrUnapproved"
        template = self.templates.get(str(body.get("TemplateId", "")))
        if template is None:
            return "FailedOperation.TemplateIncorrectOrUnapproved"
        params = body.get("TemplateParamSet") or []
        if not isinstance(params, list) or len(params) != len(PLACE.findall(template)) or \
                not all(isinstance(p, str) and p for p in params):
            return "InvalidParameterValue.TemplateParameterFormatError"
        phones = body.get("PhoneNumberSet") or []
        if not phones or len(phones) > 200:
            return "InvalidParameter"
        if not all(isinstance(p, str) and E164_CN.fullmatch(p) for p in phones):
            return "InvalidParameterValue.IncorrectPhoneNumber"
        return None

    def _pull(self, body: dict[str, Any]) -> dict[str, Any]:
        since = int(body.get("BeginTime") or 0)
        phone = str(body.get("PhoneNumber") or "")
        found = [s for s in self.sent if s["at"] >= since and
                 s["phone"] in (phone, f"+86{phone}")]
        offset, limit = int(body.get("Offset") or 0), int(body.get("Limit") or 100)
        return {"PullSmsSendStatusSet": [
            {"UserReceiveTime": s["at"], "CountryCode": "86", "SubscriberNumber": s["phone"][3:],
             "PhoneNumber": s["phone"], "SerialNo": "", "ReportStatus": "SUCCESS",
             "Description": "DELIVRD", "SessionContext": s["session"]}
            for s in found[offset:offset + limit]]}
