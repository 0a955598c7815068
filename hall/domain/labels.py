"""People's words for the codes that appear inside messages (states, actions, things).

Error messages carry codes as parameters (``%(state)s``, ``%(action)s``); the web layer
replaces a parameter that is one of these codes by its translated label.
"""
from __future__ import annotations

from hall.domain.i18n import N_

LABELS: dict[str, str] = {
    # ticket states
    "waiting": N_("waiting"), "called": N_("called"), "serving": N_("being served"),
    "held": N_("on hold"), "done": N_("finished"), "rated": N_("rated"),
    "no_show": N_("a no-show"), "cancelled": N_("cancelled"), "transferred": N_("transferred"),
    # counter states
    "closed": N_("closed"), "open": N_("open"), "paused": N_("paused"),
    # case and appointment states
    "accepted": N_("accepted"), "in_progress": N_("in progress"), "returned": N_("returned"),
    "booked": N_("booked"), "checked_in": N_("checked in"), "missed": N_("missed"),
    # actions
    "call": N_("call"), "recall": N_("recall"), "start": N_("start"), "finish": N_("finish"),
    "skip": N_("skip"), "reinstate": N_("reinstate"), "hold": N_("hold"),
    "unhold": N_("bring back"), "cancel": N_("cancel"), "transfer": N_("transfer"),
    "rate": N_("rate"), "issue": N_("issue tickets"), "pause": N_("pause"),
    "resume": N_("resume"), "return": N_("return"),
    # things
    "ticket": N_("ticket"), "service": N_("service"), "counter": N_("counter"),
    "hall": N_("hall"), "case": N_("case"), "device": N_("device"), "staff": N_("staff member"),
}
