"""waiting counts kept by triggers on tickets; appointment queue index

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 07:20:00

Issuing and calling used to COUNT the waiting tickets of a service on every command, a cost
that grew with the line. ``waiting_counts`` holds those counts per (service, kind); triggers
on ``tickets`` keep it in the same statement as every write that moves a ticket into or out
of ``waiting`` (insert, update of state/kind/service_id, delete), so it cannot drift whatever
writes the ticket: the service layer, the demo history loader, a bulk import, a hand fix.
The triggers are created before the backfill, in the same transaction: on PostgreSQL
CREATE TRIGGER locks ``tickets`` against writes until commit, and SQLite has one writer.

``ix_tickets_appointments`` lets call-next read the head of a service's appointments in slot
order with one seek instead of sorting all of them.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TRIGGERS = ("tickets_waiting_insert", "tickets_waiting_update", "tickets_waiting_delete")

SQLITE = [
    """CREATE TRIGGER tickets_waiting_insert AFTER INSERT ON tickets
    WHEN NEW.state = 'waiting'
    BEGIN
        INSERT INTO waiting_counts (service_id, kind, waiting)
        VALUES (NEW.service_id, NEW.kind, 1)
        ON CONFLICT (service_id, kind) DO UPDATE SET waiting = waiting_counts.waiting + 1;
    END""",
    # fires only when state, kind or service_id is in the SET list; a waiting ticket that
    # stays waiting is taken off and put back (net zero)
    """CREATE TRIGGER tickets_waiting_update AFTER UPDATE OF state, kind, service_id
    ON tickets WHEN OLD.state = 'waiting' OR NEW.state = 'waiting'
    BEGIN
        UPDATE waiting_counts SET waiting = waiting - 1
        WHERE OLD.state = 'waiting' AND service_id = OLD.service_id AND kind = OLD.kind;
        INSERT INTO waiting_counts (service_id, kind, waiting)
        SELECT NEW.service_id, NEW.kind, 1 WHERE NEW.state = 'waiting'
        ON CONFLICT (service_id, kind) DO UPDATE SET waiting = waiting_counts.waiting + 1;
    END""",
    """CREATE TRIGGER tickets_waiting_delete AFTER DELETE ON tickets
    WHEN OLD.state = 'waiting'
    BEGIN
        UPDATE waiting_counts SET waiting = waiting - 1
        WHERE service_id = OLD.service_id AND kind = OLD.kind;
    END""",
]

POSTGRESQL = [
    """CREATE FUNCTION tickets_count_waiting() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            IF OLD.state = 'waiting' THEN
                UPDATE waiting_counts SET waiting = waiting - 1
                WHERE service_id = OLD.service_id AND kind = OLD.kind;
            END IF;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            IF NEW.state = 'waiting' THEN
                INSERT INTO waiting_counts AS w (service_id, kind, waiting)
                VALUES (NEW.service_id, NEW.kind, 1)
                ON CONFLICT (service_id, kind) DO UPDATE SET waiting = w.waiting + 1;
            END IF;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER tickets_waiting_insert AFTER INSERT ON tickets FOR EACH ROW
    WHEN (NEW.state = 'waiting') EXECUTE FUNCTION tickets_count_waiting()""",
    """CREATE TRIGGER tickets_waiting_update AFTER UPDATE OF state, kind, service_id
    ON tickets FOR EACH ROW WHEN (OLD.state = 'waiting' OR NEW.state = 'waiting')
    EXECUTE FUNCTION tickets_count_waiting()""",
    """CREATE TRIGGER tickets_waiting_delete AFTER DELETE ON tickets FOR EACH ROW
    WHEN (OLD.state = 'waiting') EXECUTE FUNCTION tickets_count_waiting()""",
    # TRUNCATE fires no row trigger: empty the counts with the tickets
    """CREATE FUNCTION tickets_truncate_waiting() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM waiting_counts;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER tickets_waiting_truncate AFTER TRUNCATE ON tickets
    FOR EACH STATEMENT EXECUTE FUNCTION tickets_truncate_waiting()""",
]

BACKFILL = """INSERT INTO waiting_counts (service_id, kind, waiting)
SELECT service_id, kind, count(*) FROM tickets WHERE state = 'waiting'
GROUP BY service_id, kind"""


def upgrade() -> None:
    op.create_table('waiting_counts',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('waiting', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('service_id', 'kind')
    )
    dialect = op.get_bind().dialect.name
    for ddl in POSTGRESQL if dialect == "postgresql" else SQLITE:
        op.execute(ddl)
    op.execute(BACKFILL)
    # not in a batch: rebuilding tickets on SQLite would drop the triggers just made
    op.create_index('ix_tickets_appointments', 'tickets',
                    ['kind', 'service_id', 'state', 'appointment_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_tickets_appointments', table_name='tickets')
    dialect = op.get_bind().dialect.name
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}"
                   + (" ON tickets" if dialect == "postgresql" else ""))
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS tickets_waiting_truncate ON tickets")
        op.execute("DROP FUNCTION IF EXISTS tickets_truncate_waiting()")
        op.execute("DROP FUNCTION IF EXISTS tickets_count_waiting()")
    op.drop_table('waiting_counts')
