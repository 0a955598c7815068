"""The province's 好差评 endpoint emulator (drivers/haocha/emulator.py) refuses malformed
records the way a real endpoint does: a missing field, a time not yyyyMMddHHmmss, a stage
or star out of range, a repeat of a record it has; each refusal names the field."""
from __future__ import annotations

import json

import pytest

from drivers.haocha.emulator import HaochaEmulator, check

GOOD = {"evalSerialNo": "test-1-2", "evalProcess": "2", "affairSerialNo": "20261123-A001",
        "affairCode": "hj", "affairName": "户籍办理", "departmentCode": "ga",
        "affairDealNo": "GA-0123", "affairDealOfficer": "李娜",
        "affairApplyTime": "20261123100000", "affairDoneTime": "20261123101500",
        "userType": "1", "certificateType": "111", "star": 5, "evalTime": "20261123101600",
        "hallCode": "test", "windowNo": "1"}


@pytest.mark.parametrize(("change", "refusal"), [
    ({"affairCode": ""}, ("affairCode", "missing")),
    ({"affairDealNo": None}, ("affairDealNo", "missing")),
    ({"affairApplyTime": "2026-11-23 10:00:00"}, ("affairApplyTime", "not yyyyMMddHHmmss")),
    ({"evalTime": "202611231016"}, ("evalTime", "not yyyyMMddHHmmss")),
    ({"affairDoneTime": 20261123101500}, ("affairDoneTime", "not yyyyMMddHHmmss")),
    ({"evalProcess": "3"}, ("evalProcess", "not 1 or 2")),
    ({"affairDoneTime": ""}, ("affairDoneTime", "missing")),  # 办结 needs its time
    ({"star": 6}, ("star", "not 1-5")),
    ({"star": "5"}, ("star", "not 1-5")),
])
def test_a_malformed_record_is_refused_naming_its_field(change, refusal):
    assert check(GOOD) is None
    assert check({**GOOD, **change}) == refusal


def test_the_endpoint_answers_400_for_a_bad_record_and_409_for_a_repeat():
    emulator = HaochaEmulator(token="secret")
    auth = "Bearer secret"
    bad = json.dumps({**GOOD, "evalTime": "yesterday"}).encode()
    assert emulator.answer("/evaluations", auth, bad) == (
        400, {"code": "E_FIELD", "field": "evalTime", "msg": "not yyyyMMddHHmmss"})
    good = json.dumps(GOOD).encode()
    assert emulator.answer("/evaluations", auth, good) == (200, {"code": "0", "msg": "ok"})
    status, body = emulator.answer("/evaluations", auth, good)
    assert (status, body["code"]) == (409, "E_DUPLICATE")
    assert list(emulator.accepted) == ["test-1-2"] and len(emulator.received) == 3
    assert emulator.answer("/evaluations", "Bearer wrong", good)[0] == 401


STAGE = {"recordType": "affair", "evalProcess": "2", "affairSerialNo": "TEST-20261123-0001",
         "affairCode": "hj", "affairName": "户籍办理", "departmentCode": "ga",
         "affairDealNo": "GA-0007", "affairDealOfficer": "王强",
         "affairApplyTime": "20261123100000", "affairDoneTime": "20261125160000",
         "affairResult": "办结", "userType": "1", "certificateType": "111",
         "hallCode": "test", "windowNo": "1"}


@pytest.mark.parametrize(("change", "refusal"), [
    ({"affairSerialNo": ""}, ("affairSerialNo", "missing")),
    ({"affairDealOfficer": None}, ("affairDealOfficer", "missing")),
    ({"affairApplyTime": "2026-11-23"}, ("affairApplyTime", "not yyyyMMddHHmmss")),
    ({"affairDoneTime": "20261125"}, ("affairDoneTime", "not yyyyMMddHHmmss")),
    ({"affairDoneTime": ""}, ("affairDoneTime", "missing")),  # 办结 needs its time
    ({"affairResult": ""}, ("affairResult", "missing")),  # … and its result
    ({"evalProcess": "0"}, ("evalProcess", "not 1 or 2")),
    ({"star": 5}, ("star", "not in a stage record")),  # a star nobody gave
    ({"recordType": "opinion"}, ("recordType", "not evaluation or affair")),
])
def test_a_malformed_stage_record_is_refused_naming_its_field(change, refusal):
    assert check(STAGE) is None
    assert check({**STAGE, "evalProcess": "1", "affairDoneTime": "", "affairResult": ""}) \
        is None  # a 受理 has neither yet
    assert check({**STAGE, **change}) == refusal


def test_an_evaluation_without_a_star_is_refused_even_beside_stages():
    assert check({**GOOD, "recordType": "evaluation"}) is None
    assert check({k: v for k, v in GOOD.items() if k != "star"}) == ("star", "missing")
    assert check({**GOOD, "recordType": "evaluation", "star": None}) == ("star", "missing")


def test_a_stage_is_stored_once_per_case_and_stage():
    emulator = HaochaEmulator()
    acceptance = {**STAGE, "evalProcess": "1", "affairDoneTime": "", "affairResult": ""}
    for record in (acceptance, STAGE):
        assert emulator.answer("/evaluations", None, json.dumps(record).encode()) == (
            200, {"code": "0", "msg": "ok"})
    again = {**STAGE, "affairDealOfficer": "李娜"}  # the same stage, whatever else it says
    status, body = emulator.answer("/evaluations", None, json.dumps(again).encode())
    assert (status, body["code"], body["field"]) == (409, "E_DUPLICATE", "affairSerialNo")
    assert sorted(emulator.affairs) == [("TEST-20261123-0001", "1"),
                                        ("TEST-20261123-0001", "2")]
    assert emulator.affairs[("TEST-20261123-0001", "2")]["affairDealOfficer"] == "王强"
    assert emulator.accepted == {}  # a stage is no evaluation
    # an evaluation of that stage is its own record, beside it
    rating = {**GOOD, "recordType": "evaluation", "affairSerialNo": "TEST-20261123-0001"}
    assert emulator.answer("/evaluations", None, json.dumps(rating).encode())[0] == 200
    assert list(emulator.accepted) == ["test-1-2"] and len(emulator.affairs) == 2
