"""leave (请销假): requests for leave, decided by a supervisor, ended by 销假

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-20 11:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import hall.store.types


# revision identifiers, used by Alembic.
revision: str = '0027'
down_revision: Union[str, Sequence[str], None] = '0026'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'leaves',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('hall_id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('start_at', hall.store.types.UTCDateTime(), nullable=False),
        sa.Column('end_at', hall.store.types.UTCDateTime(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('requested_at', hall.store.types.UTCDateTime(), nullable=False),
        sa.Column('decided_by', sa.Integer(), nullable=True),
        sa.Column('decided_at', hall.store.types.UTCDateTime(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('returned_at', hall.store.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_leaves_staff', 'leaves', ['staff_id', 'state', 'start_at'])
    op.create_index('ix_leaves_hall_state', 'leaves', ['hall_id', 'state', 'start_at'])


def downgrade() -> None:
    op.drop_index('ix_leaves_hall_state', table_name='leaves')
    op.drop_index('ix_leaves_staff', table_name='leaves')
    op.drop_table('leaves')
