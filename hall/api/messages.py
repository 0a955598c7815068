"""Messages to visitors (near-turn texts, WeChat) for supervisors (issue 21): pending / sent /
failed with the provider's reason, and a failed one sent again (session + CSRF)."""
from __future__ import annotations

from typing import Literal

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from hall.api.schemas import BigId, ErrorResponse, OutboxQuery
from hall.services.outbox import messages
from hall.web.auth import current_actor
from hall.web.context import hall_context

api = APIBlueprint("messages", __name__, url_prefix="/api/v1/messages",
                   abp_tags=[Tag(name="messages")],
                   abp_responses={"401": ErrorResponse, "403": ErrorResponse,
                                  "404": ErrorResponse, "409": ErrorResponse,
                                  "422": ErrorResponse})
SESSION = [{"session": []}]


class MessagePath(BaseModel):
    message_id: BigId


class MessageRow(BaseModel):
    id: int
    topic: str = Field(description="notify.sms.aliyun, notify.sms.tencent or notify.wechat")
    key: str
    state: Literal["pending", "sent", "failed"]
    attempts: int
    next_at: str | None
    last_error: str | None = Field(description="the provider's answer to the last try")
    created_at: str | None
    sent_at: str | None
    kind: str | None = Field(description="near, called or passed")
    text: str | None
    to: str | None = Field(description="the number masked (138****1234)")


class MessageCounts(BaseModel):
    pending: int
    sent: int
    failed: int


class MessagesOut(BaseModel):
    counts: MessageCounts
    messages: list[MessageRow]


@api.get("", responses={"200": MessagesOut}, security=SESSION)
def status(query: OutboxQuery):
    """Counts by state and the latest messages, failed first, with the reason of each."""
    return messages.status(hall_context(), actor=current_actor(), state=query.state,
                           limit=query.limit)


@api.post("/<int:message_id>/resend", responses={"200": MessageRow}, security=SESSION)
def resend(path: MessagePath):
    """Send a failed message again (pending, due now); any other state is 409."""
    return messages.resend(hall_context(), actor=current_actor(),
                           message_id=path.message_id).value
