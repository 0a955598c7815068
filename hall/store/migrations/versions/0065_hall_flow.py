"""a hall that flows (issue 22): counters.auto_dispatch (a window's opt-out of the hall's
auto-dispatch) and tickets.carried_to (the service day an overnight queue carried a waiting
ticket to, keeping its number and place)

Revision ID: 0065
Revises: 0055
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0065'
down_revision: Union[str, Sequence[str], None] = '0055'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('counters', sa.Column('auto_dispatch', sa.Boolean(), nullable=False,
                                        server_default=sa.true()))
    op.add_column('tickets', sa.Column('carried_to', sa.Date(), nullable=True))
    op.create_index('ix_tickets_carried', 'tickets', ['carried_to'])


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN: SQLite ≥ 3.35 and PostgreSQL, no copy of the table (a batch
    # copy of counters would trip the tickets' foreign keys)
    op.drop_index('ix_tickets_carried', table_name='tickets')
    op.execute("ALTER TABLE tickets DROP COLUMN carried_to")
    op.execute("ALTER TABLE counters DROP COLUMN auto_dispatch")
