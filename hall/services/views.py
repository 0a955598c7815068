"""Plain-dict views of rows, as the API, events and screens see them."""
from __future__ import annotations

from datetime import datetime
from typing import Any


def iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def phone_url(base_url: str, token: str) -> str:
    """The phone page a ticket's QR code opens (display blueprint: /t/<token>)."""
    return f"{base_url.rstrip('/')}/t/{token}"


def case_url(base_url: str, number: str, code: str = "") -> str:
    """办件查询 with the case number (and its look-up code) filled in (kiosk blueprint:
    /case/<number>?code=…)."""
    return f"{base_url.rstrip('/')}/case/{number}" + (f"?code={code}" if code else "")


def public_ticket(t: Any, svc: Any) -> dict[str, Any]:
    """A ticket as its holder and the hall screens see it (no personal data)."""
    g = t.get if isinstance(t, dict) else lambda k, d=None: getattr(t, k, d)
    return {
        "id": g("id"), "hall_id": g("hall_id"), "number": g("number"), "token": g("token"),
        "kind": g("kind"),
        "priority_reason": g("priority_reason"), "state": g("state"),
        "service": {"id": svc.id, "code": svc.code, "name": svc.name, "name_en": svc.name_en,
                    "prefix": svc.prefix},
        "issued_at": iso(g("issued_at")), "called_at": iso(g("called_at")),
        "counter_id": g("counter_id"), "parent_id": g("parent_id"),
    }
