"""Domain events: what happened, recorded by services and published only after commit."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class DomainEvent:
    type: str  # ticket.issued, ticket.called, counter.state, …
    hall_id: int
    payload: dict[str, Any] = field(default_factory=dict)
    seq: int | None = None  # the hall's event-log sequence, set when appended
    at: datetime | None = None

    def as_message(self) -> dict[str, Any]:
        return {"type": self.type, "seq": self.seq, "hall_id": self.hall_id,
                "at": self.at.isoformat() if self.at else None, **self.payload}
