"""Kiosk pages (取号机): a touch page that lists departments and services, shows a service's
guide (一次性告知), takes a number and prints it.

The page is a shell (no inline script, a strict CSP); ``static/kiosk.js`` draws it from
``/kiosk/<device>/catalog`` and takes numbers through the JSON API with the kiosk's device
token (``POST /api/v1/tickets``, ``/api/v1/appointments/check-in``, then
``POST /api/v1/print-jobs``). The token arrives once as ``?token=`` and is kept in the
browser's localStorage, like a screen's.
"""
from __future__ import annotations

from typing import Any

import qrcode
import qrcode.image.svg
from flask import Response, current_app, render_template, request
from flask_babel import get_locale, gettext

from hall.domain.access import Actor
from hall.domain.complaints import CATEGORIES
from hall.domain.errors import DomainError, Forbidden
from hall.domain.i18n import N_
from hall.services.complaints import handling as complaints
from hall.services.config import accounts, settings
from hall.services.devices import printing
from hall.services.queue import catalog
from hall.web.auth import current_actor
from hall.web.context import hall_context
from hall.web.pages import base_url, fresh
from kiosk import card_reader
from kiosk.blueprint import bp
from kiosk.printing import check_printer

IDLE_S = 60  # back to the start after this long untouched (KIOSK_IDLE_SECONDS, ?idle=)
PAGE = {"normal": 8, "elder": 4}  # buttons per screen


def _lang() -> str:
    return "en" if str(get_locale() or "zh_CN").startswith("en") else "zh-CN"


@bp.get("/kiosk/<int:device>")
def page(device: int):
    token = request.args.get("token")
    if token is not None and not _kiosk_token_ok(token, device):
        body = render_template(
            "kiosk/error.html", lang=_lang(), title=gettext("This kiosk is not registered"),
            detail=gettext("The token in the address is unknown, revoked or belongs to another "
                           "device. Register the kiosk with `hall device add --kind kiosk` and "
                           "open /kiosk/<id>?token=<token> with the id and token it gives."))
        return fresh(body, 403)
    cfg = current_app.config
    idle = _int(request.args.get("idle"), cfg.get("KIOSK_IDLE_SECONDS", IDLE_S), 10, 3600)
    # the clock shows the hall's own time from the first second, paired or not
    tz = settings.hall_zone(hall_context(), device) or cfg.get("BABEL_DEFAULT_TIMEZONE",
                                                                 "Asia/Shanghai")
    viewer = current_actor(required=False)  # a supervisor previewing it needs no token
    preview = bool(viewer and viewer.is_staff and viewer.role in ("supervisor", "admin"))
    body = render_template("kiosk/kiosk.html", device=device, lang=_lang(), idle=idle,
                           card_reader=_card_reader(device) is not None,
                           page_size=PAGE, locale="en" if _lang() == "en" else "zh_CN", tz=tz,
                           preview=preview, complaint_categories={
                               k: gettext(v) for k, v in CATEGORIES.items()})
    return fresh(body)


@bp.get("/kiosk/<int:device>/catalog")
def catalog_json(device: int):
    """Departments, services, guides and what each service can do right now."""
    actor = _kiosk(device)
    data = catalog.catalog(hall_context(), actor.hall_id)
    english = _lang() == "en"
    for dep in data["departments"]:
        for svc in dep["services"]:
            svc["reason_text"] = _reason(svc, english)
    data["hall"]["display_name"] = (data["hall"]["name_en"] if english and
                                    data["hall"]["name_en"] else data["hall"]["name"])
    return data


@bp.post("/kiosk/<int:device>/heartbeat")
def heartbeat(device: int):
    """The page says it is alive; the server asks its printer how it is (DLE EOT)."""
    actor = _kiosk(device)
    if actor.kind != "device":
        raise Forbidden(N_("Only the kiosk itself reports its health"), "authorization")
    view = check_printer(hall_context(), actor.id, printing.printer_url(hall_context(), actor.id),
                         current_app.config.get("PRINT_TIMEOUT", 2.0))
    health = view["health"]
    problem = health.get("error") if not health.get("online", True) or \
        health.get("paper") == "out" or health.get("cover_open") else None
    return {"device": view["id"], "health": health,
            "printer_ok": problem is None,
            "message": gettext(N_("The printer is not working (%(reason)s): numbers are "
                                  "shown on screen."), reason=gettext(problem))
            if problem else None}


@bp.post("/kiosk/<int:device>/card")
def card(device: int):
    """Is a card on this kiosk's reader? If so: the holder masked (张*先生), the 绿色通道 offer
    and ``card``, the sealed reading ``POST /api/v1/tickets`` takes; never the card's text."""
    actor = _kiosk(device)
    url = _card_reader(device)
    if actor.kind != "device" or url is None:
        return {"reader": False, "card": None}
    found = card_reader.look(hall_context(), device_id=device, hall_id=actor.hall_id, url=url)
    problem = found.get("message")  # a msgid of kiosk/card_reader.py
    return {**found, "message": gettext(problem) if problem else None}


@bp.get("/kiosk/qr/<token>.svg")
def qr(token: str):
    """The QR code of a ticket's phone page, drawn here (no network, no script)."""
    if not (8 <= len(token) <= 32):
        raise DomainError("ticket_not_found", N_("No such ticket"), "token")
    return _qr_svg(printing.phone_link(hall_context(), token, base_url()))


@bp.get("/kiosk/complaint-qr/<token>.svg")
def complaint_qr(token: str):
    """The QR code of a complaint's own page, shown by the kiosk once it is filed."""
    if not (8 <= len(token) <= 40):
        raise DomainError("complaint_not_found", N_("No such complaint"), "token")
    return _qr_svg(complaints.page_link(hall_context(), token=token, fallback=base_url()))


def _qr_svg(url: str) -> Response:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10,
                        border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    return Response(image.to_string(encoding="unicode"), mimetype="image/svg+xml",
                    headers={"Cache-Control": "private, max-age=3600"})


# ---- helpers -----------------------------------------------------------------------

def _card_reader(device: int) -> str | None:
    table = current_app.config.get("IDCARD_READERS") or {}
    return (card_reader.readers(table) if isinstance(table, str) else table).get(device)


def _kiosk_token_ok(token: str, device: int) -> bool:
    actor = accounts.device_actor(hall_context(), token)
    return actor is not None and actor.role == "kiosk" and actor.id == device


def _kiosk(device: int) -> Actor:
    """This kiosk (by its token), or a supervisor previewing it."""
    actor = current_actor()
    if actor.kind == "device" and actor.role == "kiosk" and actor.id == device:
        return actor
    if actor.is_staff and actor.role in ("supervisor", "admin"):
        return actor
    raise Forbidden(N_("Only this kiosk may show this page"), "authorization")


def _reason(svc: dict[str, Any], english: bool) -> str | None:
    reason = svc.get("reason")
    if reason is None:
        return None
    params = dict(reason["params"])
    if english and svc.get("name_en") and "service" in params:
        params["service"] = svc["name_en"]
    msgid = reason["message"]  # an N_-marked domain message, extracted where it is defined
    return gettext(msgid, **params)


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(int(value), high)) if value is not None else default
    except ValueError:
        return default
