"""The three-way merge a hall adopts the region's catalog and scheme by
(hall/domain/catalog.py): base = the version adopted last, theirs = the region's new one,
ours = the hall's values now."""
from __future__ import annotations

from hall.domain.catalog import Merge, merge, withheld

FIELDS = ("name", "promised_days", "fee")


def test_a_field_only_the_region_changed_is_taken():
    base = {"name": "户籍办理", "promised_days": 5, "fee": "不收费"}
    theirs = {**base, "fee": "免费"}
    assert merge(base, theirs, base, FIELDS) == Merge({"fee": "免费"}, {})


def test_a_field_only_the_hall_changed_stays_the_halls():
    base = {"name": "户籍办理", "promised_days": 5, "fee": "不收费"}
    assert merge(base, base, {**base, "promised_days": 3}, FIELDS) == Merge()


def test_a_field_both_changed_differently_is_a_conflict():
    base = {"name": "户籍办理", "promised_days": 5}
    merged = merge(base, {**base, "promised_days": 4}, {**base, "promised_days": 3}, FIELDS)
    assert merged == Merge({}, {"promised_days": (4, 3)})


def test_both_making_the_same_change_is_no_conflict():
    base = {"promised_days": 5}
    assert merge(base, {"promised_days": 3}, {"promised_days": 3}, FIELDS) == Merge()


def test_without_a_base_every_difference_is_asked():
    merged = merge(None, {"name": "户籍登记", "fee": "免费"}, {"name": "户籍办理", "fee": "免费"},
                   FIELDS)
    assert merged == Merge({}, {"name": ("户籍登记", "户籍办理")})


def test_an_empty_text_or_list_is_no_value():
    assert merge({"fee": None}, {"fee": ""}, {"fee": None}, FIELDS) == Merge()
    assert merge({"fee": "不收费"}, {"fee": []}, {"fee": "不收费"}, FIELDS) == \
        Merge({"fee": None}, {})


def test_withheld_updates_become_conflicts_with_the_halls_values():
    merged = Merge({"legal_days": 8}, {"name": ("a", "b")})
    assert withheld(merged, {"legal_days": 20}) == \
        Merge({}, {"name": ("a", "b"), "legal_days": (8, 20)})
