"""Personal data helpers (hall/domain/personal.py): ID checksum, phone masking, keyed hashes."""
from __future__ import annotations

import pytest

from hall.domain.errors import DomainError
from hall.domain.personal import (
    id_check_char,
    keyed_hash,
    mask_phone,
    normalize_id_number,
    normalize_phone,
)

VALID_ID = "11010519491231002X"  # the GB 11643 worked example


def test_the_published_example_id_number_passes_its_checksum():
    assert id_check_char(VALID_ID[:17]) == "X"
    assert normalize_id_number(" 11010519491231002x ") == VALID_ID


@pytest.mark.parametrize("raw", ["110105194912310021", "11010519491231002", "1101051949123100XX",
                                 "ABCDEFGHIJKLMNOPQR"])
def test_a_mistyped_id_number_is_refused_naming_the_field_without_echoing_it(raw):
    with pytest.raises(DomainError) as exc:
        normalize_id_number(raw)
    assert exc.value.code == "invalid_id_number" and exc.value.field == "id_number"
    assert raw not in str(exc.value) and not exc.value.params


def test_eighteen_characters_with_a_wrong_check_digit_say_the_check_digit_is_wrong():
    with pytest.raises(DomainError) as exc:
        normalize_id_number("110105194912310021")  # 18 typed, the last one wrong
    assert "check digit" in exc.value.message and "18" not in exc.value.message
    with pytest.raises(DomainError) as short:
        normalize_id_number("11010519491231002")  # 17 typed: the length is what is wrong
    assert "18 characters" in short.value.message


@pytest.mark.parametrize("raw", ["13812341234", "138 1234 1234", "+86 138-1234-1234",
                                 "008613812341234"])
def test_phone_numbers_are_normalised(raw):
    assert normalize_phone(raw) == "13812341234"


@pytest.mark.parametrize("raw", ["1381234123", "23812341234", "138123412345", "phone"])
def test_a_wrong_phone_number_is_refused(raw):
    with pytest.raises(DomainError) as exc:
        normalize_phone(raw)
    assert exc.value.code == "invalid_phone" and exc.value.field == "phone"


def test_a_phone_is_shown_masked():
    assert mask_phone("13812341234") == "138****1234"


def test_keyed_hashes_depend_on_the_key_and_the_kind_and_hide_the_value():
    a = keyed_hash(b"k1", "id", VALID_ID)
    assert a == keyed_hash(b"k1", "id", VALID_ID) and len(a) == 64
    assert a != keyed_hash(b"k2", "id", VALID_ID)
    assert a != keyed_hash(b"k1", "phone", VALID_ID)
    assert VALID_ID not in a
    with pytest.raises(ValueError):
        keyed_hash(b"", "id", VALID_ID)
