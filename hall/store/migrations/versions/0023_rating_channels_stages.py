"""ratings: the channel (pad, keypad, phone) and dimension scores; case_ratings: a 承诺件
rated again at 办结 (一事多评)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-20 09:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0023'
down_revision: Union[str, Sequence[str], None] = '0022'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('ratings', sa.Column('channel', sa.String(length=16), nullable=True))
    op.add_column('ratings', sa.Column('dimensions', sa.JSON(), nullable=True))
    op.create_table(
        'case_ratings',
        sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  nullable=False),
        sa.Column('hall_id', sa.Integer(), nullable=False),
        sa.Column('level', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=100), nullable=True),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.Column('dimensions', sa.JSON(), nullable=True),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['hall_id'], ['halls.id']),
        sa.PrimaryKeyConstraint('case_id'),
    )


def downgrade() -> None:
    op.drop_table('case_ratings')
    op.execute("ALTER TABLE ratings DROP COLUMN dimensions")
    op.execute("ALTER TABLE ratings DROP COLUMN channel")
