"""A region: a tree of places (市 → 区县 → 乡镇), each with its halls (DESIGN.md §8). A
region supervisor's or admin's rights cover the place they belong to and every place below
it, and nothing else."""
from __future__ import annotations

from collections.abc import Mapping

from hall.domain.errors import DomainError, Forbidden
from hall.domain.i18n import N_

LEVELS = ("city", "county", "town")  # 市, 区县, 乡镇 (街道)
ROLES = ("supervisor", "admin")


def check_child(parent_level: str | None, level: str) -> None:
    """A place is one level below its parent; a city has none."""
    if level not in LEVELS:
        raise DomainError("invalid_level", N_("Unknown level: %(level)s"), "level", level=level)
    expected = LEVELS[LEVELS.index(parent_level) + 1] if parent_level else LEVELS[0]
    if parent_level == LEVELS[-1] or level != expected:
        raise DomainError("invalid_level", N_("A place of this level cannot be put there"),
                          "level", level=level)


def below(parents: Mapping[int, int | None], root: int) -> set[int]:
    """``root`` and every place under it, given each place's parent."""
    children: dict[int | None, list[int]] = {}
    for place, parent in parents.items():
        children.setdefault(parent, []).append(place)
    seen, todo = set(), [root]
    while todo:
        place = todo.pop()
        if place not in seen:
            seen.add(place)
            todo.extend(children.get(place, []))
    return seen


def require_covered(covered: set[str], hall_uid: str) -> None:
    if hall_uid not in covered:
        raise Forbidden(N_("Hall %(hall)s is not under your region"), "hall", hall=hall_uid)
