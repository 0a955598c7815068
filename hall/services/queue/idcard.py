"""A resident ID card swiped at the kiosk (issue 21): the ticket for the card's holder.

What the card gives is used in this call and dropped: the ID number becomes the keyed hash
of the per-person limits (tickets.person_hash), the name becomes 张* on the ticket (shown
when the hall calls by name), and the age from the ID number offers 绿色通道 to elders (the
hall's ``elder_age``, default 60, with the hall's reason for elders). Nothing of the card is
stored or logged as read; no photo is decoded.
"""
from __future__ import annotations

from typing import Any

from itsdangerous import BadData, URLSafeTimedSerializer

from hall.domain.access import Actor
from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.domain.personal import age_on, mask_name, normalize_id_number
from hall.services import repo
from hall.services.context import Context, Result, read
from hall.services.queue import tickets

ELDER_AGE = 60
ELDER_WORDS = ("老年", "长者", "老人")


def offer(ctx: Context, *, hall_id: int, id_number: str) -> dict[str, Any]:
    """What the kiosk offers the holder of this card: 绿色通道 (with its reason) or not."""
    number = normalize_id_number(id_number)  # a bad check digit: 422 naming id_number

    def query(uow) -> dict[str, Any]:
        config = repo.hall_config(uow, hall_id)
        extra = config.row.settings or {}
        today = config.settings.local(uow.now).date()
        elder = age_on(number, today) >= int(extra.get("elder_age") or ELDER_AGE)
        reasons = list(extra.get("priority_reasons") or [])
        reason = next((r for r in reasons if any(w in r for w in ELDER_WORDS)), None)
        return {"priority": bool(elder and reason), "priority_reason": reason if elder else None}

    return read(ctx, query)


TITLES = {"男": "先生", "女": "女士"}


def swipe(ctx: Context, *, hall_id: int, service: int | str, actor: Actor, id_number: str,
          name: str, sex: str = "", phone: str | None = None) -> Result:
    """Take a number with a card: priority for elders, the ID hash for limits, 张* kept."""
    offered = offer(ctx, hall_id=hall_id, id_number=id_number)
    kind = "priority" if offered["priority"] else "normal"
    return tickets.issue(ctx, hall_id=hall_id, service=service, actor=actor, kind=kind,
                         priority_reason=offered["priority_reason"] if offered["priority"]
                         else None, id_number=id_number, phone=phone, holder=name,
                         holder_title=TITLES.get(sex, ""))


# ---- the kiosk's own reader: the card is read by the server and sealed for the page ----

CARD_SALT = "hall.idcard"
CARD_TTL_S = 180  # a sealed reading is good for one visit at the kiosk


def seal(ctx: Context, *, hall_id: int, id_number: str, name: str, sex: str = ""
         ) -> dict[str, Any]:
    """A card read at the kiosk, as the page may hold it: the holder masked (张*先生), the
    绿色通道 offer, and ``card``, a signed token carrying only the keyed ID hash and the
    masked name (never the card's text), which ``issue_card`` takes back within minutes."""
    offered = offer(ctx, hall_id=hall_id, id_number=id_number)
    holder = mask_name(name) + TITLES.get(sex, "") if name else ""
    sealed = {"h": hall_id, "p": tickets.person_hash(ctx.secret, id_number), "n": holder,
              "r": offered["priority_reason"] if offered["priority"] else None}
    return {"card": _serializer(ctx).dumps(sealed), "holder": holder, **offered}


def issue_card(ctx: Context, *, hall_id: int, service: int | str, actor: Actor, card: str,
               kind: str = "normal", priority_reason: str | None = None,
               phone: str | None = None) -> Result:
    """Take a number with a sealed card: its ID hash for the per-person limit, its masked
    name, and 绿色通道 for elders (unless the visitor chose an appointment)."""
    try:
        sealed = _serializer(ctx).loads(card, max_age=CARD_TTL_S)
    except BadData:
        sealed = None
    if not isinstance(sealed, dict) or sealed.get("h") != hall_id:
        raise DomainError("card_expired",
                          N_("The ID card reading has expired; lay the card on the reader "
                             "again"), "card")
    # the card's 绿色通道 for elders, whether the page asked for a normal number or for the
    # priority the card offered (it leaves the reason to the card); a reason chosen stays
    if sealed.get("r") and (kind == "normal" or (kind == "priority" and not priority_reason)):
        kind, priority_reason = "priority", sealed["r"]
    return tickets.issue(ctx, hall_id=hall_id, service=service, actor=actor, kind=kind,
                         priority_reason=priority_reason, phone=phone, person=sealed["p"],
                         holder_masked=sealed.get("n") or None)


def _serializer(ctx: Context) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(ctx.secret, salt=CARD_SALT)
