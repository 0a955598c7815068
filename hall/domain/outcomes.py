"""Visit outcomes recorded when a counter finishes a ticket, and the paper each gives the
visitor (受理回执, 不予受理通知书, 一次性告知书; 办结 and 咨询 give none)."""
from __future__ import annotations

from enum import StrEnum

from hall.domain.i18n import N_


class Outcome(StrEnum):
    DONE = "done"  # 办结: done on the spot
    ACCEPTED = "accepted"  # 受理: accepted, opens a case (办件)
    CORRECTION = "correction"  # 补正: materials missing, visitor told all of them at once
    REFUSED = "refused"  # 不予受理: refused, a reason is required
    INQUIRY = "inquiry"  # 咨询: inquiry only

    @property
    def opens_case(self) -> bool:
        return self is Outcome.ACCEPTED

    @property
    def needs_reason(self) -> bool:
        return self is Outcome.REFUSED

    @property
    def document(self) -> str | None:
        """The kind of paper this outcome hands the visitor (``DOCUMENTS``), if any."""
        return DOCUMENT_OF.get(self)


LABELS = {
    Outcome.DONE: N_("Done (办结)"),
    Outcome.ACCEPTED: N_("Accepted (受理)"),
    Outcome.CORRECTION: N_("Correction needed (补正)"),
    Outcome.REFUSED: N_("Refused (不予受理)"),
    Outcome.INQUIRY: N_("Inquiry (咨询)"),
}

# the paper a visit's outcome produces: kind → its title (GLOSSARY.md's words)
DOCUMENTS = {
    "acceptance": N_("Acceptance receipt"),
    "refusal": N_("Refusal notice"),
    "correction": N_("Materials notice"),
}
DOCUMENT_OF = {Outcome.ACCEPTED: "acceptance", Outcome.REFUSED: "refusal",
               Outcome.CORRECTION: "correction"}
