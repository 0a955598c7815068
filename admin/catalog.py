"""实施清单与考核方案 /admin/catalog (admins): the region's service catalog and assessment
scheme as this hall received and adopted them — adopting the newest version (what it would
take, ask and offer first), each field where the hall's value and the region's differ with
both values and a choice (take the region's / keep the hall's), and the catalog's 事项 the
hall may add (closed, at no window, until it sets them up).

The page is a shell; catalog.js reads GET /api/v1/catalog and writes through the same API.
"""
from __future__ import annotations

from flask_babel import gettext

from admin.blueprint import bp
from admin.pages import admin_page, render
from hall.domain import assessment
from hall.domain.catalog import CATALOG_FIELDS, TARGET_FIELDS
from hall.domain.fields import FIELD_LABELS
from hall.domain.i18n import N_

BASE = N_("Base points")


def labels() -> dict[str, dict[str, str]]:
    """Each field's words, per kind and entity (the catalog's fields; the scheme's points
    and targets)."""
    return {
        "catalog": {k: gettext(FIELD_LABELS[k]) for k in CATALOG_FIELDS},
        "rules": {"base": gettext(BASE),
                  **{k: gettext(v) for k, v in assessment.ITEMS.items()}},
        "targets": {k: gettext(FIELD_LABELS[k]) for k in TARGET_FIELDS},
    }


@bp.get("/catalog")
def catalog_page():
    actor, refusal = admin_page()
    if refusal is not None:
        return refusal
    return render("admin/catalog.html", actor=actor, active="catalog", labels=labels())
