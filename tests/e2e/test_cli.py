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


def test_the_text_report_shows_the_pages_figures_with_fees_and_targets(db_url, monkeypatch,
                                                                       ctx, app):
    import re
    from datetime import date

    from hall.seed.history import generate
    from hall.services.config.layout.seed import load_layout, seed

    monkeypatch.setenv("HALL_DATABASE_URL", db_url)
    seed(ctx, load_layout(DATA / "small_hall.toml"))
    generate(ctx.engine, first=date(2026, 9, 1), days=5, per_day=30, seed=2)
    runner = CliRunner()
    args = ["report", "--period", "month", "--on", "2026-09-01", "--group", "counter"]
    data = json.loads(runner.invoke(cli, [*args, "--format", "json"]).output)
    text = runner.invoke(cli, [*args, "--format", "text"])
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert "2026-09" in lines[0] and "窗口" in lines[0]
    assert "现场办结率" in lines[1] and "≥ 90.0%" in lines[1] and "≥ 99.0%" in lines[1]

    def line(label: str) -> list[str]:
        found = next(ln for ln in lines if ln.startswith(label))
        return re.split(r"\s{2,}", found[len(label):].strip())

    total = data["total"]
    assert line("取号数")[-1] == str(total["issued"])
    onsite = f"{total['onsite_completion_rate'] * 100:.1f}%"
    mark = "✓" if total["target_status"]["onsite_completion_rate"] == "met" else "✗"
    assert line("现场办结率")[-1] == onsite + mark
    assert line("补正率")[-1] == f"{total['correction_rate'] * 100:.1f}%"
    assert line("收费（元）")[-1] == f"{total['fees_cents'] / 100:.2f}"
    # the same figures as the page: its total row, cell for cell
    client = app.test_client()
    password = accounts.add_user(app.extensions["hall"], login="zhao", name="赵敏",
                                 role="supervisor").value["password"]
    client.post("/api/v1/auth/login", json={"login": "zhao", "password": password})
    page = client.get("/admin/reports?period=month&on=2026-09-01&group=counter").text
    cells = re.findall(r'<td class="num[^"]*"[^>]*>([^<]*)</td>', page.split('class="total"')[1])
    column = [re.split(r"\s{2,}", ln.strip())[-1].rstrip("✓✗") for ln in lines[3:]]
    assert column == cells


def test_the_month_report_counts_open_overdue_cases_against_the_on_time_rate(
        db_url, monkeypatch, ctx):
    """The issue's headline (issue 18): November with ten cases due — one done on its due
    day, nine still open past theirs. `hall report --period month` said 100.0 %; it is
    1 / (1 + 9) = 10.0 %, with 9 overdue (超期件数), missing the 99 % target."""
    import re
    from datetime import date, timedelta

    from sqlalchemy import text

    from hall.services.config.layout.seed import load_layout, seed
    from tests.conftest import add_case

    monkeypatch.setenv("HALL_DATABASE_URL", db_url)
    seed(ctx, load_layout(DATA / "small_hall.toml"))
    with ctx.engine.connect() as conn:
        hall = {"id": conn.execute(text("SELECT id FROM halls")).scalar_one(),
                "services": dict(conn.execute(text("SELECT code, id FROM services")).all()),
                "counters": dict(conn.execute(text("SELECT number, id FROM counters")).all())}
    for i in range(10):
        due = date(2026, 11, 2) + timedelta(days=i)
        add_case(ctx, hall, f"T-202611{i + 1:02d}-0001", due - timedelta(days=5), due, due)
    with ctx.engine.begin() as conn:  # the first is done on its due day
        conn.execute(text("UPDATE cases SET state = 'done', done_on = due_date, "
                          "done_at = accepted_at WHERE number = 'T-20261101-0001'"))
    out = CliRunner().invoke(cli, ["report", "--period", "month", "--on", "2026-11-01",
                                   "--group", "hall"])
    assert out.exit_code == 0, out.output

    def figure(label: str) -> str:
        line = next(ln for ln in out.output.splitlines() if ln.startswith(label))
        return re.split(r"\s{2,}", line[len(label):].strip())[-1]

    assert figure("按时办结率") == "10.0%✗"
    assert figure("超期件数") == "9"
