"""Counter terminal (窗口工作台): one page, /counter, for the staff at a window.

The page is a shell: sign-in, choice of counter and every command go through the JSON API
(/api/v1/auth/…, /api/v1/counters/<id>/…, /api/v1/alerts) and live updates come from the
/hall Socket.IO namespace, so two tabs of one counter show the same thing. No inline script
(CSP): strings travel in data-* attributes that static/counter/terminal.js reads.
"""
from __future__ import annotations

from flask import current_app, make_response, render_template, request
from flask_babel import gettext

from counter.blueprint import bp
from counter.password import one_time_password_form
from hall.domain.duty import KIND_WORDS, STATE_WORDS
from hall.domain.outcomes import DOCUMENTS, LABELS, Outcome
from hall.web.pages import page_context

YEAR = 365 * 24 * 3600
SHORTCUTS = {"call-next": "N", "recall": "R", "skip": "K", "start": "S", "finish": "F",
             "transfer": "T", "call": "C", "hold": "H", "pause": "P", "resume": "P"}


@bp.get("/counter")
def terminal():
    forced = one_time_password_form()  # a one-time password: replaced before anything else
    if forced is not None:
        return forced
    outcomes = [(o.value, LABELS[o]) for o in Outcome]
    response = make_response(render_template(
        "counter/terminal.html", outcomes=outcomes, keys=SHORTCUTS, documents=DOCUMENTS,
        leave_kinds={k: gettext(v) for k, v in KIND_WORDS.items()},
        leave_states={k: gettext(v) for k, v in STATE_WORDS.items()}, **page_context()))
    lang = request.args.get("lang")
    if lang in current_app.config["LANGUAGES"]:  # the switch sticks, for the API's words too
        response.set_cookie("lang", lang, max_age=YEAR, samesite="Lax")
    return response
