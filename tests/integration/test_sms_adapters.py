"""The message adapters (hall/services/outbox/sms.py) against local emulators of Aliyun
SendSms, Tencent Cloud SMS and WeChat subscribeMessage.send (drivers/sms/), which check each
request as the provider documents it: signature, template parameters, phone format. Each
emulator also fails on demand, and the adapter tells a retry from a refusal."""
from __future__ import annotations

from dataclasses import replace

from drivers.sms import aliyun as aliyun_doc
from drivers.sms import tencent as tencent_doc
from drivers.sms.aliyun import AliyunSmsEmulator
from drivers.sms.tencent import TencentSmsEmulator
from drivers.sms.wechat import WechatEmulator
from hall.domain.notify import message
from hall.services.outbox.sms import AliyunSms, TencentSms, WechatSubscribe, aliyun_signature
from hall.services.outbox.worker import REFUSED, RETRY, SENT

NEAR = {**message("near", "A012", ahead=3), "phone": "13812341234"}
CALLED = {**message("called", "A012", window=5), "phone": "13812341234"}
OPENID = "oAbCdEfGhIjKlMnOpQrStUv12"


# the worked examples the providers publish, so neither the adapter nor its emulator can
# agree on a wrong signature: Aliyun's RPC v1 DescribeRegions (AccessKeySecret testsecret)
ALIYUN_DOC = {"AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML",
              "SignatureMethod": "HMAC-SHA1",
              "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
              "SignatureVersion": "1.0", "Timestamp": "2016-02-23T12:46:24Z",
              "Version": "2014-05-26"}
# Tencent Cloud's TC3-HMAC-SHA256 DescribeInstances (cvm, 1551113065, content-type;host)
TENCENT_DOC_BODY = (b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], '
                    b'"Name": "instance-name"}]}')


def test_aliyun_sms_request_is_signed():
    # the RPC v1 signature: RFC 3986 encoding (space %20, * %2A, ~ kept), sorted, HMAC-SHA1
    assert aliyun_signature(ALIYUN_DOC, "testsecret", "GET") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    assert aliyun_doc.sign(ALIYUN_DOC, "testsecret", "GET") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    params = {"b": "x y*~", "a": "中"}
    assert aliyun_signature(params, "s", "POST") == aliyun_doc.sign(params, "s", "POST")
    templates = {"SMS_1": "您的${number}号前面还有${ahead}人，请回大厅等候",
                 "SMS_2": "请${number}号到${window}号窗口办理"}
    with AliyunSmsEmulator("LTAI-key", "the-secret", "市民中心", templates) as provider:
        adapter = AliyunSms("LTAI-key", "the-secret", "市民中心",
                            {"near": "SMS_1", "called": "SMS_2"}, url=provider.url + "/")
        delivery = adapter.send("notify.sms.aliyun", "notify:1:near:1", NEAR)
        assert delivery.outcome == SENT and delivery.detail  # the BizId
        (sent,) = provider.sent
        assert sent == {**sent, "phone": "13812341234", "template": "SMS_1",
                        "params": {"number": "A012", "ahead": "3"},
                        "text": "您的A012号前面还有3人，请回大厅等候", "out_id": "notify:1:near:1"}
        assert adapter.delivered("notify:1:near:1", NEAR) is True
        assert adapter.delivered("notify:9:near:1", NEAR) is False
        # a wrong secret: the signature does not match, and no retry can help
        wrong = replace(adapter, access_key_secret="not-it")
        refused = wrong.send("notify.sms.aliyun", "notify:1:called", CALLED)
        assert refused.outcome == REFUSED and "SignatureDoesNotMatch" in refused.detail
        # a malformed number, a template without its parameter
        bad = adapter.send("notify.sms.aliyun", "k2", {**CALLED, "phone": "1381234"})
        assert bad.outcome == REFUSED and "isv.MOBILE_NUMBER_ILLEGAL" in bad.detail
        missing = adapter.send("notify.sms.aliyun", "k3", {**CALLED, "params": {"number": "A1"}})
        assert missing.outcome == REFUSED and "TEMPLATE_MISSING_PARAMETERS" in missing.detail
        # throttled, or down: later
        provider.fail_next.append("isv.BUSINESS_LIMIT_CONTROL")
        assert adapter.send("notify.sms.aliyun", "k4", CALLED).outcome == RETRY
        provider.down = True
        assert adapter.send("notify.sms.aliyun", "k5", CALLED).outcome == RETRY
        provider.down = False
        assert adapter.send("notify.sms.aliyun", "k6", CALLED).outcome == SENT
        assert [s["text"] for s in provider.sent] == ["您的A012号前面还有3人，请回大厅等候",
                                                      "请A012号到5号窗口办理"]
        assert "SignatureNonceUsed" not in provider.refused  # a fresh nonce every call


def test_tencent_sms_request_is_signed():
    # the emulator checks with the documented algorithm: the published example's signature
    assert tencent_doc.signature(
        "Gu5t9xGARNpq86cd98joQYCN3*******", {"content-type": "application/json; charset=utf-8",
                                             "host": "cvm.tencentcloudapi.com"},
        ["content-type", "host"], TENCENT_DOC_BODY, 1551113065, "cvm") == \
        "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
    templates = {"101": "您的{1}号前面还有{2}人，请回大厅等候", "102": "请{1}号到{2}号窗口办理"}
    with TencentSmsEmulator("AKID-x", "tc-secret", "1400000001", "市民中心",
                            templates) as provider:
        adapter = TencentSms("AKID-x", "tc-secret", "1400000001", "市民中心",
                             {"near": "101", "called": "102"}, url=provider.url + "/")
        assert adapter.send("notify.sms.tencent", "notify:1:near:1", NEAR).outcome == SENT
        (request,) = provider.requests
        auth = request.headers["authorization"]
        assert auth.startswith("TC3-HMAC-SHA256 Credential=AKID-x/")
        assert "/sms/tc3_request, SignedHeaders=content-type;host;x-tc-action, Signature=" in auth
        assert request.headers["x-tc-action"] == "SendSms"
        assert request.headers["x-tc-version"] == "2021-01-11"
        assert request.json()["PhoneNumberSet"] == ["+8613812341234"]
        assert provider.sent[0]["text"] == "您的A012号前面还有3人，请回大厅等候"
        assert provider.sent[0]["session"] == "notify:1:near:1"
        assert adapter.delivered("notify:1:near:1", NEAR) is True
        assert adapter.delivered("notify:2:near:1", NEAR) is False
        wrong = replace(adapter, secret_key="not-it")
        refused = wrong.send("notify.sms.tencent", "k", CALLED)
        assert (refused.outcome, refused.detail) == (REFUSED, "AuthFailure.SignatureFailure")
        bad = adapter.send("notify.sms.tencent", "k", {**CALLED, "phone": "2381234123"})
        assert (bad.outcome, bad.detail) == (REFUSED,
                                             "InvalidParameterValue.IncorrectPhoneNumber")
        provider.fail_next.append("LimitExceeded.PhoneNumberThirtySecondLimit")
        assert adapter.send("notify.sms.tencent", "k", CALLED).outcome == RETRY
        provider.down = True
        assert adapter.send("notify.sms.tencent", "k", CALLED).outcome == RETRY
        provider.down = False
        assert adapter.send("notify.sms.tencent", "k", CALLED).outcome == SENT
        assert provider.sent[-1]["text"] == "请A012号到5号窗口办理"


def test_wechat_subscribe_message_payload():
    with WechatEmulator("wx-app", "wx-secret", {
            "TPL-near": ["character_string1", "thing2"],
            "TPL-called": ["character_string1", "thing2"]}) as provider:
        adapter = WechatSubscribe("wx-app", "wx-secret",
                                  {"near": "TPL-near", "called": "TPL-called"},
                                  url=provider.url, page="pages/ticket/index")
        near = {**message("near", "A012", ahead=3), "openid": OPENID}
        called = {**message("called", "A012", window=5), "openid": OPENID}
        # not subscribed (the visitor did not tap 允许): refused, never retried
        refused = adapter.send("notify.wechat", "k1", near)
        assert refused.outcome == REFUSED and refused.detail.startswith("43101")
        provider.subscribe(OPENID, "TPL-near")
        provider.subscribe(OPENID, "TPL-called")
        assert adapter.send("notify.wechat", "k1", near).outcome == SENT
        assert provider.sent[0] == {
            "touser": OPENID, "template_id": "TPL-near",
            "data": {"character_string1": {"value": "A012"},
                     "thing2": {"value": "前面还有3人，请回大厅等候"}},
            "miniprogram_state": "formal", "lang": "zh_CN", "page": "pages/ticket/index"}
        provider.expire_tokens()  # the access token ran out: a new one, then sent
        assert adapter.send("notify.wechat", "k2", called).outcome == SENT
        assert provider.sent[1]["data"]["thing2"] == {"value": "请到5号窗口办理"}
        assert provider.refused == [43101, 40001]
        provider.subscribe(OPENID, "TPL-near")
        provider.fail_next.append("-1")  # 系统繁忙
        assert adapter.send("notify.wechat", "k3", near).outcome == RETRY
        provider.down = True
        assert adapter.send("notify.wechat", "k3", near).outcome == RETRY
        provider.down = False
        assert adapter.send("notify.wechat", "k3", near).outcome == SENT
        wrong = WechatSubscribe("wx-app", "nope", {"near": "TPL-near"}, url=provider.url)
        assert wrong.send("notify.wechat", "k4", near).outcome == REFUSED
