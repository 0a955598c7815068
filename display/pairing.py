"""设备配对 /pair: a new kiosk, screen, pad or agent shows a short code until an admin approves
it, then keeps its own token and opens its page (hall/services/devices/pairing.py).

``/pair?kind=screen`` asks at once (``&name=`` suggests a name); ``&revoked=1`` is where a
device whose token was revoked lands: it says so and offers to pair again instead of asking
on its own. Without a known ``kind`` the page asks what the device is. The page is a shell;
``static/pair.js`` talks to ``/api/v1/pairings`` and stores the token under the very key the
device's page reads it from.
"""
from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext

from display.blueprint import bp
from hall.web.pages import fresh, page_context


def kinds() -> dict[str, str]:
    return {"kiosk": gettext("Kiosk"), "screen": gettext("Screen"),
            "pad": gettext("Rating pad"), "agent": gettext("Device agent")}


@bp.get("/pair")
def pair_page():
    labels = kinds()
    kind = request.args.get("kind")
    body = render_template("display/pair.html", kind=kind if kind in labels else None,
                           kinds=labels, name=(request.args.get("name") or "")[:100],
                           revoked=request.args.get("revoked") == "1", **page_context())
    return fresh(body)
