"""region: the waits on two more levels (region_wait_minutes, region_wait_hours) and pick
indexes (issue 23's month report)

A month of 100 busy halls is millions of ``region_wait_fine`` rows (one per hall, day,
service and minute of wait); the report's first pass summed every row's 60 seconds and
took 18.7 s. ``region_wait_minutes`` holds per hour of wait the count of each minute, and
``region_wait_hours`` per block of 60 hours the count of each hour: the first pass reads
the hours, then the minutes and the seconds of the buckets the percentiles need only,
through the pick indexes. Filled from the fine rows here; ingest keeps all three since.

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

# (table, its bucket column, its count columns' letter, the seconds in one count's unit)
LEVELS = [('region_wait_minutes', 'hour', 'm', 60), ('region_wait_hours', 'block', 'h', 3600)]


def upgrade() -> None:
    total = ' + '.join(f's{i}' for i in range(60))
    for table, bucket, letter, unit in LEVELS:
        counts = [f'{letter}{i}' for i in range(60)]
        op.create_table(
            table,
            sa.Column('hall_uid', sa.String(length=64), nullable=False),
            sa.Column('day', sa.Date(), nullable=False),
            sa.Column('service_id', sa.Integer(), nullable=False),
            sa.Column(bucket, sa.Integer(), nullable=False),
            *[sa.Column(c, sa.Integer(), nullable=False) for c in counts],
            sa.PrimaryKeyConstraint('hall_uid', 'day', 'service_id', bucket),
        )
        # each fine row is the waits of one minute: its value in this level's unit
        value = f'(minute * 60 / {unit})'
        op.execute(
            f"INSERT INTO {table} (hall_uid, day, service_id, {bucket}, {', '.join(counts)}) "
            f"SELECT hall_uid, day, service_id, {value} / 60, "
            + ', '.join(f'SUM(CASE WHEN {value} % 60 = {i} THEN {total} ELSE 0 END)'
                        for i in range(60))
            + f" FROM region_wait_fine GROUP BY hall_uid, day, service_id, {value} / 60")
    op.create_index('ix_region_wait_minutes_pick', 'region_wait_minutes',
                    ['hall_uid', 'service_id', 'hour', 'day'])
    op.create_index('ix_region_wait_fine_pick', 'region_wait_fine',
                    ['hall_uid', 'service_id', 'minute', 'day'])
    if op.get_bind().dialect.name == 'postgresql':
        # a region's first report after the upgrade plans its picks by these statistics
        # (without them, PostgreSQL sorts the whole table for a merge join)
        for table in ('region_wait_minutes', 'region_wait_hours', 'region_wait_fine'):
            op.execute(f'ANALYZE {table}')


def downgrade() -> None:
    op.drop_index('ix_region_wait_fine_pick', table_name='region_wait_fine')
    op.drop_index('ix_region_wait_minutes_pick', table_name='region_wait_minutes')
    op.drop_table('region_wait_hours')
    op.drop_table('region_wait_minutes')
