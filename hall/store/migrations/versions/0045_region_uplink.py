"""region: the hall's uplink mark, and the region's ingested events and per-hall marks
(DESIGN.md §8)

Revision ID: 0045
Revises: 0035
Create Date: 2026-12-06 12:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0045'
down_revision: Union[str, Sequence[str], None] = '0035'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'region_uplink',
        sa.Column('hall_id', sa.Integer(), nullable=False),
        sa.Column('hall_uid', sa.String(length=64), nullable=False),
        sa.Column('shipped_seq', sa.BigInteger(), nullable=False),
        sa.Column('shipped_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['hall_id'], ['halls.id']),
        sa.PrimaryKeyConstraint('hall_id'),
        sa.UniqueConstraint('hall_uid'),
    )
    op.create_table(
        'region_events',
        sa.Column('hall_uid', sa.String(length=64), nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('type', sa.String(length=40), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('ingested_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('hall_uid', 'seq'),
    )
    op.create_table(
        'region_marks',
        sa.Column('hall_uid', sa.String(length=64), nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('hall_uid'),
    )


def downgrade() -> None:
    op.drop_table('region_marks')
    op.drop_table('region_events')
    op.drop_table('region_uplink')
