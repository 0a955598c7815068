"""投诉建议: categories, channels and the life cycle of a complaint (DESIGN.md §6).

    received ──take──▶ handling ──reply──▶ replied ──close──▶ closed
        ╰────────────────reply───────────────╯  │
                          ▲        not satisfied │ (once)
                          ╰──────────reopen──────╯

A complaint is answered (``reply``) by its handler; the complainant then says whether they
are satisfied. "Not satisfied" sends it back to ``handling`` once; after that the answer is
kept and a supervisor closes it. A closed complaint takes no reply.
"""
from __future__ import annotations

from hall.domain.errors import DomainError
from hall.domain.i18n import N_

# stored as codes; the labels are the glossary's words
CATEGORIES: dict[str, str] = {
    "attitude": N_("Service attitude"),  # 服务态度
    "efficiency": N_("Efficiency"),  # 办事效率
    "discipline": N_("Work discipline"),  # 工作纪律
    "fees": N_("Fees"),  # 收费
    "environment": N_("Environment and facilities"),  # 环境设施
    "other": N_("Other"),  # 其他
}
# where it came from: the visitor themself (phone page of a ticket or case, kiosk), or
# staff entering what came by phone, the 意见簿 (comment book) or a 12345 work order
VISITOR_SOURCES = ("ticket_page", "case_page", "kiosk")
STAFF_SOURCES = ("phone_call", "comment_book", "hotline_12345")
SOURCES = VISITOR_SOURCES + STAFF_SOURCES
SOURCE_LABELS: dict[str, str] = {
    "ticket_page": N_("Ticket's phone page"), "case_page": N_("Case page"),
    "kiosk": N_("Kiosk"), "phone_call": N_("Phone call"),
    "comment_book": N_("Comment book (意见簿)"), "hotline_12345": N_("12345 work order"),
}
STATES = ("received", "handling", "replied", "closed")
STATE_LABELS: dict[str, str] = {
    "received": N_("Received"), "handling": N_("Being handled"), "replied": N_("Replied"),
    "closed": N_("Answered and closed"),
}
OPEN = ("received", "handling")  # waiting for an answer: these can be overdue
REOPEN_LIMIT = 1
DEFAULT_DAYS = 5
MAX_TEXT = 2000


def check_text(text: str | None) -> str:
    words = (text or "").strip()
    if not words:
        raise DomainError("text_required", N_("Say what the complaint is about"), "text")
    if len(words) > MAX_TEXT:
        raise DomainError("text_too_long", N_("Keep it under %(n)s characters"), "text",
                          n=MAX_TEXT)
    return words


def check_category(category: str | None) -> str:
    value = (category or "other").strip()
    if value not in CATEGORIES:
        raise DomainError("invalid_category", N_("Unknown complaint category %(category)s"),
                          "category", category=value)
    return value


def check_source(source: str, allowed: tuple[str, ...] = SOURCES) -> str:
    if source not in allowed:
        raise DomainError("invalid_source", N_("Unknown complaint channel %(source)s"),
                          "source", source=source)
    return source


def after_reply(state: str) -> str:
    """A reply is given to an open complaint (received or handling, reopened included)."""
    if state == "closed":
        raise DomainError("complaint_closed", N_("This complaint is already closed"), "state")
    if state == "replied":
        raise DomainError("complaint_replied", N_("This complaint is already answered; "
                                                  "wait for the complainant"), "state")
    return "replied"


def after_answer(state: str, satisfied: bool, reopened: int,
                 answered: bool = False) -> tuple[str, int]:
    """The complainant's answer to a reply (once per reply): (new state, reopen count)."""
    if state != "replied":
        raise DomainError("complaint_not_replied", N_("There is no reply to answer yet"),
                          "satisfied")
    if answered:
        raise DomainError("complaint_answered", N_("You have already answered this reply"),
                          "satisfied")
    if not satisfied and reopened < REOPEN_LIMIT:
        return "handling", reopened + 1
    return "replied", reopened


def after_close(state: str) -> str:
    if state == "closed":
        raise DomainError("complaint_closed", N_("This complaint is already closed"), "state")
    if state != "replied":
        raise DomainError("complaint_not_replied",
                          N_("Reply to the complainant before closing"), "reply")
    return "closed"
