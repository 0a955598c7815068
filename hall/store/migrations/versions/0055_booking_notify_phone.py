"""near-turn messages for a booking (issue 21): appointments.notify_phone, the number kept
only until check-in (then the ticket's subscription has it) or cancellation

Revision ID: 0055
Revises: 0046
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0055'
down_revision: Union[str, Sequence[str], None] = '0046'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('appointments', sa.Column('notify_phone', sa.String(length=16),
                                            nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('appointments') as batch:
        batch.drop_column('notify_phone')
