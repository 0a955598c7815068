"""What every layer shares: a real SQLite file or the real PostgreSQL, migrated by Alembic;
the clock; the service context; the small test hall; the ESC/POS printer emulator; and the
helpers ``refused``, ``wait_for``, ``need_font`` and ``add_case`` (imported by name). Each
layer's own fixtures are in its conftest.py (tests/integration, tests/e2e).

``HALL_REQUIRE_SERVICES=1`` (set by .ci/run) turns a missing PostgreSQL/Redis/Chromium/CJK
font into a failure instead of a skip.
"""
from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, text
from sqlalchemy.pool import NullPool

from hall.domain.errors import DomainError
from hall.services.config.layout.seed import load_layout, seed
from hall.services.context import ManualClock
from hall.services.wiring import make_context
from hall.store.db import make_engine
from hall.store.migrate import upgrade
from hall.store.models import Case

DATA = Path(__file__).parent / "data"
PG_ADMIN_URL = os.environ.get("HALL_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE = os.environ.get("HALL_REQUIRE_SERVICES") == "1"


# Passwords at scrypt's N = 1024 instead of 32768 (hall/services/config/password_hash.py):
# the tests and the servers they start set, check and re-hash passwords by the thousand, at
# ~0.1 s of CPU each under the real cost (~1 ms here). Set before any app is made or server
# started, which inherit it; the default cost has its own test (tests/unit/test_password_hash.py).
os.environ.setdefault("HALL_PASSWORD_HASH", "scrypt:1024:8:1")


def unavailable(what: str, why: object) -> None:
    if REQUIRE:
        pytest.fail(f"{what} is required (HALL_REQUIRE_SERVICES=1) but unavailable: {why}")
    pytest.skip(f"{what} unavailable: {why}")


def need_font() -> None:
    """Raster printing needs a CJK font (make fonts)."""
    from drivers.escpos import fonts

    if not fonts.available():
        unavailable("a CJK font", "make fonts (fonts-wqy-microhei)")


def refused(code: str, field: str | None, call: Callable, /, *args, **kwargs) -> DomainError:
    """``call(*args, **kwargs)`` raises the DomainError ``code`` naming ``field``; it is
    returned for further checks."""
    with pytest.raises(DomainError) as exc:
        call(*args, **kwargs)
    assert (exc.value.code, exc.value.field) == (code, field), exc.value
    return exc.value


def wait_for(check: Callable, timeout: float = 10.0, what: str = "condition",
             every: float = 0.01):
    """Poll ``check`` until it returns something true, and return that."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "hall.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database(worker_id="master") -> str:
    """One migrated database per test process; tests truncate it between them."""
    name = f"hall_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - reported as skip/fail below
        unavailable("PostgreSQL", exc)
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_RESTART: dict[str, str] = {}  # database URL → the SQL that restarts its sequences
_USED = text("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
             "WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'alembic_version' "
             "AND pg_relation_size(c.oid) > 0")


def _truncate(url: str) -> None:
    """Empty a migrated PostgreSQL database as if it were new: every table that has ever
    held a row (its file is not empty) is truncated, so it starts again from a new empty
    file (rows come back in the order they are written, as some tests' seeded walks need),
    and every sequence restarts (ids from 1). A test touches a few tables: truncating only
    those, without waiting for the commit's WAL flush, costs a fraction of truncating all
    27 (~0.1 s on a quiet machine, ~0.5 s when PostgreSQL is busy)."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            if url not in _RESTART:
                sequences = conn.execute(text(
                    "SELECT sequencename FROM pg_sequences WHERE schemaname='public'")).scalars()
                _RESTART[url] = "".join(f'ALTER SEQUENCE "{name}" RESTART;' for name in sequences)
            used = ", ".join(f'"{name}"' for name in conn.execute(_USED).scalars())
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off;"
                                 + (f"TRUNCATE {used} CASCADE;" if used else "") + _RESTART[url])
    finally:
        engine.dispose()


def empty_database(request, kind: str, tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated, empty database of ``kind``: a fresh SQLite file, or the test process's
    PostgreSQL database truncated."""
    if kind == "sqlite":
        path = tmp_path / "hall.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_database")
    _truncate(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, sqlite_template) -> str:
    """A migrated, empty database, each test on both: SQLite and PostgreSQL (the end-to-end
    layer narrows this, tests/e2e/conftest.py)."""
    return empty_database(request, request.param, tmp_path, sqlite_template)


@pytest.fixture
def clock() -> ManualClock:
    # a Monday, 10:00 in Shanghai
    return ManualClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))


@pytest.fixture
def ctx(db_url, clock):
    engine = make_engine(db_url)
    context = make_context(engine, clock=clock, secret=b"test-secret")
    yield context
    engine.dispose()


@pytest.fixture
def hall(ctx) -> dict:
    """The small test hall, seeded; returns ids by code/number."""
    seed(ctx, load_layout(DATA / "small_hall.toml"))
    with ctx.engine.connect() as conn:
        services = dict(conn.execute(text("SELECT code, id FROM services")).all())
        counters = dict(conn.execute(text("SELECT number, id FROM counters")).all())
        staff = dict(conn.execute(text("SELECT login, id FROM staff")).all())
        hall_id = conn.execute(text("SELECT id FROM halls")).scalar_one()
    return {"id": hall_id, "services": services, "counters": counters, "staff": staff}


LOOKUP_CODE = "246810"  # the 查询码 every test case is given (``add_case``)


def add_case(ctx, hall, number: str, accepted: date, warning: date, due: date) -> int:
    """A 办件 accepted at counter 1 on ``accepted`` (10:00 in Shanghai), written straight to
    the table, with the look-up code ``LOOKUP_CODE``; its id."""
    with ctx.engine.begin() as conn:
        return conn.execute(insert(Case).values(
            hall_id=hall["id"], number=number, ticket_id=1, service_id=hall["services"]["hj"],
            counter_id=hall["counters"][1], staff_id=None, applicant_masked="张*",
            accepted_at=datetime(accepted.year, accepted.month, accepted.day, 2, tzinfo=UTC),
            accepted_on=accepted, due_date=due, warning_date=warning,
            lookup_code=LOOKUP_CODE).returning(Case.id)
        ).scalar_one()


@pytest.fixture
def printer(tmp_path):
    """The ESC/POS printer emulator (58 mm paper) listening on TCP and on a pty; it decodes
    what it is sent and answers status queries with the paper state a test sets."""
    from drivers.escpos.emulator import PrinterEmulator

    emu = PrinterEmulator(tmp_path / "previews", paper="58")
    emu.listen_tcp()
    emu.open_pty()
    with emu:
        yield emu
