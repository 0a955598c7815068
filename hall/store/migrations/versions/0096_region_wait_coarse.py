"""region: the waits one level up (region_wait_coarse) and a pick index on the fine rows
(issue 23's month report)

A month of 100 busy halls is millions of ``region_wait_fine`` rows (one per hall, day,
service and minute of wait); the report's first pass summed every row's 60 seconds and
took 18.7 s. ``region_wait_coarse`` holds per hour of wait the count of each minute, so
that pass reads a few rows per hall, day and service; the second pass reads the fine rows
of the (hall, service, minute) it needs through ``ix_region_wait_fine_pick``. Filled from
the fine rows here; ingest keeps both from now on.

Revision ID: 0096
Revises: 0095
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0096'
down_revision: Union[str, Sequence[str], None] = '0095'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

MINUTES = [f'm{i}' for i in range(60)]


def upgrade() -> None:
    op.create_table(
        'region_wait_coarse',
        sa.Column('hall_uid', sa.String(length=64), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('hour', sa.Integer(), nullable=False),
        *[sa.Column(m, sa.Integer(), nullable=False) for m in MINUTES],
        sa.PrimaryKeyConstraint('hall_uid', 'day', 'service_id', 'hour'),
    )
    minute_total = ' + '.join(f's{i}' for i in range(60))
    per_minute = ', '.join(f'SUM(CASE WHEN minute % 60 = {i} THEN {minute_total} ELSE 0 END)'
                           for i in range(60))
    op.execute(f"INSERT INTO region_wait_coarse (hall_uid, day, service_id, hour, "
               f"{', '.join(MINUTES)}) SELECT hall_uid, day, service_id, minute / 60, "
               f"{per_minute} FROM region_wait_fine GROUP BY hall_uid, day, service_id, "
               f"minute / 60")
    op.create_index('ix_region_wait_fine_pick', 'region_wait_fine',
                    ['hall_uid', 'service_id', 'minute', 'day'])


def downgrade() -> None:
    op.drop_index('ix_region_wait_fine_pick', table_name='region_wait_fine')
    op.drop_table('region_wait_coarse')
