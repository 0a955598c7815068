"""call reason code and parameters

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 09:00:00.000000

A call keeps why it was made as data (the reason code of hall/domain/callnext.REASONS and
its parameters) beside the English sentence, so the terminal reads it in its own
language without parsing the sentence back. Calls made before this keep only the sentence.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('call_reason_code', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('call_reason_params', sa.JSON(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('call_reason_params')
        batch_op.drop_column('call_reason_code')
