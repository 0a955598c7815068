"""Run Alembic migrations programmatically (``hall db upgrade``, app start-up, tests)."""
from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from hall.store.db import database_url, make_engine

HERE = Path(__file__).parent


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    cfg.set_main_option("sqlalchemy.url", database_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    if revision == "head" and at_head(url):
        # every start of a server asks; running Alembic's environment to learn that there
        # is nothing to do costs ~0.1 s of CPU (it loads the migration scripts each time)
        return
    command.upgrade(alembic_config(url), revision)


@cache
def head() -> str:
    """The newest revision of the migration scripts (read once per process)."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def at_head(url: str | None = None) -> bool:
    """Whether the database is migrated to the scripts' newest revision."""
    engine = make_engine(url)  # as the migrations connect (the driver, SQLite's pragmas)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_heads() == (head(),)
    finally:
        engine.dispose()


def downgrade(url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)
