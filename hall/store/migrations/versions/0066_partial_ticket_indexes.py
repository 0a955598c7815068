"""tickets: the indexes on columns that most tickets leave empty (the window that called it,
the window it was sent to, the day an overnight queue carried it to) hold only the tickets
that have a value (issue 14)

Every ticket issued wrote an entry with NULL into each of them, which no query looks for: the
queries that use them compare the column with a value (``counter_id = ?``,
``target_counter_id = ?``, ``carried_to = ?``), and SQLite and PostgreSQL both take a partial
index ``WHERE col IS NOT NULL`` for such a comparison without knowing the value (so SQLite
does not re-prepare the statement for each value, unlike a ``kind = 'appointment'`` partial
index, models.py). The queries that look for ``target_counter_id IS NULL`` lead with
``service_id`` and use ix_tickets_queue.

Revision ID: 0066
Revises: 0065
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0066'
down_revision: Union[str, Sequence[str], None] = '0065'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

INDEXES = [('ix_tickets_counter_state', ['counter_id', 'state'], 'counter_id'),
           ('ix_tickets_directed', ['target_counter_id', 'state', 'queued_at'],
            'target_counter_id'),
           ('ix_tickets_carried', ['carried_to'], 'carried_to')]


def upgrade() -> None:
    for name, columns, column in INDEXES:
        op.drop_index(name, table_name='tickets')
        where = sa.text(f'{column} IS NOT NULL')
        op.create_index(name, 'tickets', columns, sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name, columns, _ in INDEXES:
        op.drop_index(name, table_name='tickets')
        op.create_index(name, 'tickets', columns)
