"""first-contact desk (首问): inquiries and who was asked first; tickets.first_staff_id

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-20 12:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import hall.store.types


# revision identifiers, used by Alembic.
revision: str = '0028'
down_revision: Union[str, Sequence[str], None] = '0027'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'inquiries',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('hall_id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('at', hall.store.types.UTCDateTime(), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=True),
        sa.Column('question', sa.Text(), nullable=False),
        sa.Column('answer', sa.Text(), nullable=False),
        sa.Column('counter_id', sa.Integer(), nullable=True),
        sa.Column('ticket_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_inquiries_hall_at', 'inquiries', ['hall_id', 'at'])
    # plain ALTER TABLE: a batch copy of tickets would drop its waiting-count triggers (0007)
    op.add_column('tickets', sa.Column('first_staff_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE tickets DROP COLUMN first_staff_id")
    op.drop_index('ix_inquiries_hall_at', table_name='inquiries')
    op.drop_table('inquiries')
