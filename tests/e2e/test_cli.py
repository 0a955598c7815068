"""The `hall` command scripts a hall: seed, users, devices, report."""
from __future__ import annotations

import json

from click.testing import CliRunner

from hall.cli import cli
from hall.services.config import accounts
from tests.conftest import DATA


def test_a_hall_can_be_scripted_from_the_command_line(db_url, monkeypatch, ctx):
    monkeypatch.setenv("HALL_DATABASE_URL", db_url)
    runner = CliRunner()
    seeded = runner.invoke(cli, ["seed", str(DATA / "small_hall.toml")])
    assert seeded.exit_code == 0, seeded.output
    assert json.loads(seeded.output)["services"] == 3
    again = runner.invoke(cli, ["seed", str(DATA / "small_hall.toml")])  # idempotent
    assert json.loads(again.output)["counters"] == 4

    user = runner.invoke(cli, ["user", "add", "liu", "--name", "刘洋", "--role", "supervisor"])
    password = user.output.strip().rsplit(" ", 1)[-1]
    assert accounts.authenticate(ctx, "liu", password).role == "supervisor"

    token = runner.invoke(cli, ["device", "add", "--kind", "keypad", "--counter", "2"])
    actor = accounts.device_actor(ctx, token.output.strip())
    assert actor.role == "keypad" and actor.counter_id is not None

    bad = runner.invoke(cli, ["device", "add", "--kind", "pad"])
    assert bad.exit_code != 0 and "counter" in bad.output

    report = runner.invoke(cli, ["report", "--format", "json"])
    assert report.exit_code == 0 and json.loads(report.output)["hall"] == "测试大厅"


def test_seed_refuses_a_broken_layout(db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("HALL_DATABASE_URL", db_url)
    broken = tmp_path / "broken.toml"
    broken.write_text((DATA / "small_hall.toml").read_text(encoding="utf-8")
                      .replace('service = "ss", weight = 1 }, { service = "hj"',
                               'service = "nope", weight = 1 }, { service = "hj"'),
                      encoding="utf-8")
    result = CliRunner().invoke(cli, ["seed", str(broken)])
    assert result.exit_code != 0 and "unknown service 'nope'" in result.output


def test_the_month_report_comes_as_xlsx_and_csv_from_the_command_line(db_url, monkeypatch,
                                                                       ctx, tmp_path):
    import io
    from datetime import date

    from openpyxl import load_workbook

    from hall.seed.history import generate
    from hall.services.config.layout.seed import load_layout, seed

    monkeypatch.setenv("HALL_DATABASE_URL", db_url)
    seed(ctx, load_layout(DATA / "small_hall.toml"))
    generate(ctx.engine, first=date(2026, 9, 1), days=5, per_day=30, seed=2)
    runner = CliRunner()
    out = tmp_path / "sept.xlsx"
    r = runner.invoke(cli, ["report", "--period", "month", "--on", "2026-09-01", "--group",
                            "counter", "--format", "xlsx", "-o", str(out)])
    assert r.exit_code == 0, r.output
    sheet = load_workbook(io.BytesIO(out.read_bytes())).worksheets[0]
    assert sheet.cell(sheet.max_row, 2).value == 150  # total tickets issued
    csv_text = runner.invoke(cli, ["report", "--period", "month", "--on", "2026-09-01",
                                   "--format", "csv", "--lang", "en"]).output
    assert csv_text.splitlines()[0].lstrip("\ufeff").startswith("Service,Tickets issued")
    bad = runner.invoke(cli, ["report", "--period", "range", "--on", "2026-09-05",
                              "--end", "2026-09-01"])
    assert bad.exit_code != 0 and "--end" in bad.output
