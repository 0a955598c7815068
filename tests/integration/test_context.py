"""The unit of work (hall/services/context.py) when PostgreSQL loses the connection under it:
a server process killed from another connection (``pg_terminate_backend``), as a restart,
a failover or a network cut would."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from hall.domain.access import SYSTEM
from hall.services.context import read, run
from hall.services.queue import tickets

PG_ONLY = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def _kill(url: str, pid: int) -> None:
    """End the server process ``pid`` from another connection."""
    other = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with other.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    finally:
        other.dispose()


def _kill_once_after(engine, db_url: str, statement: str) -> list[int]:
    """The first time ``statement`` has run, its connection's server process is killed, so
    the next statement fails; the pids killed."""
    killed: list[int] = []

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, sql, params, context, executemany):
        if not killed and sql.lstrip().upper().startswith(statement):
            killed.append(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
            _kill(db_url, killed[0])

    return killed


@PG_ONLY
# after the hall is read, a query through SQLAlchemy fails; after the service is read, one
# of the statements the issue path runs straight through the driver (hall/store/prepared.py)
@pytest.mark.parametrize("after", ["SELECT HALLS.", "SELECT SERVICES."])
def test_a_command_whose_connection_drops_before_commit_runs_again(ctx, hall, db_url, after):
    ctx.cache.clear()
    killed = _kill_once_after(ctx.engine, db_url, after)
    ticket = tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=SYSTEM).value
    assert killed, "the connection was never killed"
    with ctx.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, number FROM tickets")).all()
        issued = conn.execute(text("SELECT count(*) FROM events WHERE type = 'ticket.issued'")
                              ).scalar_one()
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    assert rows == [(ticket["id"], ticket["number"])]  # once, not twice, and not lost
    assert issued == 1
    assert pid != killed[0]


@PG_ONLY
def test_a_command_is_run_again_only_once(ctx, hall, db_url):
    attempts: list[int] = []

    def command(uow):
        pid = uow.conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        attempts.append(pid)
        _kill(db_url, pid)
        return uow.conn.execute(text("SELECT 1")).scalar_one()

    with pytest.raises(DBAPIError) as raised:
        run(ctx, command)
    assert raised.value.connection_invalidated
    assert len(attempts) == 2 and attempts[0] != attempts[1]


@PG_ONLY
def test_a_connection_dropped_at_the_commit_is_not_run_again(ctx, hall, db_url):
    """Whether a COMMIT that lost its connection took is unknown: no second run."""
    attempts: list[int] = []

    @event.listens_for(ctx.engine, "commit")
    def _before_commit(conn):
        if len(attempts) == 1:
            _kill(db_url, conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())

    def command(uow):
        attempts.append(1)
        uow.conn.execute(text("UPDATE halls SET name = name || '.'"))

    with pytest.raises(DBAPIError):
        run(ctx, command)
    assert len(attempts) == 1


@PG_ONLY
def test_a_read_whose_connection_drops_reads_again(ctx, hall, db_url):
    killed = _kill_once_after(ctx.engine, db_url, "SELECT 1")

    def query(uow):
        uow.conn.execute(text("SELECT 1"))
        return uow.conn.execute(text("SELECT name FROM halls")).scalar_one()

    assert read(ctx, query) == "测试大厅"
    assert killed
