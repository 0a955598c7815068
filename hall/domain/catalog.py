"""Configuration down (DESIGN.md §8): the region publishes the service catalog (事项 of the
实施清单) and the assessment scheme; a hall adopts each version by a three-way merge, field
by field, so a local change is never overwritten silently.

- base: the field's value in the region's version the hall adopted last (none: never
  adopted, or the entry is new to the region since);
- theirs: its value in the region's new version;
- ours: the hall's value now.

The region changed nothing (theirs = base): the hall keeps its value. Only the region
changed it (ours = base): the region's value is taken. Both changed it, to different values,
or there is no base to tell who changed it: a conflict, for the hall's admin to decide.
Equal values never conflict. Pure: no clock, no database.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

KINDS = ("catalog", "scheme")
# what the catalog says of a 事项: its name, kind (即办件/承诺件), 法定时限 and 承诺时限, and
# its guide (一次性告知). A hall's windows, hours, quotas, prefixes, visit limits, booking
# and department are its own: the catalog never touches them.
CATALOG_FIELDS = ("name", "name_en", "kind", "legal_days", "promised_days", "materials",
                  "basis", "conditions", "fee", "fee_basis", "steps", "notes")
TARGET_FIELDS = ("onsite_completion", "on_time", "satisfaction", "service_level")


def blank(value: Any) -> Any:
    """An empty text or list is no value: a guide without a fee and one with ``fee = ""``
    say the same."""
    return None if value in ("", [], None) else value


@dataclass(frozen=True, slots=True)
class Merge:
    """What adopting a version does to one entry: the fields taken from the region, and
    the conflicts (field → (the region's value, the hall's))."""

    updates: dict[str, Any] = field(default_factory=dict)
    conflicts: dict[str, tuple[Any, Any]] = field(default_factory=dict)


def merge(base: Mapping[str, Any] | None, theirs: Mapping[str, Any], ours: Mapping[str, Any],
          fields: Iterable[str]) -> Merge:
    """The three-way merge of one entry over ``fields`` (see the module's docstring)."""
    out = Merge()
    for name in fields:
        t, o = blank(theirs.get(name)), blank(ours.get(name))
        if t == o:
            continue
        if base is not None:
            b = blank(base.get(name))
            if t == b:
                continue  # the region left it as it was: the hall's own value stays
            if o == b:
                out.updates[name] = t
                continue
        out.conflicts[name] = (t, o)
    return out


def withheld(merged: Merge, ours: Mapping[str, Any]) -> Merge:
    """The same merge with its updates turned into conflicts: taken together they would
    leave the entry invalid (a 承诺时限 above a 法定时限 the hall changed), so the admin
    decides each."""
    conflicts = dict(merged.conflicts)
    conflicts.update({name: (value, blank(ours.get(name)))
                      for name, value in merged.updates.items()})
    return Merge({}, conflicts)
