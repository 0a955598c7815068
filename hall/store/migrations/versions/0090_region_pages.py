"""region pages: each hall's board address, zone and target wait; what the region keeps
folded from the ingested events (tickets, windows, alerts, each hall's live figures, day
sums per service); region accounts' auth version (issue 23 item 4)

Revision ID: 0090
Revises: 0085
Create Date: 2026-12-20 12:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0090'
down_revision: Union[str, Sequence[str], None] = '0085'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COUNTS = ('issued', 'called', 'within_target', 'no_show', 'cancelled', 'recalls',
          'transfers', 'wait_s_total', 'wait_max_s', 'served', 'service_s_total',
          'done', 'accepted', 'correction', 'refused', 'inquiry',
          'rated_1', 'rated_2', 'rated_3', 'rated_4', 'rated_5')


def upgrade() -> None:
    with op.batch_alter_table('region_halls') as batch:
        batch.add_column(sa.Column('board_url', sa.String(length=500), nullable=True))
        batch.add_column(sa.Column('timezone', sa.String(length=64), nullable=False,
                                   server_default='Asia/Shanghai'))
        batch.add_column(sa.Column('target_wait_s', sa.Integer(), nullable=False,
                                   server_default='900'))
    with op.batch_alter_table('region_accounts') as batch:
        batch.add_column(sa.Column('auth_version', sa.Integer(), nullable=False,
                                   server_default='1'))
    op.create_table(
        'region_tickets',
        sa.Column('hall_uid', sa.String(length=64), nullable=False),
        sa.Column('ticket_id', sa.BigInteger(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('counter_id', sa.Integer(), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=True),
        sa.Column('issued_at', sa.DateTime(), nullable=False),
        sa.Column('queued_at', sa.DateTime(), nullable=False),
        sa.Column('called_at', sa.DateTime(), nullable=True),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('released_at', sa.DateTime(), nullable=True),
        sa.Column('recalls', sa.Integer(), nullable=False),
        sa.Column('rating', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('hall_uid', 'ticket_id'),
    )
    op.create_index('ix_region_tickets_waiting', 'region_tickets',
                    ['hall_uid', 'state', 'queued_at'])
    op.create_table(
        'region_services',
        sa.Column('hall_uid', sa.String(length=64), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('department', sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint('hall_uid', 'service_id'),
    )
    op.create_table(
        'region_windows',
        sa.Column('hall_uid', sa.String(length=64), nullable=False),
        sa.Column('counter_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint('hall_uid', 'counter_id'),
    )
    op.create_table(
        'region_alerts',
        sa.Column('hall_uid', sa.String(length=64), nullable=False),
        sa.Column('alert_id', sa.BigInteger(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('level', sa.String(length=16), nullable=False),
        sa.Column('counter_id', sa.Integer(), nullable=True),
        sa.Column('raised_at', sa.DateTime(), nullable=False),
        sa.Column('cleared_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('hall_uid', 'alert_id'),
    )
    op.create_table(
        'region_live',
        sa.Column('hall_uid', sa.String(length=64), nullable=False),
        sa.Column('waiting', sa.Integer(), nullable=False),
        sa.Column('open_windows', sa.Integer(), nullable=False),
        sa.Column('oldest_queued_at', sa.DateTime(), nullable=True),
        sa.Column('open_alerts', sa.Integer(), nullable=False),
        sa.Column('critical_alerts', sa.Integer(), nullable=False),
        sa.Column('last_event_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('hall_uid'),
    )
    op.create_table(
        'region_day_stats',
        sa.Column('hall_uid', sa.String(length=64), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        *[sa.Column(name, sa.BigInteger(), nullable=False) for name in COUNTS],
        sa.PrimaryKeyConstraint('hall_uid', 'day', 'service_id'),
    )
    op.create_index('ix_region_day_stats_day', 'region_day_stats', ['day', 'hall_uid'])


def downgrade() -> None:
    op.drop_index('ix_region_day_stats_day', table_name='region_day_stats')
    op.drop_table('region_day_stats')
    op.drop_table('region_live')
    op.drop_table('region_alerts')
    op.drop_table('region_windows')
    op.drop_table('region_services')
    op.drop_index('ix_region_tickets_waiting', table_name='region_tickets')
    op.drop_table('region_tickets')
    with op.batch_alter_table('region_accounts') as batch:
        batch.drop_column('auth_version')
    with op.batch_alter_table('region_halls') as batch:
        batch.drop_column('target_wait_s')
        batch.drop_column('timezone')
        batch.drop_column('board_url')
