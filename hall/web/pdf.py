"""A 月通报 as an A4 PDF, for every room that has one (the hall's in admin/, the region's in
region/): the room's bulletin template inside ``web/bulletin_pdf.html`` with the bulletin
stylesheet inlined, through WeasyPrint (HTML and CSS to PDF, fonts by fontconfig; its
system libraries come with `make`). Nothing is fetched while it renders."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, render_template
from flask_babel import get_locale

CSS = Path(__file__).parent / "static" / "bulletin.css"
# the web floor's templates alone (no page, no route): what an app that serves none of the
# hall's pages, the region's, registers to render the shared bulletin templates
templates = Blueprint("web_templates", __name__, template_folder="templates")


def bulletin_pdf(body: str, name: str, **values: Any) -> Response:
    """``body`` (a template) rendered with ``values`` as the download ``name``."""
    import weasyprint

    lang = "en" if str(get_locale() or "").startswith("en") else "zh-CN"
    html = render_template("web/bulletin_pdf.html", body=body, css=CSS.read_text("utf-8"),
                           lang=lang, **values)
    return Response(weasyprint.HTML(string=html).write_pdf(), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
