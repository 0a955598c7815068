"""follow_ups: the revisit (回访) that ends every bad-review follow-up

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-20 09:20:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0022'
down_revision: Union[str, Sequence[str], None] = '0021'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # plain ALTER TABLE (no batch copy), as 0009: follow-ups closed before this have none
    op.add_column('follow_ups', sa.Column('revisit_answer', sa.String(length=16), nullable=True))
    op.add_column('follow_ups', sa.Column('revisit_note', sa.Text(), nullable=True))
    op.add_column('follow_ups', sa.Column('revisit_at', sa.DateTime(), nullable=True))
    op.add_column('follow_ups', sa.Column('revisit_by', sa.Integer(), nullable=True))


def downgrade() -> None:
    for column in ('revisit_by', 'revisit_at', 'revisit_note', 'revisit_answer'):
        op.execute(f"ALTER TABLE follow_ups DROP COLUMN {column}")
