"""好差评 data exchange through the durable outbox, on SQLite and PostgreSQL, against the
emulator of the province's endpoint (drivers/haocha/emulator.py): every rating becomes one
record, uploaded exactly once even when the worker is killed mid-batch (kill -9); an
outage is retried with backoff; a record the endpoint refuses is a visible failed row."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from drivers.haocha.emulator import HaochaEmulator
from hall.domain.access import Actor
from hall.services.outbox import worker
from hall.services.ratings import exchange
from hall.services.ratings import rating as ratings
from tests.conftest import wait_for
from tests.integration.conftest import finished_visit, pad_at

HALL_BIN = Path(sys.executable).parent / "hall"


def supervisor(hall) -> Actor:
    return Actor("staff", hall["staff"]["wang"], hall["id"], "supervisor", None, "王强")


def rated_visits(ctx, hall, n: int) -> list[int]:
    """``n`` visits at window 1 by 李娜 (工号 GA-0123), each rated at the pad."""
    ids = []
    for i in range(n):
        t = finished_visit(ctx, hall, 1)
        ratings.rate(ctx, ticket_id=t["id"], level=5 - i % 3, actor=pad_at(hall, 1))
        ids.append(t["id"])
    return ids


def outbox_states(ctx) -> dict[str, int]:
    with ctx.engine.connect() as conn:
        return dict(conn.execute(text("SELECT state, count(*) FROM outbox GROUP BY state")).all())


@pytest.fixture(autouse=True)
def staff_numbers(ctx, hall):
    with ctx.engine.begin() as conn:  # the record's affairDealNo (工号)
        conn.execute(text("UPDATE staff SET number = 'GA-0123' WHERE login = 'li'"))


@pytest.fixture
def province():
    with HaochaEmulator(token="province-secret") as emulator:
        yield emulator


def start_worker(db_url: str, endpoint: str) -> subprocess.Popen:
    env = {**os.environ, "HALL_DATABASE_URL": db_url, "HALL_HAOCHA_URL": endpoint,
           "HALL_HAOCHA_TOKEN": "province-secret"}
    return subprocess.Popen([str(HALL_BIN), "outbox", "run", "--batch", "10", "--lease", "1",
                             "--idle", "0.05"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def test_rating_exchange_uploads_each_record_once(ctx, hall, db_url, province):
    ids = rated_visits(ctx, hall, 24)
    with ctx.engine.begin() as conn:  # the test's clock is in the past of the worker's
        conn.execute(text("UPDATE outbox SET next_at = created_at"))
    province.delay_s = 0.05  # slow enough to be killed mid-batch
    first = start_worker(db_url, province.url)
    try:
        wait_for(lambda: len(province.accepted) >= 6, 30, "the first records")
        first.send_signal(signal.SIGKILL)  # kill -9: no clean-up, a batch half sent
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert 0 < len(province.accepted) < len(ids)
    second = start_worker(db_url, province.url)
    try:
        wait_for(lambda: outbox_states(ctx) == {"sent": len(ids)}, 60, "every row sent")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(10)
    # every rating's record reached the province exactly once, in the interface's fields:
    # one per rated visit, keyed <hall code>-<ticket id>-<stage> (2: 办结 on the spot)
    assert sorted(province.accepted) == sorted(f"test-{i}-2" for i in ids)
    assert all(r["evalSerialNo"] == k for k, r in province.accepted.items())
    # a repeat the kill caused (sent, not yet marked) was refused by key, not stored twice
    repeats = [k for k, why in province.refused if why == "duplicate"]
    assert len(repeats) <= 1 and not [r for r in province.refused if r[1] != "duplicate"]
    record = next(iter(province.accepted.values()))
    assert record["evalProcess"] == "2" and record["windowNo"] == "1"
    assert record["affairDealOfficer"] == "李娜" and len(record["affairApplyTime"]) == 14


def test_rating_exchange_retries_after_endpoint_outage(ctx, hall, clock, province):
    adapters = exchange.adapters_from_environment({"HALL_HAOCHA_URL": province.url,
                                                   "HALL_HAOCHA_TOKEN": "province-secret"})
    (tid,) = rated_visits(ctx, hall, 1)
    province.down = True
    assert worker.run_once(ctx, adapters) == {"sent": 0, "refused": 0, "retry": 1}
    row = exchange.status(ctx, actor=supervisor(hall))
    assert row["counts"] == {"pending": 1, "sent": 0, "failed": 0}
    (pending,) = row["records"]
    assert pending["attempts"] == 1 and pending["last_error"].startswith("503")
    province.down = False
    # backoff: not tried again before its time (30 s, then 60 s …)
    assert worker.run_once(ctx, adapters) == {"sent": 0, "refused": 0, "retry": 0}
    clock.advance(seconds=29)
    assert worker.run_once(ctx, adapters)["sent"] == 0
    province.down = True
    clock.advance(seconds=2)
    assert worker.run_once(ctx, adapters)["retry"] == 1  # still down: 60 s now
    province.down = False
    clock.advance(seconds=59)
    assert worker.run_once(ctx, adapters)["sent"] == 0
    clock.advance(seconds=2)
    assert worker.run_once(ctx, adapters) == {"sent": 1, "refused": 0, "retry": 0}
    assert len(province.accepted) == 1 and len(province.received) == 1
    assert exchange.status(ctx, actor=supervisor(hall))["counts"] == {
        "pending": 0, "sent": 1, "failed": 0}
    assert worker.run_once(ctx, adapters)["sent"] == 0  # sent once, never again

    # a record the endpoint refuses (no 工号 for the officer) is a visible failed row
    with ctx.engine.begin() as conn:
        conn.execute(text("UPDATE staff SET number = '' WHERE login = 'li'"))
    rated_visits(ctx, hall, 1)
    assert worker.run_once(ctx, adapters) == {"sent": 0, "refused": 1, "retry": 0}
    status = exchange.status(ctx, actor=supervisor(hall))
    assert status["counts"] == {"pending": 0, "sent": 1, "failed": 1}
    failed = status["records"][0]
    assert failed["state"] == "failed" and "affairDealNo" in failed["last_error"]
    assert ("affairDealNo", "missing") in province.refused


def test_an_unrated_promised_case_sends_its_two_stages_once_each_and_its_rating_once(
        ctx, hall, clock, province):
    """A 承诺件's 受理 and 办结 reach the province once each, without a star, rated or not
    (exchange.py's docstring); the one rating given (at 受理) once, with its star."""
    from hall.services.cases import workflow as cases

    with ctx.engine.begin() as conn:  # the 办结 officer's 工号
        conn.execute(text("UPDATE staff SET number = 'GA-0007' WHERE login = 'wang'"))
    unrated = finished_visit(ctx, hall, 1, outcome="accepted")
    rated = finished_visit(ctx, hall, 1, outcome="accepted")
    ratings.rate(ctx, ticket_id=rated["id"], level=4, actor=pad_at(hall, 1))
    clock.advance(hours=26)
    for ticket in (unrated, rated):
        cases.act(ctx, hall_id=hall["id"], number=ticket["case"]["number"], action="finish",
                  actor=supervisor(hall))
    adapters = exchange.adapters_from_environment({"HALL_HAOCHA_URL": province.url,
                                                   "HALL_HAOCHA_TOKEN": "province-secret"})
    assert worker.run_once(ctx, adapters) == {"sent": 5, "refused": 0, "retry": 0}
    with ctx.engine.begin() as conn:  # sent again (as after a kill -9): refused as repeats
        conn.execute(text("UPDATE outbox SET state = 'pending'"))
    assert worker.run_once(ctx, adapters) == {"sent": 5, "refused": 0, "retry": 0}

    number = unrated["case"]["number"]
    assert sorted(province.affairs) == sorted(
        (t["case"]["number"], stage) for t in (unrated, rated)
        for stage in (exchange.ACCEPTANCE, exchange.COMPLETION))
    assert len(province.received) == 10 and len(province.refused) == 5  # the repeats
    assert {why for _, why in province.refused} == {"duplicate"}
    accepted, done = (province.affairs[(number, s)] for s in ("1", "2"))
    assert all(r["recordType"] == "affair" and "star" not in r and "evalSerialNo" not in r
               for r in province.affairs.values())
    assert (accepted["affairDealNo"], accepted["affairDealOfficer"], accepted["windowNo"],
            accepted["affairDoneTime"], accepted["affairResult"]) == (
        "GA-0123", "李娜", "1", "", "")
    assert (done["affairDealNo"], done["affairDealOfficer"], done["affairResult"]) == (
        "GA-0007", "王强", "办结")
    assert done["affairApplyTime"] == accepted["affairApplyTime"] == "20261123100000"
    assert done["affairDoneTime"] == "20261124120000"  # 26 h later, in Shanghai
    assert accepted["affairCode"] and accepted["affairName"] and accepted["hallCode"] == "test"
    # the rating: once, with its star, referencing its stage (case number, 受理)
    (rating,) = province.accepted.values()
    assert (rating["recordType"], rating["affairSerialNo"], rating["evalProcess"],
            rating["star"]) == ("evaluation", rated["case"]["number"], "1", 4)


def test_a_returned_case_is_concluded_once_and_a_suspension_sends_nothing(ctx, hall, clock):
    """退回 is the case's 办结 (result 退回); 中止 and 延期 move its clock, not its stage."""
    from hall.services.cases import clock as case_clock
    from hall.services.cases import workflow as cases

    number = finished_visit(ctx, hall, 1, outcome="accepted")["case"]["number"]
    case_clock.suspend(ctx, hall_id=hall["id"], number=number, reason="inspection",
                       note=None, actor=supervisor(hall))
    clock.advance(hours=24)
    case_clock.resume(ctx, hall_id=hall["id"], number=number, note=None,
                      actor=supervisor(hall))
    case_clock.extend(ctx, hall_id=hall["id"], number=number, days=2, reason="检测未完",
                      actor=supervisor(hall))
    assert stage_records(ctx) == [(f"haocha.affair:{number}-1", "1", "")]
    cases.act(ctx, hall_id=hall["id"], number=number, action="return", actor=supervisor(hall))
    assert stage_records(ctx) == [(f"haocha.affair:{number}-1", "1", ""),
                                  (f"haocha.affair:{number}-2", "2", "退回")]


def stage_records(ctx) -> list[tuple[str, str, str]]:
    with ctx.engine.connect() as conn:
        rows = conn.execute(text("SELECT key, payload FROM outbox "
                                 "WHERE topic = 'haocha.affair' ORDER BY id")).all()
    return [(k, r["evalProcess"], r["affairResult"])
            for k, r in ((k, p if isinstance(p, dict) else json.loads(p)) for k, p in rows)]


def test_a_case_in_parts_is_concluded_once_by_its_last_part(ctx, hall, clock):
    """并联审批: one 受理 for the case, one 办结 when its last part concludes — none per part."""
    from hall.domain.parallel import PartSpec
    from hall.services.cases import workflow as cases

    with ctx.engine.connect() as conn:
        d = dict(conn.execute(text("SELECT code, id FROM departments")).all())
    number = finished_visit(ctx, hall, 1, outcome="accepted", parts=[
        PartSpec(d["gaj"], 3), PartSpec(d["swj"], 5)])["case"]["number"]
    cases.act(ctx, hall_id=hall["id"], number=number, action="finish", part=1,
              actor=supervisor(hall))
    assert stage_records(ctx) == [(f"haocha.affair:{number}-1", "1", "")]
    clock.advance(hours=2)
    cases.act(ctx, hall_id=hall["id"], number=number, action="finish", part=2,
              actor=supervisor(hall))
    assert stage_records(ctx) == [(f"haocha.affair:{number}-1", "1", ""),
                                  (f"haocha.affair:{number}-2", "2", "办结")]
