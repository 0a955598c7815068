"""appointments.holder_masked: the name given at booking, masked (张*女士), which the
ticket of its check-in carries for calling by name (issue 21)

Revision ID: 0105
Revises: 0097
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0105'
down_revision: Union[str, Sequence[str], None] = '0097'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('appointments', sa.Column('holder_masked', sa.String(length=20),
                                            nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('appointments') as batch:
        batch.drop_column('holder_masked')
