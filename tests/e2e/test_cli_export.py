"""`hall export` writes the layout `hall seed` reads back unchanged."""
from __future__ import annotations

from click.testing import CliRunner

from hall.cli import cli
from hall.domain.access import SYSTEM
from hall.services.config import settings as hall_settings
from hall.services.config.layout import exchange as layout
from hall.services.config.layout.spec import HallSpec
from tests.conftest import DATA


def test_hall_export_writes_the_layout_that_hall_seed_reads_back(db_url, monkeypatch, ctx,
                                                                  tmp_path):
    monkeypatch.setenv("HALL_DATABASE_URL", db_url)
    runner = CliRunner()
    nothing = runner.invoke(cli, ["export"])
    assert nothing.exit_code != 0 and "no hall yet" in nothing.output
    assert runner.invoke(cli, ["seed", str(DATA / "small_hall.toml")]).exit_code == 0
    settings = hall_settings.get_settings(ctx, 1)
    hall_settings.update_settings(ctx, SYSTEM, 1, HallSpec.model_validate(
        settings.model_dump() | {"holidays": ["2026-12-31"], "alerts": {"idle_minutes": 8}}))

    printed = runner.invoke(cli, ["export"])
    assert printed.exit_code == 0, printed.output
    assert layout.parse_toml(printed.output) == layout.export_layout(ctx, 1)
    assert printed.output.startswith("# Hall layout") and "[[counters]]" in printed.output
    assert '"2026-12-31"' in printed.output

    out = tmp_path / "hall.toml"
    written = runner.invoke(cli, ["export", "--hall", "test", "-o", str(out)])
    assert written.exit_code == 0 and written.output.strip() == f"wrote {out}"
    assert out.read_text(encoding="utf-8") == printed.output
    assert runner.invoke(cli, ["seed", str(out)]).exit_code == 0  # what seed reads …
    assert runner.invoke(cli, ["export"]).output == printed.output  # … changes nothing

    other = runner.invoke(cli, ["export", "--hall", "nope"])
    assert other.exit_code != 0 and "no hall 'nope'" in other.output


def test_hall_export_and_seed_carry_device_addresses(db_url, monkeypatch, ctx, tmp_path):
    """[[devices]] (issue 17 §1): name, kind, window and address go out with `hall export`
    — never a token — and `hall seed` reads them back, checked by the drivers' parser."""
    from hall.services.config import accounts

    monkeypatch.setenv("HALL_DATABASE_URL", db_url)
    runner = CliRunner()
    assert runner.invoke(cli, ["seed", str(DATA / "small_hall.toml")]).exit_code == 0
    kiosk = accounts.add_device(ctx, kind="kiosk", name="1号取号机",
                                url="escpos+tcp://10.0.0.5:9100?paper=58").value
    accounts.add_device(ctx, kind="keypad", name="1号窗口呼叫器", counter_number=1,
                        url="keypad+serial:///dev/ttyS1")
    accounts.add_device(ctx, kind="screen", name="大厅屏")
    printed = runner.invoke(cli, ["export"])
    assert printed.exit_code == 0, printed.output
    assert "[[devices]]" in printed.output and kiosk["token"] not in printed.output
    assert 'url = "escpos+tcp://10.0.0.5:9100?paper=58"' in printed.output
    devices = {d.name: d for d in layout.parse_toml(printed.output).devices}
    assert devices["1号窗口呼叫器"].counter == 1 and devices["大厅屏"].url is None

    moved = printed.output.replace("10.0.0.5:9100", "10.0.0.6:9100")
    out = tmp_path / "hall.toml"
    out.write_text(moved, encoding="utf-8")
    assert runner.invoke(cli, ["seed", str(out)]).exit_code == 0
    again = runner.invoke(cli, ["export"]).output
    assert again == moved  # the kiosk follows the file; nothing is added twice

    bad = tmp_path / "bad.toml"
    bad.write_text(moved.replace("escpos+tcp://10.0.0.6:9100", "escpos+tpc://10.0.0.6:9100"),
                   encoding="utf-8")
    refused = runner.invoke(cli, ["seed", str(bad)])
    assert refused.exit_code != 0 and "1号取号机" in refused.output
    assert "escpos+tcp://HOST:9100" in refused.output  # the form expected
    assert runner.invoke(cli, ["export"]).output == moved  # nothing of it was written
