"""tickets: ix_tickets_appointments holds only appointment tickets (issue 14)

Every walk-in ticket wrote an entry into it, in the middle of the index (kind, then
service): with the service lines taking turns that was a page split or rebalance in a
fourth index per ticket. Call-next's appointment heads name ``kind = 'appointment'`` as an
SQL constant (models.kind_is), which is what lets both databases use the partial index.

Revision ID: 0095
Revises: 0091
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0095'
down_revision: Union[str, Sequence[str], None] = '0091'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = ['kind', 'service_id', 'state', 'appointment_at', 'id']


def upgrade() -> None:
    op.drop_index('ix_tickets_appointments', table_name='tickets')
    where = sa.text("kind = 'appointment'")
    op.create_index('ix_tickets_appointments', 'tickets', COLUMNS, sqlite_where=where,
                    postgresql_where=where)


def downgrade() -> None:
    op.drop_index('ix_tickets_appointments', table_name='tickets')
    op.create_index('ix_tickets_appointments', 'tickets', COLUMNS)
