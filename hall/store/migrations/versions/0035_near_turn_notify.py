"""near-turn notifications (issue 21): notify_subscriptions; tickets.holder_masked

Revision ID: 0035
Revises: 0030
Create Date: 2026-12-21 09:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import hall.store.types


# revision identifiers, used by Alembic.
revision: str = '0035'
down_revision: Union[str, Sequence[str], None] = '0030'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'notify_subscriptions',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('hall_id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=True),
        sa.Column('address_masked', sa.String(length=32), nullable=False),
        sa.Column('address_hash', sa.String(length=64), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('reminders', sa.Integer(), nullable=False),
        sa.Column('last_ahead', sa.Integer(), nullable=True),
        sa.Column('closed', sa.Boolean(), nullable=False),
        sa.Column('created_at', hall.store.types.UTCDateTime(), nullable=False),
        sa.Column('erase_at', hall.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('ticket_id', name='uq_notify_ticket'),
    )
    op.create_index('ix_notify_open', 'notify_subscriptions', ['hall_id', 'closed'])
    op.create_index('ix_notify_hash_day', 'notify_subscriptions', ['address_hash', 'day'])
    op.create_index('ix_notify_erase', 'notify_subscriptions', ['erase_at'])
    # plain ALTER TABLE: a batch copy of tickets would drop its waiting-count triggers (0007)
    op.add_column('tickets', sa.Column('holder_masked', sa.String(length=20), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE tickets DROP COLUMN holder_masked")
    op.drop_index('ix_notify_erase', table_name='notify_subscriptions')
    op.drop_index('ix_notify_hash_day', table_name='notify_subscriptions')
    op.drop_index('ix_notify_open', table_name='notify_subscriptions')
    op.drop_table('notify_subscriptions')
