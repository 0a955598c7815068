"""Emulator of Aliyun's SMS API (dysmsapi, version 2017-05-25, RPC style), as documented:

URL format: ``GET|POST http://HOST:PORT/?Action=SendSms&…`` (query or form body).
Common parameters: ``AccessKeyId``, ``Action``, ``Format`` (JSON), ``RegionId``,
``SignatureMethod`` (HMAC-SHA1), ``SignatureNonce`` (unique), ``SignatureVersion`` (1.0),
``Timestamp`` (ISO 8601 UTC, ``YYYY-MM-DDThh:mm:ssZ``, at most 15 minutes off), ``Version``
(2017-05-25), ``Signature``. The signature (RPC v1): sort the parameters but ``Signature``
by name, percent-encode names and values (RFC 3986: space → %20, ``*`` → %2A, ``~`` kept),
join as ``k=v&…``; StringToSign = ``METHOD&%2F&`` + percentEncode(that);
Signature = Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign)).

SendSms: ``PhoneNumbers`` (mainland mobile, optionally with 86 / +86 / 0086), ``SignName``,
``TemplateCode``, ``TemplateParam`` (JSON object with every ``${var}`` of the template),
``OutId`` (the sender's own id, returned by QuerySendDetails). QuerySendDetails:
``PhoneNumber``, ``SendDate`` (yyyyMMdd), ``PageSize`` (1–50), ``CurrentPage``.

Answers ``{"Code": "OK", "Message": "OK", "BizId": …, "RequestId": …}``, or a documented error
code: ``SignatureDoesNotMatch`` / ``InvalidAccessKeyId.NotFound`` /
``SignatureNonceUsed`` / ``InvalidTimeStamp.Expired`` (HTTP 400/404),
``isv.MOBILE_NUMBER_ILLEGAL``, ``isv.SMS_SIGNATURE_ILLEGAL``, ``isv.SMS_TEMPLATE_ILLEGAL``,
``isv.TEMPLATE_MISSING_PARAMETERS``, ``isv.BUSINESS_LIMIT_CONTROL`` (HTTP 200). ``fail_next``
answers the next sends with the codes given (``isv.BUSINESS_LIMIT_CONTROL`` …).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from drivers.sms.server import Emulator, Request

CHINA = ZoneInfo("Asia/Shanghai")  # SendDate is the day in China
PHONE = re.compile(r"(?:\+?86|0086)?(1[3-9]\d{9})")
VARIABLE = re.compile(r"\$\{(\w+)\}")
HTTP_STATUS = {"SignatureDoesNotMatch": 400, "InvalidAccessKeyId.NotFound": 404,
               "SignatureNonceUsed": 400, "InvalidTimeStamp.Expired": 400,
               "MissingParameter": 400}


def percent(value: str) -> str:
    return quote(value, safe="-_.~")


def sign(params: dict[str, str], secret: str, method: str = "GET") -> str:
    """The documented RPC signature of ``params`` (without ``Signature``)."""
    canonical = "&".join(f"{percent(k)}={percent(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{percent('/')}&{percent(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSmsEmulator(Emulator):
    def __init__(self, access_key_id: str, access_key_secret: str, sign_name: str,
                 templates: dict[str, str], delay_s: float = 0.0, clock=None):
        super().__init__(delay_s)
        self.keys = {access_key_id: access_key_secret}
        self.sign_name = sign_name
        self.templates = templates  # TemplateCode → text with ${var}
        self.clock = clock or (lambda: datetime.now(UTC))
        self.nonces: set[str] = set()
        self.sent: list[dict[str, Any]] = []  # each accepted message, in order
        self.refused: list[str] = []

    def answer(self, request: Request) -> tuple[int, Any]:
        params = {**request.query, **(request.form() if request.method == "POST" else {})}
        code = self._check(params, request.method)
        if code is None and params.get("Action") == "QuerySendDetails":
            return 200, self._query(params)
        if code is None:
            code = self.take_failure()
        if code is not None:
            self.refused.append(code)
            return HTTP_STATUS.get(code, 200), {"Code": code, "Message": code,
                                                "RequestId": str(uuid.uuid4())}
        biz = uuid.uuid4().hex[:20]
        self.sent.append({"phone": PHONE.fullmatch(params["PhoneNumbers"]).group(1),
                          "template": params["TemplateCode"],
                          "params": json.loads(params["TemplateParam"]),
                          "text": self.render(params), "out_id": params.get("OutId", ""),
                          "biz_id": biz,
                          "date": self.clock().astimezone(CHINA).strftime("%Y%m%d")})
        return 200, {"Code": "OK", "Message": "OK", "BizId": biz,
                     "RequestId": str(uuid.uuid4())}

    def render(self, params: dict[str, str]) -> str:
        values = json.loads(params["TemplateParam"])
        return VARIABLE.sub(lambda m: str(values[m.group(1)]),
                            self.templates[params["TemplateCode"]])

    def _check(self, params: dict[str, str], method: str) -> str | None:
        for name in ("AccessKeyId", "Action", "SignatureMethod", "SignatureNonce",
                     "SignatureVersion", "Timestamp", "Version", "Signature"):
            if not params.get(name):
                return "MissingParameter"
        secret = self.keys.get(params["AccessKeyId"])
        if secret is None:
            return "InvalidAccessKeyId.NotFound"
        unsigned = {k: v for k, v in params.items() if k != "Signature"}
        if (params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0"
                or not hmac.compare_digest(sign(unsigned, secret, method),
                                           params["Signature"])):
            return "SignatureDoesNotMatch"
        try:
            at = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return "InvalidTimeStamp.Format"
        if abs((self.clock() - at).total_seconds()) > 15 * 60:
            return "InvalidTimeStamp.Expired"
        if params["SignatureNonce"] in self.nonces:
            return "SignatureNonceUsed"
        self.nonces.add(params["SignatureNonce"])
        if params["Version"] != "2017-05-25" or params.get("Format", "JSON") != "JSON":
            return "InvalidVersion"
        if params["Action"] == "QuerySendDetails":
            return None if PHONE.fullmatch(params.get("PhoneNumber", "")) else \
                "isv.MOBILE_NUMBER_ILLEGAL"
        if params["Action"] != "SendSms":
            return "InvalidAction.NotFound"
        if not PHONE.fullmatch(params.get("PhoneNumbers", "")):
            return "isv.MOBILE_NUMBER_ILLEGAL"
        if params.get("SignName") != self.sign_name:
            return "isv.SMS_SIGNATURE_ILLEGAL"
        template = self.templates.get(params.get("TemplateCode", ""))
        if template is None:
            return "isv.SMS_TEMPLATE_ILLEGAL"
        try:
            values = json.loads(params.get("TemplateParam") or "{}")
        except ValueError:
            return "isv.INVALID_JSON_PARAM"
        if not isinstance(values, dict) or any(
                not str(values.get(v, "")) for v in VARIABLE.findall(template)):
            return "isv.TEMPLATE_MISSING_PARAMETERS"
        return None

    def _query(self, params: dict[str, str]) -> dict[str, Any]:
        phone = PHONE.fullmatch(params["PhoneNumber"]).group(1)
        found = [s for s in self.sent if s["phone"] == phone
                 and s["date"] == params.get("SendDate")]
        size = max(1, min(50, int(params.get("PageSize") or 10)))
        page = max(1, int(params.get("CurrentPage") or 1))
        rows = found[(page - 1) * size:page * size]
        return {"Code": "OK", "Message": "OK", "TotalCount": len(found),
                "RequestId": str(uuid.uuid4()),
                "SmsSendDetailDTOs": {"SmsSendDetailDTO": [
                    {"PhoneNum": s["phone"], "SendStatus": 3, "Content": s["text"],
                     "TemplateCode": s["template"], "OutId": s["out_id"],
                     "SendDate": s["date"]} for s in rows]}}
