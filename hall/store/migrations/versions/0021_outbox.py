"""outbox: messages and records leaving the hall (DESIGN.md §7), one row per key

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-20 09:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0021'
down_revision: Union[str, Sequence[str], None] = '0020'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'outbox',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('hall_id', sa.Integer(), nullable=True),
        sa.Column('topic', sa.String(length=40), nullable=False),
        sa.Column('key', sa.String(length=120), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_at', sa.DateTime(), nullable=False),
        sa.Column('lease_until', sa.DateTime(), nullable=True),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key', name='uq_outbox_key'),
    )
    op.create_index('ix_outbox_due', 'outbox', ['state', 'topic', 'next_at'])
    op.create_index('ix_outbox_hall_created', 'outbox', ['hall_id', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_outbox_hall_created', 'outbox')
    op.drop_index('ix_outbox_due', 'outbox')
    op.drop_table('outbox')
