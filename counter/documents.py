"""The visitor's paper as a print page: /counter/documents/<ticket id>?paper=80|a4.

The terminal opens it after a finish whose outcome gives a paper (受理回执, 不予受理通知书,
一次性告知书) when its window has no printer of its own, or when staff choose the page. The
content is the one the window's printer prints (hall.services.cases.documents), drawn here
for an 80 mm roll or an A4 sheet (print CSS: counter/static/counter/document-*.css); the QR
code is drawn on the server and inlined, so the page needs no network. ``?print=1`` opens
the browser's print dialog once the page has drawn (counter/static/counter/document.js).
"""
from __future__ import annotations

import base64

import qrcode
import qrcode.image.svg
from flask import render_template, request
from flask_babel import get_locale, gettext

from counter.blueprint import bp
from hall.domain.errors import DomainError
from hall.services.cases import documents
from hall.web.auth import session_staff
from hall.web.context import hall_context
from hall.web.errors import status_of, translate
from hall.web.pages import base_url, fresh, page_context

PAPERS = ("80", "a4")


@bp.get("/counter/documents/<int:ticket_id>")
def document_page(ticket_id: int):
    paper = request.args.get("paper") if request.args.get("paper") in PAPERS else "80"
    actor = session_staff()
    if actor is None:
        return _problem(401, gettext("Sign in at the counter terminal first."))
    english = str(get_locale() or "").startswith("en")
    try:
        doc = documents.document(hall_context(), ticket_id=ticket_id, actor=actor,
                                 base_url=base_url(), translate=gettext, english=english)
    except DomainError as err:
        return _problem(status_of(err), translate(err))
    lines = [{**line, "sep": ": " if line["label"].isascii() else "："}
             for line in doc["lines"]]
    html = render_template("counter/document.html", doc=doc, lines=lines, paper=paper,
                           qr=qr_data_uri(doc["qr_url"]) if doc["qr_url"] else None,
                           autoprint=request.args.get("print") == "1",
                           **page_context(actor.hall_id))
    return fresh(html)


@bp.get("/counter/cases/<number>/extension-notice")
def extension_notice_page(number: str):
    """延期告知书 of a case, to print for the applicant (the same page as a visit's paper)."""
    paper = request.args.get("paper") if request.args.get("paper") in PAPERS else "a4"
    actor = session_staff()
    if actor is None:
        return _problem(401, gettext("Sign in at the counter terminal first."))
    english = str(get_locale() or "").startswith("en")
    try:
        doc = documents.extension_notice(hall_context(), number=number[:40], actor=actor,
                                         base_url=base_url(), translate=gettext,
                                         english=english)
    except DomainError as err:
        return _problem(status_of(err), translate(err))
    lines = [{**line, "sep": ": " if line["label"].isascii() else "："}
             for line in doc["lines"]]
    html = render_template("counter/document.html", doc=doc, lines=lines, paper=paper,
                           qr=qr_data_uri(doc["qr_url"]), autoprint=request.args.get("print")
                           == "1", **page_context(actor.hall_id))
    return fresh(html)


def qr_data_uri(url: str) -> str:
    """The QR code of ``url`` as an inline SVG image (the page's CSP allows data: images)."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10,
                        border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    svg = image.to_string(encoding="unicode").encode()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


def _problem(status: int, message: str):
    html = render_template("counter/document.html", doc=None, problem=message, paper="80",
                           lines=[], qr=None, autoprint=False, **page_context())
    return fresh(html, status)
