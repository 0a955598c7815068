"""The region's tree and its accounts (DESIGN.md §8, issue 23 item 1) on SQLite and
PostgreSQL: a region supervisor sees the halls of their place and below, and no other."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hall.services.context import read, run
from hall.services.region import incoming, tree
from tests.conftest import refused

# 市 → 区县 → 乡镇, a hall in each place
PLACES = [("city", "苏州市", "city", None), ("wz", "吴中区", "county", "city"),
          ("md", "木渎镇", "town", "wz"), ("gs", "姑苏区", "county", "city")]
HALLS = {"city": "sz-center", "wz": "wz-center", "md": "md-center", "gs": "gs-center"}


@pytest.fixture
def region(ctx):
    for code, name, level, parent in PLACES:
        run(ctx, lambda u, c=code, n=name, lv=level, p=parent: tree.add_place(u, c, n, lv, p))
        run(ctx, lambda u, c=code, n=name: tree.attach_hall(u, HALLS[c], c, f"{n}政务服务中心"))
    # each hall's events have reached the region
    at = datetime(2026, 11, 23, 2, tzinfo=UTC).isoformat()
    for n, uid in enumerate(HALLS.values(), start=1):
        run(ctx, lambda u, uid=uid, n=n: incoming.apply(u, [
            {"hall": uid, "seq": s, "at": at, "type": "ticket.issued", "payload": {"n": s}}
            for s in range(1, n + 1)]))
    for login, place in (("mayor", "city"), ("wu", "wz"), ("mu", "md"), ("gu", "gs")):
        run(ctx, lambda u, lg=login, p=place: tree.add_account(u, lg, lg, "supervisor", p))
    return ctx


def test_region_supervisor_sees_only_halls_below(region):
    def seen(login: str) -> dict[str, int]:
        return {h["hall"]: h["events"] for h in read(region, lambda u: tree.halls(u, login))}

    assert seen("mayor") == {"sz-center": 1, "wz-center": 2, "md-center": 3, "gs-center": 4}
    assert seen("wu") == {"wz-center": 2, "md-center": 3}  # the district and its town
    assert seen("mu") == {"md-center": 3}
    assert seen("gu") == {"gs-center": 4}
    # a hall elsewhere in the region is refused, naming the hall
    for login, hall in (("wu", "gs-center"), ("wu", "sz-center"), ("mu", "wz-center")):
        refused("forbidden", "hall", read, region,
                lambda u, lg=login, h=hall: tree.hall_events(u, lg, h))
    events = read(region, lambda u: tree.hall_events(u, "wu", "md-center"))
    assert [e["seq"] for e in events] == [1, 2, 3]
    # a region admin is bound the same way
    run(region, lambda u: tree.add_account(u, "wu-admin", "吴中管理员", "admin", "wz"))
    assert set(seen("wu-admin")) == {"wz-center", "md-center"}


def test_region_tree_keeps_its_levels(region):
    refused("invalid_level", "level", run, region,
            lambda u: tree.add_place(u, "x", "某村", "town", "city"))  # a town under a city
    refused("invalid_level", "level", run, region,
            lambda u: tree.add_place(u, "y", "某市", "city", "wz"))
    refused("region_not_found", "parent", run, region,
            lambda u: tree.add_place(u, "z", "某镇", "town", "nowhere"))
    refused("invalid_role", "role", run, region,
            lambda u: tree.add_account(u, "z", "z", "staff", "wz"))
