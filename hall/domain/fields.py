"""People's words for the fields a person fills in or an audit entry shows.

A validation error names its field by these labels (``hall/web/errors.py``); the audit log
and the settings page show a change's keys and coded values by them (``admin/people.py``).
A field not listed here is shown by its name, so add a new input's field here with it.
"""
from __future__ import annotations

from hall.domain.i18n import N_

FIELD_LABELS: dict[str, str] = {
    # the hall and its settings
    "code": N_("code"), "name": N_("name"), "name_en": N_("English name"),
    "timezone": N_("time zone"), "target_wait_minutes": N_("target wait (minutes)"),
    "priority_ratio": N_("priority ratio"), "max_wait_minutes": N_("longest wait (minutes)"),
    "rating_window_minutes": N_("time to rate (minutes)"), "recall_limit": N_("recall limit"),
    "pause_reasons": N_("pause reasons"), "priority_reasons": N_("priority reasons"),
    "rating_reasons": N_("rating reasons"), "holidays": N_("extra closed days"),
    "workdays": N_("extra working days"),
    "appointment_early_minutes": N_("check-in before the slot (minutes)"),
    "appointment_late_minutes": N_("check-in after the slot starts (minutes)"),
    "followup_days": N_("days to finish a follow-up"), "printer_profiles": N_("printer profiles"),
    "contact_phone": N_("contact phone"), "refusal_basis": N_("legal basis of a refusal"),
    "refusal_review": N_("how to seek review of a refusal"), "notices": N_("notices"),
    "text": N_("text"), "alerts": N_("alert thresholds"),
    "long_wait_minutes": N_("long wait (minutes)"),
    "long_wait_critical_minutes": N_("long wait, critical (minutes)"),
    "long_wait_by_service": N_("long wait by service"),
    "idle_minutes": N_("window idle (minutes)"), "pause_minutes": N_("window paused (minutes)"),
    "pause_by_reason": N_("pause limit by reason"),
    "device_silent_minutes": N_("device silent (minutes)"),
    "targets": N_("targets"),
    "onsite_completion": N_("on-the-spot completion target (percent)"),
    "on_time": N_("on-time completion target (percent)"),
    "satisfaction": N_("satisfaction target (percent)"),
    "service_level": N_("service level target (percent)"),
    "max_extension_days": N_("longest extension (working days)"),
    "warning_days": N_("warning point (working days)"),
    "complaint_days": N_("days to answer a complaint"),
    "late_rating_days": N_("days to rate from the phone page"),
    "rating_dimensions": N_("rating dimensions"),
    "haocha_user_type": N_("好差评 userType"),
    "haocha_certificate_type": N_("好差评 certificateType"),
    "affair_code": N_("implementation list code"),
    # departments, services, windows, staff, devices
    "department": N_("department"), "departments": N_("departments"),
    "service": N_("service"), "services": N_("services"), "prefix": N_("ticket letter"),
    "kind": N_("kind"), "legal_days": N_("legal limit (working days)"),
    "promised_days": N_("promised limit (working days)"),
    "fast_track_days": N_("fast-track promised limit (working days)"),
    "fast_track": N_("fast track"), "parts": N_("parts"), "part": N_("part"),
    "expected_visit_minutes": N_("expected visit (minutes)"),
    "time_limit_minutes": N_("visit time limit (minutes)"),
    "warning_minutes": N_("warning point (minutes)"), "daily_quota": N_("tickets per day"),
    "per_person_daily_limit": N_("tickets per person per day"),
    "per_person_limit": N_("tickets per person per day"), "hours": N_("hours"),
    "booking": N_("appointments"), "slot_minutes": N_("slot length (minutes)"),
    "capacity": N_("appointments per slot"), "days_ahead": N_("days bookable ahead"),
    "materials": N_("materials"), "basis": N_("legal basis"), "fee": N_("fee"),
    "steps": N_("steps"), "notes": N_("notes"), "guide": N_("service guide"),
    "conditions": N_("conditions of application"), "fee_basis": N_("legal basis of the fee"),
    "active": N_("in use"), "counter": N_("window"), "counters": N_("windows"),
    "number": N_("number"), "led_address": N_("LED sign address"), "weight": N_("weight"),
    "staff": N_("staff"), "login": N_("login"), "role": N_("role"),
    "password": N_("password"), "current": N_("current password"), "new": N_("new password"),
    "must_change_password": N_("must change password"), "device": N_("device"),
    "password_hash": N_("password"), "token_hash": N_("token"), "claim_hash": N_("pairing code"),
    "failed_logins": N_("failed sign-ins"), "locked_until": N_("locked until"),
    "auth_version": N_("sign-in version"), "last_login_at": N_("last signed in"),
    "last_seen": N_("last seen"), "hall_id": N_("hall"), "counter_number": N_("window"),
    "revoked": N_("revoked"), "revoked_at": N_("revoked at"), "label": N_("label"),
    # visits, cases, appointments, follow-ups
    "ticket": N_("ticket"), "ticket_id": N_("ticket"), "counter_id": N_("window"),
    "service_id": N_("service"), "staff_id": N_("staff member"), "device_id": N_("device"),
    "priority_reason": N_("priority reason"), "appointment_code": N_("appointment code"),
    "appointment": N_("appointment"), "id_number": N_("ID number"), "phone": N_("phone"),
    "outcome": N_("outcome"), "result": N_("result"), "reason": N_("reason"),
    "reason_code": N_("reason"), "note": N_("note"), "comment": N_("comment"),
    "rating": N_("rating"), "to_service": N_("service to transfer to"),
    "to_counter": N_("window to transfer to"), "confirm_closed": N_("confirmation"),
    "case": N_("case"), "applicant": N_("applicant"), "action": N_("action"),
    "owner_id": N_("person responsible"), "day": N_("day"), "start": N_("start"),
    "end": N_("end"), "since": N_("from"), "until": N_("until"), "period": N_("period"),
    "group": N_("group by"), "format": N_("format"), "lang": N_("language"),
    "state": N_("state"), "urgency": N_("urgency"), "overdue": N_("overdue only"),
    "limit": N_("how many"), "before_id": N_("page"), "entity": N_("what"),
    "entity_id": N_("id"), "actor": N_("who"), "toml": N_("layout file"),
    "dry_run": N_("try only"), "copies": N_("copies"), "document": N_("document"),
    "paper": N_("paper"), "error": N_("error"), "health": N_("health"),
    "online": N_("online"), "cover_open": N_("cover open"), "job_id": N_("print job"),
    "pairing_id": N_("pairing request"), "secret": N_("pairing code"), "token": N_("token"),
    "screen": N_("screen"), "host": N_("host"), "url": N_("address"),
    "body": N_("the request"),
    # addresses: which hall a page or a query is about
    "hall": N_("hall"), "hall_code": N_("hall"),
}

# coded values an audit entry shows, in words
VALUE_LABELS: dict[str, str] = {
    "instant": N_("on-the-spot"), "promised": N_("promised"),
    "supervisor": N_("Supervisor"), "admin": N_("Administrator"),
    "printer": N_("printer"), "kiosk": N_("kiosk"), "pad": N_("rating pad"),
    "screen": N_("screen"), "led": N_("LED sign"), "keypad": N_("keypad"),
}
