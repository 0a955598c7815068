"""`hall simulate` (issue 22 item 1) against a real server process: a short day at high
speed through the HTTP API, then the server's own figures against the simulator's log."""
from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from hall.cli import cli
from hall.services.supervision import reports
from hall.simulate.day import counts
from tests.e2e.conftest import ON_BOTH_DATABASES


def _simulate(db_url, tmp_path, server, *args: str):
    log = tmp_path / "sim.jsonl"
    result = CliRunner().invoke(cli, ["simulate", "--server", server.url, "--log", str(log),
                                      *args],
                                env={"HALL_DATABASE_URL": db_url,
                                     "HALL_INSTANCE": str(tmp_path)})
    return result, log


@pytest.mark.slow
@ON_BOTH_DATABASES  # the reports read the day in SQL
def test_simulated_day_matches_its_own_log(ctx, db_url, live_hall, tmp_path):
    server, _, _ = live_hall
    # 09:00–14:00 (the lunch dip and pauses included) at 3600× and 40 visitors: seconds
    result, log = _simulate(db_url, tmp_path, server, "--speed", "3600", "--seed", "7",
                            "--visitors", "40", "--open", "9", "--close", "14")
    assert result.exit_code == 0, result.output
    mine = counts(log)
    lines = [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines()]
    assert not [x for x in lines if x["do"] == "error"], lines
    assert mine["arrived"] >= 20 and mine["finished"] > 0
    windows = len(lines[0]["windows"])  # every window of the hall, each staffed
    assert windows >= 3
    assert mine["sign_ins"] == mine["sign_outs"] == mine["pauses"] == windows
    assert json.loads(result.output.splitlines()[0])["issued"] == mine["issued"]

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    day = reports.report(ctx, period="day", on=today, group="hall")["total"]
    assert day["issued"] == mine["issued"]
    assert day["called"] == mine["called"]
    assert day["no_show"] == mine["skipped"]
    assert day["transfers"] == mine["transferred"]
    assert sum(day["outcomes"].values()) == mine["finished"]
    assert {k: v for k, v in day["outcomes"].items() if v} == mine["outcomes"]
    assert day["rated"] == mine["rated"] and day["bad_ratings"] == mine["bad"]



@pytest.mark.slow
def test_simulate_soak_has_no_errors(db_url, live_hall, tmp_path):
    server, _, _ = live_hall
    result, log = _simulate(db_url, tmp_path, server, "--soak", "--speed", "5000",
                            "--seed", "3", "--visitors", "25", "--open", "13",
                            "--close", "16", "--windows", "2")
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines()]
    assert lines[-1]["do"] == "end" and lines[-1]["errors"] == 0
    assert counts(log)["issued"] > 0


@pytest.mark.slow
def test_demo_simulate_plays_a_live_day(tmp_path):
    """`hall demo --simulate` (here from the environment) starts a day beside the server:
    visitors are issued, served and rated without anyone clicking."""
    from sqlalchemy import create_engine, text

    from tests.conftest import wait_for
    from tests.e2e.server import Server

    instance = tmp_path / "instance"
    url = f"sqlite:///{tmp_path}/demo.db"
    server = Server(url, instance, command="demo",
                    extra_env={"HALL_DEMO_SIMULATE": "1",
                               "HALL_DEMO_SIMULATE_SPEED": "300"}).start(60)
    engine = create_engine(url)
    try:
        def finished() -> int:
            with engine.connect() as conn:
                return conn.execute(text("SELECT count(*) FROM tickets WHERE state IN "
                                         "('done', 'rated')")).scalar_one()
        wait_for(lambda: finished() >= 3, 60, "the simulated day to finish visits")
        log = next(instance.glob("simulate-2*.jsonl"))
        steps = [json.loads(x)["do"] for x in log.read_text(encoding="utf-8").splitlines()]
        assert "issue" in steps and "finish" in steps and "error" not in steps
        pid = int(re.search(r"Simulated day at \S+ \(pid (\d+)\)",
                            server.log.read_text()).group(1))
    finally:
        server.stop()
        engine.dispose()

    def gone() -> bool:  # the simulator ends with the demo (a zombie or reaped)
        stat = Path(f"/proc/{pid}/stat")
        return not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] in "ZX"
    wait_for(gone, 10, "the simulator to end with the demo")


@pytest.mark.slow
def test_simulate_soak_reports_an_error_and_fails(ctx, db_url, live_hall, tmp_path):
    """A window out of service refuses the simulated staff member's sign-in: the soak
    prints the server's answer and exits non-zero."""
    from sqlalchemy import update

    from hall.store.models import Counter

    server, _, _ = live_hall
    with ctx.engine.begin() as conn:
        conn.execute(update(Counter).where(Counter.number == 2).values(active=False))
    result, log = _simulate(db_url, tmp_path, server, "--soak", "--speed", "5000",
                            "--seed", "3", "--visitors", "5", "--open", "15",
                            "--close", "16", "--windows", "2")
    assert result.exit_code == 1, result.output
    errors = [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines()
              if json.loads(x)["do"] == "error"]
    assert [(e["step"], e["status"]) for e in errors] == [("sign_in", 409)]
    assert "counter_inactive" in result.output and "1 error(s)" in result.output


def test_simulate_fast_days_fill_reports(ctx, db_url, hall, tmp_path):
    """`hall simulate --days 2 --fast` plays the two days before today that the hall
    served through the services, in-process: each day's report (rolled up, as reports
    and the 月通报 read it) equals that day's counts in the log. The same command again
    finds both days taken and fills nothing: a day is never doubled."""
    from datetime import date

    from hall.domain.access import Actor
    from hall.domain.workdays import WorkCalendar
    from hall.services.queue import tickets

    log = tmp_path / "fast.jsonl"
    args = ["simulate", "--days", "2", "--fast", "--seed", "5", "--visitors", "24",
            "--open", "9", "--close", "13", "--log", str(log)]
    env = {"HALL_DATABASE_URL": db_url, "HALL_INSTANCE": str(tmp_path)}
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    filled = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    days = [date.fromisoformat(x.pop("date")) for x in filled]
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert len(days) == 2 and days == sorted(days) and days[-1] < today
    assert all(WorkCalendar().serves(d) for d in days)
    assert f"rolled up for reports: {days[0]}, {days[1]}" in result.stdout
    lines = [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines()]
    assert not [x for x in lines if x["do"] == "error"]
    assert {x["at"][:10] for x in lines if "date" in x} == {d.isoformat() for d in days}

    def figures(day: date) -> dict:
        total = reports.report(ctx, period="day", on=day, group="hall")["total"]
        return {k: total[k] for k in ("issued", "called", "no_show", "transfers", "outcomes",
                                      "rated", "bad_ratings")}

    before = {}
    for day, shown in zip(days, filled, strict=True):
        mine = counts(log, on=day.isoformat())
        assert mine == shown and mine["finished"] > 5 and mine["rated"] > 0
        assert mine["sign_ins"] == mine["sign_outs"] == mine["pauses"] == 4
        before[day] = figures(day)
        assert before[day] == {
            "issued": mine["issued"], "called": mine["called"], "no_show": mine["skipped"],
            "transfers": mine["transferred"],
            "outcomes": {k: mine["outcomes"].get(k, 0) for k in before[day]["outcomes"]},
            "rated": mine["rated"], "bad_ratings": mine["bad"]}

    again = CliRunner().invoke(cli, args, env=env)
    assert again.exit_code == 1
    assert all(f"{d} already has tickets" in again.stderr for d in days)
    assert {d: figures(d) for d in days} == before
    # a third day, while someone waits in line: refused before anything is played
    tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=Actor("device", 1, hall["id"],
                                                                      "kiosk"))
    busy = CliRunner().invoke(cli, [*args[:2], "3", *args[3:]], env=env)
    assert busy.exit_code == 1 and "tickets in line: 1" in busy.output
    assert len(log.read_text(encoding="utf-8").splitlines()) == len(lines)  # log untouched
