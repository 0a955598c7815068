"""region figures: each hall's cases (办件) as its events tell them, for 按时办结率 and
超期件数; each hall's settings as its uplink last shipped them (zone, target wait,
targets); each hall's waits per (day, service) as exact histograms of whole seconds,
one row per minute with any (sixty counters s0 … s59, the hall's ``day_fine`` shape); on
the hall's side, what its uplink last shipped of its settings (issue 23 item 4)

Revision ID: 0091
Revises: 0090
Create Date: 2026-12-06 14:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0091'
down_revision: Union[str, Sequence[str], None] = '0090'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'region_cases',
        sa.Column('hall_uid', sa.String(length=64), nullable=False),
        sa.Column('number', sa.String(length=40), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=True),
        sa.Column('accepted_on', sa.Date(), nullable=False),
        sa.Column('due_date', sa.Date(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('done_on', sa.Date(), nullable=True),
        sa.Column('suspended_on', sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint('hall_uid', 'number'),
    )
    op.create_index('ix_region_cases_due', 'region_cases', ['hall_uid', 'due_date'])
    op.create_index('ix_region_cases_done', 'region_cases', ['hall_uid', 'done_on'])
    op.create_table(
        'region_hall_settings',
        sa.Column('hall_uid', sa.String(length=64), nullable=False),
        sa.Column('timezone', sa.String(length=64), nullable=False),
        sa.Column('target_wait_s', sa.Integer(), nullable=False),
        sa.Column('targets', sa.JSON(), nullable=True),
        sa.Column('changed_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('hall_uid'),
    )
    op.create_table(
        'region_wait_fine',
        sa.Column('hall_uid', sa.String(length=64), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('minute', sa.Integer(), nullable=False),
        *[sa.Column(f's{i}', sa.Integer(), nullable=False) for i in range(60)],
        sa.PrimaryKeyConstraint('hall_uid', 'day', 'service_id', 'minute'),
    )
    with op.batch_alter_table('region_uplink') as batch:
        batch.add_column(sa.Column('settings_sent', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('region_uplink') as batch:
        batch.drop_column('settings_sent')
    op.drop_table('region_wait_fine')
    op.drop_table('region_hall_settings')
    op.drop_index('ix_region_cases_done', table_name='region_cases')
    op.drop_index('ix_region_cases_due', table_name='region_cases')
    op.drop_table('region_cases')
