"""Staff on duty (issue 20), the console's pages: 排班 /admin/rota, 请销假 /admin/leave and
考勤 /admin/attendance for supervisors, and the 首问 desk /admin/desk for any staff member
signed in. Each page is a shell; its script reads and changes /api/v1/duty with the staff
session and the CSRF token in a meta tag."""
from __future__ import annotations

from flask_babel import gettext

from admin.blueprint import bp
from admin.pages import render, staff_page, supervisor_page
from hall.domain.duty import KIND_WORDS, STATE_WORDS, STATUS_WORDS


def words(table: dict[str, str]) -> dict[str, str]:
    return {key: gettext(label) for key, label in table.items()}


def _supervisors(template: str, active: str, **values):
    actor, refusal = supervisor_page()
    if refusal is not None:
        return refusal
    return render(template, actor=actor, active=active, **values)


@bp.get("/rota")
def rota_page():
    return _supervisors("admin/rota.html", "rota")


@bp.get("/leave")
def leave_page():
    return _supervisors("admin/leave.html", "leave", kinds=words(KIND_WORDS),
                        states=words(STATE_WORDS))


@bp.get("/attendance")
def attendance_page():
    return _supervisors("admin/attendance.html", "attendance", statuses=words(STATUS_WORDS))


@bp.get("/desk")
def desk_page():
    actor, refusal = staff_page()
    if refusal is not None:
        return refusal
    return render("admin/desk.html", actor=actor, active="desk")
