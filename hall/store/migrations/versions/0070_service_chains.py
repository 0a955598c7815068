"""多窗联办 chains (issue 22 item 3): services.chain (the codes of a chain service's steps),
tickets.chain_id and tickets.step (a chain ticket's visit at each step is its own row with
the same number), and the ticket number unique per step

Revision ID: 0070
Revises: 0066
"""
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0070'
down_revision: Union[str, Sequence[str], None] = '0066'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OLD_NUMBER = ['hall_id', 'prefix', 'day', 'seq_no']


@contextmanager
def _triggers_kept() -> Iterator[None]:
    """SQLite drops a table's triggers with the table: the copy gets the waiting-count
    triggers of 0007 (and any other on tickets) back, as they were written."""
    bind = op.get_bind()
    kept = []
    if bind.dialect.name == 'sqlite':
        kept = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                                    "AND tbl_name = 'tickets'").scalars().all()
    yield
    for sql in kept:
        bind.exec_driver_sql(sql)


def upgrade() -> None:
    op.add_column('services', sa.Column('chain', sa.JSON(), nullable=False,
                                        server_default=sa.text("'[]'")))
    # A number names one visitor's ticket; the steps of a chain are its visits, one row each
    # (step 1, 2, …; every other ticket is step 1), so the number is unique per step. On
    # SQLite changing a table's constraint copies the table once (no table refers to
    # tickets, so the copy trips no foreign key); PostgreSQL swaps the index.
    with _triggers_kept():
        with op.batch_alter_table('tickets') as batch:
            batch.add_column(sa.Column('chain_id', sa.Integer(), nullable=True))
            batch.add_column(sa.Column('step', sa.SmallInteger(), nullable=False,
                                       server_default='1'))
            batch.drop_constraint('uq_tickets_number', type_='unique')
            batch.create_unique_constraint('uq_tickets_number', [*OLD_NUMBER, 'step'])
    # the per-chain report reads a period's chain tickets without scanning the others
    # partial, like the others most tickets leave empty (0066)
    where = sa.text('chain_id IS NOT NULL')
    op.create_index('ix_tickets_chain_day', 'tickets', ['chain_id', 'day'], sqlite_where=where,
                    postgresql_where=where)


def downgrade() -> None:
    # fails (as it should) while a chain's later steps share their number with step 1
    op.drop_index('ix_tickets_chain_day', table_name='tickets')
    with _triggers_kept():
        with op.batch_alter_table('tickets') as batch:
            batch.drop_constraint('uq_tickets_number', type_='unique')
            batch.create_unique_constraint('uq_tickets_number', OLD_NUMBER)
            batch.drop_column('step')
            batch.drop_column('chain_id')
    op.execute("ALTER TABLE services DROP COLUMN chain")
