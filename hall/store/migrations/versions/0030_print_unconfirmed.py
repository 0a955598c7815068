"""print_jobs.unconfirmed: a ticket sent whole whose printer did not answer the status query
after it is "printed, status unknown": printed for the visitor, flagged for staff

Revision ID: 0030
Revises: 0028
Create Date: 2026-12-21 09:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0030'
down_revision: Union[str, Sequence[str], None] = '0028'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # plain ADD COLUMN (no batch copy): every job so far had its status answered
    op.add_column('print_jobs', sa.Column('unconfirmed', sa.Boolean(), nullable=False,
                                          server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('print_jobs', schema=None) as batch_op:
        batch_op.drop_column('unconfirmed')
