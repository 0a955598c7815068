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
