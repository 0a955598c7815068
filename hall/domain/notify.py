"""Near-turn notifications (issue 21), pure: the hall's settings, when a reminder is due,
and the words of each message.

A visitor who left a phone (or subscribed on WeChat) gets at most two reminders: the first
when the people ahead drop to ``ahead`` (K, default 3), the second when they drop to
``second_ahead`` (default 1); then one notice when the number is called or passed (过号).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hall.domain.errors import DomainError
from hall.domain.i18n import N_

PROVIDERS = ("aliyun", "tencent")  # SMS providers; WeChat is a channel of its own
CHANNELS = ("sms", "wechat")
MAX_REMINDERS = 2
NEAR, CALLED, PASSED = "near", "called", "passed"
COMPLAINT_REPLY = "complaint_reply"  # issue 19: a complaint is answered (its number only)


@dataclass(frozen=True)
class NotifySettings:
    provider: str | None = None  # which SMS provider the hall uses; None: no SMS
    wechat: bool = False  # WeChat subscribe messages offered
    ahead: int = 3
    second_ahead: int = 1
    keep_days: int = 7  # the masked phone and its hash are erased after this many days
    per_phone_daily: int = 5  # tickets one phone may follow per day (a rate limit)

    @classmethod
    def of(cls, settings: dict[str, Any] | None) -> NotifySettings:
        raw = dict((settings or {}).get("notify") or {})
        known = {k: raw[k] for k in cls.__dataclass_fields__ if raw.get(k) is not None}
        return cls(**known)

    def topic(self, channel: str) -> str:
        """The outbox topic (one adapter each) of a message on ``channel``."""
        return "notify.wechat" if channel == "wechat" else f"notify.sms.{self.provider}"

    def check_channel(self, channel: str, field: str) -> None:
        if channel not in CHANNELS:
            raise DomainError("unknown_channel", N_("Unknown notification channel %(channel)s"),
                              field, channel=channel)
        if channel == "sms" and self.provider not in PROVIDERS:
            raise DomainError("notify_off", N_("This hall sends no text messages"), field)
        if channel == "wechat" and not self.wechat:
            raise DomainError("notify_off", N_("This hall sends no WeChat messages"), field)


def reminder_due(settings: NotifySettings, ahead: int, reminders: int,
                 last_ahead: int | None) -> bool:
    """Whether a reminder goes out now that ``ahead`` people are ahead of the ticket."""
    if reminders == 0:
        return ahead <= settings.ahead
    if reminders == 1 and settings.second_ahead < settings.ahead:
        return ahead <= settings.second_ahead < (last_ahead if last_ahead is not None else 99)
    return False


def message(kind: str, number: str, ahead: int | None = None,
            window: int | None = None) -> dict[str, Any]:
    """The template parameters and the plain text of one message (text messages in China
    go out as a registered template plus parameters; the text is what the template says)."""
    if kind == NEAR:
        params = {"number": number, "ahead": str(ahead)}
        text = f"您的{number}号前面还有{ahead}人，请回大厅等候"
    elif kind == CALLED:
        params = {"number": number, "window": str(window)}
        text = f"请{number}号到{window}号窗口办理"
    elif kind == PASSED:
        params = {"number": number}
        text = f"您的{number}号已过号，请到咨询台咨询"
    elif kind == COMPLAINT_REPLY:  # the answer itself stays on the complainant's page
        params = {"number": number}
        text = f"您的投诉建议{number}已答复，请在原页面查看答复并告诉我们是否满意"
    else:
        raise ValueError(kind)
    return {"kind": kind, "params": params, "text": text}


def mask_openid(openid: str) -> str:
    return f"{openid[:4]}…{openid[-4:]}" if len(openid) > 8 else "…"
