"""Schema and indexes: migrations match the models, and the hot queries use indexes."""
from __future__ import annotations

from datetime import date

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from hall.services import repo
from hall.store.migrate import at_head, downgrade, head, upgrade
from hall.store.models import Base


def test_migrations_create_exactly_the_models_schema(db_url):
    engine = create_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == [], diff


def test_migrations_go_down_and_up_again(db_url):
    downgrade(db_url, "base")
    upgrade(db_url)
    engine = create_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tickets")).scalar_one() == 0
    engine.dispose()


def test_a_start_on_a_current_database_skips_alembic_and_an_older_one_is_migrated(db_url):
    assert at_head(db_url)
    downgrade(db_url, "-1")  # one revision behind, as a hall is after an update lands
    assert not at_head(db_url)
    upgrade(db_url)
    assert at_head(db_url)
    engine = create_engine(db_url)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == (head(),)
    engine.dispose()


def test_sqlite_runs_in_wal_mode(ctx):
    if ctx.engine.dialect.name != "sqlite":
        return
    with ctx.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def _plan(conn, sql: str, params: dict) -> str:
    if conn.dialect.name == "sqlite":
        rows = conn.execute(text("EXPLAIN QUERY PLAN " + sql), params).all()
        return " ".join(r[-1] for r in rows)
    conn.execute(text("SET enable_seqscan = off"))  # tiny tables: ask what index exists
    return " ".join(r[0] for r in conn.execute(text("EXPLAIN " + sql), params))


def test_queue_head_and_numbering_are_index_seeks(ctx, hall):
    """Call-next reads each queue head with one seek on ix_tickets_queue; numbering is a
    primary-key upsert — neither scans the tickets of the day."""
    with ctx.engine.connect() as conn:
        head = _plan(conn, "SELECT id FROM tickets WHERE service_id = :s AND state = 'waiting' "
                           "AND kind = 'normal' ORDER BY queued_at, id LIMIT 1", {"s": 1})
        assert "ix_tickets_queue" in head and "TEMP B-TREE" not in head.upper(), head
        number = _plan(conn, "SELECT last FROM number_counters WHERE hall_id = :h AND "
                             "prefix = 'A' AND day = :d", {"h": 1, "d": date(2026, 11, 23)})
        seek = "SEARCH number_counters USING" if conn.dialect.name == "sqlite" \
            else "Index Scan using number_counters_pkey"
        assert seek in number, number


def test_the_appointment_head_is_an_index_seek_in_slot_order(ctx, hall):
    """Call-next's appointment head per service (slot order) is one seek on
    ix_tickets_appointments, never a sort of the service's waiting appointments."""
    with ctx.engine.connect() as conn:
        head = _plan(conn, "SELECT id FROM tickets WHERE service_id = :s AND state = 'waiting' "
                           "AND kind = 'appointment' AND target_counter_id IS NULL "
                           "ORDER BY appointment_at, id LIMIT 1", {"s": 1})
    assert "ix_tickets_appointments" in head, head
    assert "TEMP B-TREE" not in head.upper() and "Sort" not in head, head


def test_recent_service_times_seek_the_finished_tickets_only(ctx, hall):
    """The estimates' recent service times read ix_tickets_service_day, which holds
    finished tickets only (migration 0097): a waiting ticket has no entry in it."""
    from sqlalchemy import event

    from hall.services.queue import standing
    seen = []

    def capture(conn, cursor, statement, params, context, many):
        seen.append((statement, params))

    with ctx.engine.connect() as conn:
        event.listen(conn, "before_cursor_execute", capture)
        standing.recent_service_times(conn, 1, date(2026, 11, 23))
        event.remove(conn, "before_cursor_execute", capture)
        statement, params = seen[-1]
        if conn.dialect.name == "sqlite":
            plan = " ".join(r[-1] for r in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, params).all())
        else:
            conn.execute(text("SET enable_seqscan = off"))
            plan = " ".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, params))
        where = conn.execute(text(
            "SELECT sql FROM sqlite_master WHERE name = 'ix_tickets_service_day'"
            if conn.dialect.name == "sqlite" else
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_tickets_service_day'"
        )).scalar_one()
    assert "ix_tickets_service_day" in plan and "TEMP B-TREE" not in plan.upper(), plan
    assert "finished_at IS NOT NULL" in where, where


def test_queue_heads_reads_one_row_per_queue(ctx, hall):
    from hall.domain.access import SYSTEM
    from hall.services.queue import tickets
    for _ in range(5):
        tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=SYSTEM)
    tickets.issue(ctx, hall_id=hall["id"], service="hj", actor=SYSTEM, kind="priority",
                  priority_reason="孕妇")
    with ctx.engine.connect() as conn:
        weights = repo.counter_services(conn, hall["counters"][1])
        heads = repo.queue_heads(conn, hall["counters"][1], weights)
    assert [(c.number, c.kind) for c in heads] == [("A001", "normal"), ("A006", "priority")]
