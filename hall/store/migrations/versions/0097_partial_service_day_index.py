"""tickets: ix_tickets_service_day holds only finished tickets (issue 14)

Its one reader, a service's recent service times for the estimates
(queue/standing.recent_service_times), asks for ``finished_at IS NOT NULL``; every issued
ticket still wrote an entry into it, in the middle of the index (service first), and a
finish moved that entry. Partial, issuing writes nothing into it and a finish adds one.

Revision ID: 0097
Revises: 0096
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0097'
down_revision: Union[str, Sequence[str], None] = '0096'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = ['service_id', 'day', 'finished_at']


def upgrade() -> None:
    op.drop_index('ix_tickets_service_day', table_name='tickets')
    where = sa.text('finished_at IS NOT NULL')
    op.create_index('ix_tickets_service_day', 'tickets', COLUMNS, sqlite_where=where,
                    postgresql_where=where)


def downgrade() -> None:
    op.drop_index('ix_tickets_service_day', table_name='tickets')
    op.create_index('ix_tickets_service_day', 'tickets', COLUMNS)
