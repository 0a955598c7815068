"""The public service guide (政务公开) for phones and print: ``/guide`` lists every active
service with its whole 办事指南, searchable (``?q=`` name, department, keyword or pinyin
initials), one QR per service pointing at its own entry; ``/guide/<hall>`` for another
hall. Rendered on the server: it works without script and prints as it is."""
from __future__ import annotations

from typing import Any

import qrcode
import qrcode.image.svg
from flask import Response, render_template, request, url_for
from flask_babel import get_locale, gettext

from hall.domain.errors import DomainError
from hall.domain.i18n import N_
from hall.services.queue import guide
from hall.web.context import hall_context
from hall.web.pages import base_url
from kiosk.blueprint import bp

MAX_QUERY = 50


def _english() -> bool:
    return str(get_locale() or "zh_CN").startswith("en")


@bp.get("/guide")
@bp.get("/guide/<hall_code>")
def guide_page(hall_code: str | None = None):
    q = (request.args.get("q") or "").strip()[:MAX_QUERY]
    english = _english()
    try:
        data = guide.guide(hall_context(), hall_code, q)
    except DomainError:
        body = render_template("guide/guide.html", lang="en" if english else "zh-CN",
                               english=english, data=None, q=q, missing=True)
        return body, 404
    for dep in data["departments"]:
        dep["display"] = dep["name_en"] if english and dep["name_en"] else dep["name"]
        for svc in dep["services"]:
            _words(svc, english)
    hall_name = data["hall"]["name_en"] if english and data["hall"]["name_en"] \
        else data["hall"]["name"]
    return render_template("guide/guide.html", lang="en" if english else "zh-CN",
                           english=english, data=data, q=q, hall_name=hall_name,
                           hall_code=hall_code, missing=False)


@bp.get("/guide/qr/<hall_code>/<service_code>.svg")
def guide_qr(hall_code: str, service_code: str):
    """The QR of one service's entry (printed beside it, or shown on the kiosk)."""
    if not (1 <= len(service_code) <= 32 and 1 <= len(hall_code) <= 32):
        raise DomainError("service_not_found", N_("No such service"), "service")
    url = base_url().rstrip("/") + url_for("kiosk.guide_page", hall_code=hall_code) + \
        f"#svc-{service_code}"
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8,
                        border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    return Response(image.to_string(encoding="unicode"), mimetype="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=3600"})


def _words(svc: dict[str, Any], english: bool) -> None:
    svc["display"] = svc["name_en"] if english and svc["name_en"] else svc["name"]
    if svc["kind"] == "promised":
        svc["kind_text"] = gettext("Promised: %(days)d working days", days=svc["promised_days"])
    else:
        svc["kind_text"] = gettext("On-the-spot")
    svc["legal_text"] = (gettext("Legal limit: %(days)d working days", days=svc["legal_days"])
                         if svc["legal_days"] else "")
    svc["hours_text"] = ("、".join(svc["hours"]) if svc["hours"]
                         else gettext("During the hall's opening hours"))
    svc["windows_text"] = "、".join(gettext("Window %(number)d", number=n)
                                   for n in svc["windows"])
    for m in svc["materials"]:
        forms = []
        if m["original"]:
            forms.append(gettext("original"))
        if m["copies"]:
            forms.append(gettext("%(n)d copy(ies)", n=m["copies"]))
        m["forms"] = " · ".join(forms)
