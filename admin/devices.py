"""设备 /admin/devices: every device of the hall with its health, live (supervisors and admins).

The page is a shell; devices.js reads ``GET /api/v1/devices`` (each device's last report)
and ``GET /api/v1/counters`` (window numbers), then follows the hall's room from the seq the
page was rendered at: each ``device.health`` event carries the device's whole view and
replaces its row. Devices report through the agent runtime (hall/agent/) every few seconds;
one that falls silent is marked offline by ``hall.services.devices.health.mark_silent``.

Admins also see the pairing requests (a new device shows a code; the admin types it, picks
what the device is, its name and window, and approves or rejects it) and a revoke button
per device; supervisors keep the read-only health view.
"""
from __future__ import annotations

from admin.blueprint import bp
from admin.pages import render, supervisor_page
from hall.services.supervision import board
from hall.web.context import hall_context


@bp.get("/devices")
def devices_page():
    actor, refusal = supervisor_page()
    if refusal is not None:
        return refusal
    last_seq = board.choices(hall_context(), actor.hall_id)["last_seq"]
    return render("admin/devices.html", actor=actor, active="devices", last_seq=last_seq,
                  manage=actor.role == "admin")
