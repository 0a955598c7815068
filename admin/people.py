"""人员、大厅设置、审计日志 /admin/staff, /admin/settings, /admin/audit (admins only).

The pages are shells: their scripts (staff.js, settings.js, audit.js) read and change
everything through /api/v1/admin with the staff session and the CSRF token in a meta tag.
Labels the scripts show come from ``data-*`` attributes, translated here.
"""
from __future__ import annotations

from flask_babel import gettext, lazy_gettext

from admin.blueprint import bp
from admin.pages import admin_page, render
from hall.domain import complaints, duty
from hall.domain.fields import FIELD_LABELS, VALUE_LABELS
from hall.services.cases import documents
from hall.services.config import structure
from hall.services.queue import tickets
from hall.services.ratings import followups, late
from hall.services.supervision.watch_rules import DEFAULTS as ALERT_DEFAULTS

ROLES = {"staff": lazy_gettext("Counter staff"), "supervisor": lazy_gettext("Supervisor"),
         "admin": lazy_gettext("Administrator")}
# alert thresholds (minutes, but for the one count) the settings page edits; 0 turns a
# rule off
ALERTS = {"long_wait_minutes": lazy_gettext("Long wait"),
          "long_wait_critical_minutes": lazy_gettext("Long wait, critical"),
          "idle_minutes": lazy_gettext("Window idle while people wait"),
          "pause_minutes": lazy_gettext("Window paused"),
          "device_silent_minutes": lazy_gettext("Device silent"),
          "extra_window_per_window": lazy_gettext(
              "Open another window: people waiting per open window (a count)"),
          "extra_window_wait_minutes": lazy_gettext("Open another window: longest wait")}
ACTIONS = {"create": lazy_gettext("Created"), "update": lazy_gettext("Changed"),
           "deactivate": lazy_gettext("Deactivated"), "activate": lazy_gettext("Reactivated"),
           "reset_password": lazy_gettext("Password reset"), "unlock": lazy_gettext("Unlocked"),
           "change_password": lazy_gettext("Own password changed"),
           "import": lazy_gettext("Layout imported"), "delete": lazy_gettext("Deleted"),
           "revoke": lazy_gettext("Revoked"), "approve": lazy_gettext("Approved"),
           "reject": lazy_gettext("Turned down"), "claim": lazy_gettext("Paired"),
           # the region's catalog and scheme (issue 23 item 3)
           "adopt": lazy_gettext("Adopted from the region"),
           "decide": lazy_gettext("Difference decided"),
           "choose_region": lazy_gettext("Region's value taken")}
ENTITIES = {"hall": lazy_gettext("Hall settings"), "notices": lazy_gettext("Notices"),
            "layout": lazy_gettext("Layout"), "department": lazy_gettext("Department"),
            "service": lazy_gettext("Service"), "counter": lazy_gettext("Window"),
            "staff": lazy_gettext("Staff account"), "device": lazy_gettext("Device"),
            "pairing": lazy_gettext("Pairing request"),
            "score_scheme": lazy_gettext("Assessment scheme"),
            "region_catalog": lazy_gettext("Region catalog"),
            "region_scheme": lazy_gettext("Region assessment scheme"),
            "region_conflict": lazy_gettext("Difference with the region")}


@bp.get("/staff")
def staff_page():
    actor, refusal = admin_page()
    if refusal is not None:
        return refusal
    from hall.web.context import hall_context

    departments = structure.list_departments(hall_context(), actor=actor)
    return render("admin/staff.html", actor=actor, active="staff", roles=ROLES,
                  departments=departments)


@bp.get("/settings")
def settings_page():
    actor, refusal = admin_page()
    if refusal is not None:
        return refusal
    defaults = {"followup_days": followups.DEFAULT_DAYS,
                "complaint_days": complaints.DEFAULT_DAYS, "late_rating_days": late.DEFAULT_DAYS,
                "appointment_early_minutes": tickets.EARLY_MINUTES,
                "appointment_late_minutes": tickets.LATE_MINUTES,
                "refusal_basis": gettext(documents.DEFAULT_BASIS),
                "refusal_review": gettext(documents.DEFAULT_REVIEW),
                "shifts": "\n".join(f"{s['code']} {s['name']} {s['start']}-{s['end']}"
                                    for s in duty.DEFAULT_SHIFTS),
                "attendance_grace_minutes": duty.DEFAULT_GRACE_MINUTES}
    return render("admin/settings.html", actor=actor, active="settings", alerts=ALERTS,
                  alert_defaults=ALERT_DEFAULTS, defaults=defaults,
                  sections=_sections(), fields=FIELD_LABELS, values=VALUE_LABELS)


@bp.get("/audit")
def audit_page():
    actor, refusal = admin_page()
    if refusal is not None:
        return refusal
    return render("admin/audit.html", actor=actor, active="audit", actions=ACTIONS,
                  entities=ENTITIES, fields=FIELD_LABELS, values=VALUE_LABELS)


def _sections() -> dict[str, str]:
    """Headings of the import preview, by the import's section names."""
    return {"hall": gettext("Hall settings"), "departments": gettext("Departments"),
            "services": gettext("Services"), "counters": gettext("Windows"),
            "staff": gettext("Staff accounts"), "notices": gettext("Notices"),
            "rota": gettext("Rota")}
